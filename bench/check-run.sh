#!/usr/bin/env bash
# The full check of the reference image, `dockerflow check image IMAGE --run`, with one
# dependency taken down: a private PostgreSQL up for the first run of the image, DATABASE_URL
# rewritten to a closed loopback port for the second (--dependency-env).
#
#   [RUNS=5] [IMAGE=dockerflow-demo:ci] bench/check-run.sh [DOCKERFLOW_BINARY]
#     (default binary: target/release/dockerflow; `cargo build --release -p dockerflow-cli`)
#
# Needs the Docker engine with IMAGE (`.ci/run` builds dockerflow-demo:ci), PostgreSQL
# (/usr/lib/postgresql/*/bin) and root (PostgreSQL runs as the user postgres). Prints one line
# per run: exit code, verdict, wall seconds, and every phase `--timings` reports (ms); then the
# median wall time and the median of the wall time beyond the container starts (the engine's
# create + start and the wait until the service listens, for both runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/dockerflow}
image=${IMAGE:-dockerflow-demo:ci}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release -p dockerflow-cli)" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(mktemp -d)
chmod 755 "$dir"
chown postgres "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres() { su postgres -s /bin/sh -c "$1"; }
cleanup() {
    as_postgres "$pgbin/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
as_postgres "$pgbin/initdb -D $dir/data -A trust -U postgres" >/dev/null
as_postgres "$pgbin/pg_ctl -D $dir/data -l $dir/log -w start -o '-p $port -k $dir -c listen_addresses=127.0.0.1'" >/dev/null
as_postgres "$pgbin/createdb -h 127.0.0.1 -p $port links"

results=$(mktemp)
for i in $(seq "${RUNS:-5}"); do
    t0=$(date +%s.%N)
    set +e
    out=$("$bin" check image "$image" --run --timings \
        --env "DATABASE_URL=postgres://postgres@127.0.0.1:$port/links" \
        --env DOCKERFLOW_DRAIN_DELAY_MS=0 --dependency-env DATABASE_URL 2>&1)
    code=$?
    set -e
    t1=$(date +%s.%N)
    verdict=$(grep -m1 -o 'verdict: [A-Z]*' <<<"$out" || echo "verdict: none")
    phases=$(grep -o 'timing: .*' <<<"$out" | sed 's/^timing: //; s/ ms$//' | paste -sd';' -)
    wall=$(awk "BEGIN{printf \"%.2f\", $t1 - $t0}")
    echo "run $i: exit $code, $verdict, wall $wall s; $phases"
    echo "$wall;$phases" >>"$results"
done
python3 - "$results" <<'PY'
import statistics, sys
walls, beyond = [], []
for line in open(sys.argv[1]):
    wall, *phases = line.strip().split(";")
    starts = sum(int(p.rsplit(":", 1)[1]) for p in phases
                 if "create+start" in p or "until listening" in p)
    walls.append(float(wall))
    beyond.append(float(wall) - starts / 1000)
print(f"median wall {statistics.median(walls):.2f} s; median beyond the container starts "
      f"(create+start and until listening, both runs) {statistics.median(beyond):.2f} s")
PY
rm -f "$results"
