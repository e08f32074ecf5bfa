#!/usr/bin/env bash
# A fleet of images checked statically: `dockerflow check image` of COUNT OCI layouts in one
# command (the default --jobs, the number of CPUs), against one image alone and --jobs 1.
#
#   bench/check-fleet.sh                  # 20 images, 5 rounds
#   COUNT=8 ROUNDS=3 bench/check-fleet.sh
#
# The images are generated here, in a temporary directory removed on exit: OCI image layouts
# (oci-layout, index.json, gzip layers) of a small service each, distinct (their own random
# bytes): a base layer of ~2000 small files (/etc/passwd and /etc/group with user 10001 among
# them, about 12 MiB), a dependency layer (~500 files, about 6 MiB) and an application layer
# (an 8 MiB binary, /app/version.json); a compliant config (User 10001, ENTRYPOINT, PORT,
# EXPOSE, labels). Every rule is judged. Prints a RESULT line per measurement, then medians.
. "$(dirname "$0")/lib.sh"
bounded COUNT 20 1 200
bounded ROUNDS 5 1 20
start_bench
echo "generating $COUNT images in $tmp ..."
python3 - "$tmp" "$COUNT" <<'PY'
import gzip, hashlib, io, json, os, random, sys
sys.path.insert(0, "bench")
from layers import write_tar

out, count = sys.argv[1], int(sys.argv[2])

def layer(files):
    raw = io.BytesIO()
    write_tar(raw, files)
    tar = raw.getvalue()
    gz = gzip.compress(tar, compresslevel=6, mtime=0)
    return gz, "sha256:" + hashlib.sha256(tar).hexdigest()

def blob(root, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}

for i in range(count):
    rng = random.Random(i)
    def text(n):
        return bytes(rng.choice(b"abcdefghij klmnopqrstuvwxyz\n") for _ in range(n))
    base = [("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/usr/sbin/nologin\n", 0o644),
            ("etc/group", b"root:x:0:\napp:x:10001:\n", 0o644)]
    chunk = text(64 * 1024)
    for k in range(2000):
        o = rng.randrange(0, 32 * 1024)
        base.append((f"usr/share/base{k // 200}/f{k}", chunk[o:o + rng.randint(1, 12) * 1024], 0o644))
    deps = [(f"app/deps/p{k // 50}/m{k}.py", os.urandom(rng.randint(4, 20) * 1024), 0o644) for k in range(500)]
    app = [("app/server", os.urandom(8 << 20), 0o755),
           ("app/version.json", json.dumps({"source": f"https://github.com/example/svc{i}", "version": "v1.0.0",
             "commit": "0123456789abcdef0123456789abcdef01234567",
             "build": "https://github.com/example/app/actions/runs/1"}).encode(), 0o644)]
    root = os.path.join(out, f"img{i:03}")
    layers = [layer(files) for files in (base, deps, app)]
    descs = [dict(blob(root, gz), mediaType="application/vnd.oci.image.layer.v1.tar+gzip") for gz, _ in layers]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "10001", "Entrypoint": ["/app/server"], "Cmd": ["serve"],
                   "Env": ["PATH=/usr/bin:/bin", "PORT=8000"], "ExposedPorts": {"8000/tcp": {}},
                   "WorkingDir": "/app",
                   "Labels": {"org.opencontainers.image.source": f"https://github.com/example/svc{i}",
                              "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
                              "org.opencontainers.image.version": "v1.0.0"}},
        "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
        "history": [{"created_by": f"layer {k}"} for k in range(len(layers))],
    }).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(blob(root, config), mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": descs}).encode()
    index = {"schemaVersion": 2, "manifests": [dict(blob(root, manifest),
        mediaType="application/vnd.oci.image.manifest.v1+json")]}
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
PY
du -sh "$tmp" | cut -f1 | sed 's/^/fleet on disk: /'
refs=()
for d in "$tmp"/img*; do refs+=("oci:$d"); done
cat "$tmp"/img*/blobs/sha256/* > /dev/null   # page-cached for every command

declare -A times
run() { # name, command...
    time_run "$@"
    echo "RESULT round=$round $1 seconds=$t exit=$rc load=$(cut -d' ' -f1 /proc/loadavg)"
    [ "$rc" = 0 ] || { cat "$tmp/out.$1" >&2; exit 1; }
}

for round in $(seq "$ROUNDS"); do
    run one-image "$BIN" check image "${refs[0]}"
    run "fleet-jobs-1" "$BIN" check image --jobs 1 "${refs[@]}"
    run "fleet-default-jobs" "$BIN" check image "${refs[@]}"
done
tail -3 "$tmp/out.fleet-default-jobs"

echo
echo "| command | images | median s | rounds (s) |"
echo "|---|---|---|---|"
for name in one-image fleet-jobs-1 fleet-default-jobs; do
    n=$COUNT; [ "$name" = one-image ] && n=1
    printf '| %s | %s | %.2f | %s |\n' "$name" "$n" "$(echo "${times[$name]}" | median)" "$(echo "${times[$name]}" | xargs -n1 printf '%.2f ' )"
done
