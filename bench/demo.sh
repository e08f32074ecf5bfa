#!/usr/bin/env bash
# Benchmarks of the reference application (dockerflow-demo), on loopback:
#   - its image's size (when DEMO_IMAGE names one on a reachable Docker engine);
#   - time from process start to the first 200 on /__lbheartbeat__ (RUNS starts, SQLite);
#   - GET /{code} redirects per second on SQLite with wrk (ROUNDS rounds of DURATION).
#
#   bench/demo.sh                    ROUNDS=3 DURATION=8s RUNS=20 by default
# Every process started here is stopped on exit; every load loop is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-8s}"
RUNS="${RUNS:-20}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p dockerflow-demo
BIN=$PWD/target/release/dockerflow-demo
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

if [ -n "${DEMO_IMAGE:-}" ] && /usr/bin/docker info >/dev/null 2>&1; then
    size=$(/usr/bin/docker image inspect "$DEMO_IMAGE" --format '{{.Size}}')
    echo "RESULT image $DEMO_IMAGE size_bytes=$size size_mb=$(awk "BEGIN{printf \"%.1f\", $size/1000000}")"
fi

# Start to first 200: a fresh data dir each time, so migrations run as on a first start.
python3 - "$BIN" "$RUNS" "$tmp" <<'PY'
import os, socket, statistics, subprocess, sys, time
binary, runs, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as c:
            c.sendall(b"GET /__lbheartbeat__ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return c.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
times = []
for i in range(runs):
    port = free_port()
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", DATA_DIR=f"{tmp}/start-{i}",
               DOCKERFLOW_DRAIN_DELAY_MS="0")
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 10
    while not ok(port):
        if time.perf_counter() > deadline:
            p.kill(); sys.exit(f"no 200 within 10 s on run {i}")
    times.append((time.perf_counter() - t0) * 1000)
    p.terminate(); p.wait(10)
times.sort()
print(f"RESULT start-to-first-200 runs={runs} median_ms={statistics.median(times):.1f} "
      f"min_ms={times[0]:.1f} max_ms={times[-1]:.1f}")
PY

# Redirect throughput on SQLite.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$port HOST=127.0.0.1 DATA_DIR="$tmp/redirect" "$BIN" >"$tmp/demo.log" 2>&1 &
pid=$!
for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:$port/__lbheartbeat__" && break; sleep 0.05; done
code=$(curl -fs -X POST -H 'Content-Type: application/json' -d '{"url":"https://example.com/bench"}' \
    "http://127.0.0.1:$port/api/links" | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
for round in $(seq "$ROUNDS"); do
    raw=$(wrk -t2 -c64 -d"$DURATION" --timeout 5s --latency "http://127.0.0.1:$port/$code")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$raw")
    p99=$(awk '$1=="99%" {print $2}' <<<"$raw")
    non3xx=$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$raw")
    echo "RESULT redirect-sqlite round=$round rps=$rps p99=$p99 non2xx3xx=${non3xx:-0}"
done
