#!/usr/bin/env bash
# Image build times for the reference application, in one run, with the same release binary:
#   - `dockerflow build` (daemonless) to an OCI layout, and to a docker-archive then `docker load`;
#   - `docker build` of the repository's Dockerfile as .ci/run does it: the local runtime base
#     (deploy/image/make-runtime-base.sh) then BuildKit with BINARY_FROM=host, without cache
#     (--no-cache) and with it (the same build again).
# RUNS of each, alternating; prints every time and the medians. The cargo build of the binary
# is done once first and not timed (it is the same for both).
#
#   bench/build.sh                     RUNS=5 by default
# Needs a Docker engine (`docker info`); images it makes are tagged dockerflow-bench-* and removed.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
DOCKER=/usr/bin/docker
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p dockerflow-demo -p dockerflow-cli
DF=$target_dir/release/dockerflow
if [ "$target_dir" != target ]; then # the Dockerfile reads the binary from the build context
    mkdir -p target/release && cp "$target_dir/release/dockerflow-demo" target/release/
fi
BIN=$PWD/target/release/dockerflow-demo
$DOCKER info >/dev/null || { echo "bench/build.sh: no Docker engine" >&2; exit 2; }

tmp=$(mktemp -d)
# Every image the runs make (retagging leaves the previous ones untagged): removed on exit.
cleanup() {
    if [ -f "$tmp/ids" ]; then
        sort -u "$tmp/ids" | xargs -r $DOCKER rmi -f >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
wrote_version=""
[ -f version.json ] || { "$DF" version -o version.json 2>/dev/null; wrote_version=1; }
[ -n "$wrote_version" ] && trap 'cleanup; rm -f version.json' EXIT
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}

now() { date +%s.%N; }
elapsed() { awk "BEGIN{printf \"%.3f\\n\", $2 - $1}"; }
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

df_build() {
    "$DF" build --binary "$BIN" --name dockerflow-demo --static crates/demo/static \
        --version-json version.json --cmd serve \
        --env DATA_DIR=/tmp/data --env DOCKERFLOW_STATIC_DIR=/app/static \
        --env DOCKERFLOW_VERSION_FILE=/app/version.json "$@" 2>/dev/null
}
docker_build() {
    deploy/image/make-runtime-base.sh "$BIN" dockerflow-bench/cc:bookworm >/dev/null
    DOCKER_BUILDKIT=1 $DOCKER build --quiet "$@" \
        --build-arg BINARY_FROM=host --build-arg RUNTIME_IMAGE=dockerflow-bench/cc:bookworm \
        --build-arg REVISION="$(git rev-parse HEAD)" -t dockerflow-bench-docker:1 . >/dev/null
    $DOCKER image inspect -f '{{.Id}}' dockerflow-bench/cc:bookworm dockerflow-bench-docker:1 >>"$tmp/ids"
}

: >"$tmp/df-oci" ; : >"$tmp/df-load" ; : >"$tmp/docker-cold" ; : >"$tmp/docker-warm"
for i in $(seq "$RUNS"); do
    rm -rf "$tmp/oci"
    t0=$(now); digest=$(df_build --output "oci:$tmp/oci:1"); t1=$(now)
    elapsed "$t0" "$t1" >>"$tmp/df-oci"
    t0=$(now)
    df_build --output "docker-archive:$tmp/demo.tar:dockerflow-bench-df:1" >/dev/null
    $DOCKER load -q -i "$tmp/demo.tar" >/dev/null
    $DOCKER image inspect -f '{{.Id}}' dockerflow-bench-df:1 >>"$tmp/ids"
    t1=$(now); elapsed "$t0" "$t1" >>"$tmp/df-load"
    t0=$(now); docker_build --no-cache; t1=$(now); elapsed "$t0" "$t1" >>"$tmp/docker-cold"
    t0=$(now); docker_build; t1=$(now); elapsed "$t0" "$t1" >>"$tmp/docker-warm"
    echo "run $i: dockerflow build $(tail -1 "$tmp/df-oci") s, +docker load $(tail -1 "$tmp/df-load") s, docker build --no-cache $(tail -1 "$tmp/docker-cold") s, docker build cached $(tail -1 "$tmp/docker-warm") s ($digest)"
done
for m in df-oci df-load docker-cold docker-warm; do
    echo "RESULT $m median_s=$(median <"$tmp/$m") runs=$(paste -sd/ "$tmp/$m")"
done
size=$($DOCKER image inspect dockerflow-bench-df:1 --format '{{.Size}}')
dsize=$($DOCKER image inspect dockerflow-bench-docker:1 --format '{{.Size}}')
echo "RESULT size dockerflow_build_bytes=$size docker_build_bytes=$dsize"
"$DF" check image "oci:$tmp/oci:1" >"$tmp/check.txt" && verdict=0 || verdict=$?
echo "RESULT check exit=$verdict $(tail -1 "$tmp/check.txt")"
