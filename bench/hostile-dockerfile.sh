#!/usr/bin/env bash
# Time and peak memory of `dockerflow check dockerfile` on the hostile Dockerfiles of the
# robustness review: variable expansion that doubles a value on every line (ENV and ARG forms).
# Before the expansion budget, 26 ENV doublings took 2.1 GB and 9.9 s, 40 ran past two minutes
# at 20 GB, and 40 global ARGs were killed by the OOM killer at 24 GB.
#
#   bench/hostile-dockerfile.sh [BINARY]    (default: target/release/dockerflow)
#
# Each run is under `ulimit -v 4 GiB` and `timeout 120`, so an unbounded case cannot take the
# machine down; prints: case, exit code, wall seconds, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/dockerflow}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release -p dockerflow-cli)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

doublings() { # KEYWORD COUNT
    for _ in $(seq "$2"); do printf '%s A=$A$A\n' "$1"; done
}
{ printf 'FROM debian\nENV A=xxxxxxxx\n'; doublings ENV 20; } >"$dir/env-x20"
{ printf 'FROM debian\nENV A=xxxxxxxx\n'; doublings ENV 26; } >"$dir/env-x26"
{ printf 'FROM debian\nENV A=xxxxxxxx\n'; doublings ENV 40; } >"$dir/env-x40"
{ printf 'ARG A=xxxxxxxx\n'; doublings ARG 40; printf 'FROM debian:$A\n'; } >"$dir/arg-x40"
{ printf 'FROM debian\nENV A=xxxxxxxx\n'; doublings ENV 16; for i in $(seq 64); do printf 'ENV B%s=$A\n' "$i"; done; } >"$dir/env-many-512k"

printf '%-16s %5s %6s %9s %s\n' case exit bytes seconds 'peak RSS'
for f in env-x20 env-x26 env-x40 arg-x40 env-many-512k; do
    set +e
    /usr/bin/time -o "$dir/time" -f '%e %M' \
        bash -c 'ulimit -v 4194304; exec timeout 120 "$0" check dockerfile "$1" >/dev/null 2>&1' \
        "$bin" "$dir/$f"
    code=$?
    set -e
    read -r secs kb < <(tail -n 1 "$dir/time")
    printf '%-16s %5s %6s %9s %s MB\n' "$f" "$code" "$(wc -c <"$dir/$f")" "$secs" "$((kb / 1024))"
done
