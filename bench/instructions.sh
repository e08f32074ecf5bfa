#!/usr/bin/env bash
# Instructions per request of the library's service and the bare baseline, under valgrind's
# callgrind: a figure a busy machine does not disturb (unlike wrk's requests/s), for comparing
# changes to the per-request path.
#
#   bench/instructions.sh                     # N=2000 keep-alive requests per path
#   N=5000 bench/instructions.sh
#   KEEP=/tmp/cg bench/instructions.sh       # keep the callgrind files (callgrind_annotate)
#   BIN=/tmp/base/release bench/instructions.sh   # servers already built there (no build)
#   CASES='service /__version__ plain;service /__version__ gcp+tp' bench/instructions.sh
#                                             # only these cases (server path variant; `;` between)
#
# Each server runs under callgrind twice per path, once serving N and once 2N requests (one
# connection, keep-alive, apache2-utils' ab), and stops on SIGTERM; the difference of the two
# totals divided by N is the cost of one request with start-up and shut-down cancelled out.
# Counts include every thread of the server (the mozlog writer thread too), not the client.
# A case's third word adds to the request and the server: `tp` a W3C `traceparent` header,
# `gcp+tp` that header and Cloud Logging fields (DOCKERFLOW_LOG_GCP=true, a project).
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-2000}"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
command -v ab >/dev/null || { apt-get update -qq && apt-get install -y -qq apache2-utils >/dev/null; }
if [ -z "${BIN:-}" ]; then
    cargo build --release -q -p dockerflow-bench
    BIN="${CARGO_TARGET_DIR:-target}/release"
fi
TRACEPARENT='traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
printf '{"source":"https://github.com/dockerflow-rs/dockerflow","version":"bench","commit":"0123456789abcdef0123456789abcdef01234567","build":"https://ci.example.com/bench"}\n' >"$tmp/version.json"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

total() { # server path variant requests -> total instructions of the server process
    local server=$1 path=$2 variant=$3 n=$4 port out gcp=false header=()
    port=$(free_port)
    out="$tmp/callgrind.$server${path//\//_}.$variant.$n"
    case $variant in
        tp) header=(-H "$TRACEPARENT") ;;
        gcp+tp) header=(-H "$TRACEPARENT"); gcp=true ;;
    esac
    DOCKERFLOW_LOG_GCP=$gcp DOCKERFLOW_GCP_PROJECT=bench-project PORT=$port HOST=127.0.0.1 DOCKERFLOW_VERSION_FILE="$tmp/version.json" \
        DOCKERFLOW_DRAIN_DELAY_MS=0 DOCKERFLOW_LOG_FORMAT=mozlog \
        valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/$server" \
        >/dev/null 2>"$tmp/vg.log" &
    pid=$!
    for _ in $(seq 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/__lbheartbeat__" && break; sleep 0.1; done
    ab -q -k "${header[@]}" -n "$n" -c 1 "http://127.0.0.1:$port$path" >/dev/null
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
    [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$out" "$KEEP/"
    grep -m1 '^summary:\|^totals:' "$out" | awk '{print $2}'
}

ALL_CASES=("baseline / plain" "service /__lbheartbeat__ plain" "service /__version__ plain"
    "service /__version__ tp" "service /__version__ gcp+tp" "service / plain" "service /span plain")
if [ -n "${CASES:-}" ]; then IFS=';' read -r -a ALL_CASES <<<"$CASES"; fi
printf '| server | path | variant | instructions/request |\n|---|---|---|---|\n'
for case in "${ALL_CASES[@]}"; do
    set -- $case
    one=$(total "$1" "$2" "$3" "$N")
    two=$(total "$1" "$2" "$3" $((2 * N)))
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" $(((two - one) / N))
done
