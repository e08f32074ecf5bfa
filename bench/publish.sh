#!/usr/bin/env bash
# A push to a local registry: `dockerflow publish` of the image's `docker save` archive
# against `docker push` of the same image from the engine, in one run, RUNS times each.
# Both compress the layers with gzip (the engine stores them uncompressed, and so does a
# classic `docker save` archive) and both start from an empty registry ("cold"); then each
# pushes again to the same tag ("warm": every blob is already there).
#
#   bench/publish.sh                 IMAGE=dockerflow-demo:ci RUNS=5 by default
#   BIG=1 bench/publish.sh           also a ~300 MB single-layer image imported from /usr/bin
#
# Needs a running Docker engine (/usr/bin/docker) and docker-registry. Every registry started
# here runs on a free loopback port with its storage in a temporary directory, and is killed
# on exit, as are the tags made here.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-dockerflow-demo:ci}"
RUNS="${RUNS:-5}"
DOCKER=/usr/bin/docker
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p dockerflow-cli
BIN="$TARGET/release/dockerflow"
tmp=$(mktemp -d)
# dockerflow's blob-digest cache, like the engine's, lives across the runs of this script only.
export DOCKERFLOW_CACHE_DIR="$tmp/cache"
pids=()
tags=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for t in "${tags[@]}"; do $DOCKER rmi "$t" >/dev/null 2>&1 || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a registry with empty storage; sets $port.
start_registry() {
    port=$(free_port)
    local dir="$tmp/registry-$port"
    mkdir -p "$dir"
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
        "$dir/storage" "$port" >"$dir/config.yml"
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && return 0
        sleep 0.05
    done
    echo "registry on $port did not start" >&2
    exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

bench_image() {
    local image=$1 archive="$tmp/image.tar"
    $DOCKER save "$image" -o "$archive"
    local size
    size=$($DOCKER image inspect "$image" --format '{{.Size}}')
    echo "IMAGE $image size_bytes=$size archive_bytes=$(stat -c %s "$archive")"
    for i in $(seq 1 "$RUNS"); do
        start_registry
        local dest="127.0.0.1:$port/bench/app:v1"
        local t0 t1 t2 t3 t4 t5
        t0=$(now)
        "$BIN" publish "docker-archive:$archive" "docker://$dest" --digest-file "$tmp/digest.txt" >/dev/null 2>"$tmp/publish.log"
        t1=$(now)
        "$BIN" publish "docker-archive:$archive" "docker://$dest" --digest-file "$tmp/digest.txt" >/dev/null 2>>"$tmp/publish.log"
        t2=$(now)
        start_registry
        local theirs="127.0.0.1:$port/bench/app:v1"
        $DOCKER tag "$image" "$theirs"
        tags+=("$theirs")
        t3=$(now)
        $DOCKER push -q "$theirs" >/dev/null
        t4=$(now)
        $DOCKER push -q "$theirs" >/dev/null
        t5=$(now)
        echo "RESULT run=$i dockerflow_cold_s=$(elapsed "$t0" "$t1") docker_cold_s=$(elapsed "$t3" "$t4") dockerflow_warm_s=$(elapsed "$t1" "$t2") docker_warm_s=$(elapsed "$t4" "$t5")" |
            tee -a "$tmp/runs"
    done
    # The medians of the runs above, and the cold ratio of the medians (BENCHMARKS.md's table).
    python3 - "$tmp/runs" <<'PY'
import re, statistics, sys
cols = {}
for line in open(sys.argv[1]):
    for k, v in re.findall(r"(\w+_s)=([\d.]+)", line):
        cols.setdefault(k, []).append(float(v))
m = {k: statistics.median(v) for k, v in cols.items()}
print("MEDIAN " + " ".join(f"{k}={v:.3f}" for k, v in m.items())
      + f" cold_ratio={m['dockerflow_cold_s'] / m['docker_cold_s']:.2f}")
PY
    rm -f "$tmp/runs"
}

CI=true bench_image "$IMAGE"
if [ "${BIG:-}" = 1 ]; then
    big="dockerflow-bench/usr-bin:latest"
    tar -C / -cf - usr/bin 2>/dev/null | $DOCKER import - "$big" >/dev/null
    tags+=("$big")
    CI=true bench_image "$big"
fi
