#!/usr/bin/env bash
# Benchmarks of the service library against a bare axum baseline, on loopback, with wrk.
#
#   bench/run.sh                 # 3 rounds of 8 s per endpoint (as in the peers' baseline)
#   ROUNDS=1 DURATION=3s bench/run.sh
#
# Measures, side by side in one run (servers alternate within each round):
#   - /__lbheartbeat__ and /__version__ of the library vs any path of the baseline, and
#     /__version__ vs the baseline's /__version__ (the same bytes, served bare);
#   - /__heartbeat__ with a real PostgreSQL check (and how often the database was checked);
#   - the cost of request.summary logging (same endpoint, DOCKERFLOW_SUMMARY=true vs false);
#   - idle resident memory of the library's service.
# Prints a RESULT line per measurement and a markdown table at the end: medians, and the
# median of per-round ratios (each round's figure over the mean of the baseline runs at its
# start and end), which is steadier on a machine whose speed drifts.
# Every load loop is bounded by DURATION; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-8s}"
CONNS="${CONNS:-64}"
THREADS="${THREADS:-2}"
OUT="${OUT:-bench/results}"
mkdir -p "$OUT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p dockerflow-bench
BIN="${CARGO_TARGET_DIR:-target}/release"

pids=()
tmp=$(mktemp -d) && chmod 755 "$tmp"
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    if [ -f "$tmp/pg/data/postmaster.pid" ]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$tmp/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "not up: $1" >&2; exit 1; }

# A private PostgreSQL on a free loopback port.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
PGPORT=$(free_port)
mkdir -p "$tmp/pg" && chown -R postgres:postgres "$tmp/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$tmp/pg/data" -A trust -U postgres --no-sync >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w \
    -o "-p $PGPORT -k $tmp/pg -c listen_addresses=127.0.0.1" start >/dev/null
DB="postgres://postgres@127.0.0.1:$PGPORT/postgres"

printf '{"source":"https://github.com/dockerflow-rs/dockerflow","version":"bench","commit":"0123456789abcdef0123456789abcdef01234567","build":"https://ci.example.com/bench"}\n' >"$tmp/version.json"

start() { # name port env...
    local name=$1 port=$2; shift 2
    env "$@" PORT="$port" HOST=127.0.0.1 DOCKERFLOW_VERSION_FILE="$tmp/version.json" \
        "$BIN/$name" >"$tmp/$name-$port.log" 2>&1 &
    pids+=($!)
    wait_up "http://127.0.0.1:$port/__lbheartbeat__"
}

BASE=$(free_port); start baseline "$BASE"
SVC=$(free_port); start service "$SVC" BENCH_DATABASE_URL="$DB" DOCKERFLOW_HEARTBEAT_REUSE_MS=1000
NOLOG=$(free_port); start service "$NOLOG" BENCH_DATABASE_URL="$DB" DOCKERFLOW_SUMMARY=false
SVC_PID=${pids[1]}
sleep 1
rss_idle_kb=$(awk '/VmRSS/ {print $2}' "/proc/$SVC_PID/status")

results="$OUT/results-$(date -u +%Y%m%dT%H%M%SZ).txt"
measure() { # label url
    local label=$1 url=$2 raw
    raw=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s --latency "$url")
    local rps p50 p99 non2xx errors
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$raw")
    p50=$(awk '$1=="50%" {print $2}' <<<"$raw")
    p99=$(awk '$1=="99%" {print $2}' <<<"$raw")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$raw"); non2xx=${non2xx:-0}
    errors=$(awk '/Socket errors/ {print}' <<<"$raw"); errors=${errors:-none}
    echo "RESULT $label rps=$rps p50=$p50 p99=$p99 non2xx=$non2xx errors=$errors" | tee -a "$results"
}

for round in $(seq "$ROUNDS"); do
    echo "== round $round" | tee -a "$results"
    measure baseline "http://127.0.0.1:$BASE/__lbheartbeat__"
    measure lbheartbeat "http://127.0.0.1:$SVC/__lbheartbeat__"
    measure version "http://127.0.0.1:$SVC/__version__"
    measure baseline-version "http://127.0.0.1:$BASE/__version__"
    before=$(curl -fs "http://127.0.0.1:$SVC/bench/check-runs")
    t0=$(date +%s.%N)
    measure heartbeat-db "http://127.0.0.1:$SVC/__heartbeat__"
    t1=$(date +%s.%N)
    after=$(curl -fs "http://127.0.0.1:$SVC/bench/check-runs")
    echo "RESULT heartbeat-db-checks runs=$((after - before)) seconds=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")" | tee -a "$results"
    measure summary-on "http://127.0.0.1:$SVC/"
    measure summary-off "http://127.0.0.1:$NOLOG/"
    # The baseline again at the end of the round: each round's ratios are against the mean of
    # its two baseline runs, which cancels most of the machine's drift within a round.
    measure baseline "http://127.0.0.1:$BASE/__lbheartbeat__"
done
sleep 2
rss_after_kb=$(awk '/VmRSS/ {print $2}' "/proc/$SVC_PID/status")
echo "RESULT rss idle_kb=$rss_idle_kb after_load_idle_kb=$rss_after_kb" | tee -a "$results"
summary_lines=$(grep -c '"Type":"request.summary"' "$tmp/service-$SVC.log" || true)
echo "RESULT summary-lines-written=$summary_lines" | tee -a "$results"

python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
rounds = []
for line in open(sys.argv[1]):
    if line.startswith("== round"):
        rounds.append({})
    m = re.match(r"RESULT (\S+) rps=(\S+) p50=(\S+) p99=(\S+)", line)
    if m:
        rows.setdefault(m[1], []).append((float(m[2]), m[3], m[4]))
        rounds[-1].setdefault(m[1], []).append(float(m[2]))
def ms(v):
    n = float(re.match(r"[\d.]+", v)[0]); u = v[len(re.match(r"[\d.]+", v)[0]):]
    return n * {"us": 0.001, "ms": 1, "s": 1000}[u]
base = statistics.median(r[0] for r in rows.get("baseline", [(0, "0ms", "0ms")]))
def round_ratios(k, against="baseline"):
    """Each round's req/s of k over the mean of that round's runs of `against`."""
    return [statistics.mean(r[k]) / statistics.mean(r[against]) for r in rounds if k in r and against in r]
print("\n| measurement | req/s (median) | vs baseline (medians) | vs baseline (median of per-round ratios) | p50 ms | p99 ms | runs |")
print("|---|---|---|---|---|---|---|")
for k, v in rows.items():
    rps = statistics.median(r[0] for r in v)
    p50 = statistics.median(ms(r[1]) for r in v); p99 = statistics.median(ms(r[2]) for r in v)
    per_round = statistics.median(round_ratios(k))
    print(f"| {k} | {rps:,.0f} | {rps / base:.2f}x | {per_round:.2f}x | {p50:.2f} | {p99:.2f} | {' / '.join(f'{r[0]:,.0f}' for r in v)} |")
same = round_ratios("version", "baseline-version")
if same:
    print(f"\n/__version__ against the baseline answering the same bytes (per round): {' / '.join(f'{x:.2f}x' for x in same)}; median {statistics.median(same):.2f}x")
cost = [1 - x for x in round_ratios("summary-on", "summary-off")]
if cost:
    print(f"\nrequest.summary cost (1 - on/off, per round): {' / '.join(f'{c:.1%}' for c in cost)}; median {statistics.median(cost):.1%}")
PY
echo "raw results: $results"
