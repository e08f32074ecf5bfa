#!/usr/bin/env bash
# Time and peak memory of `dockerflow check image` on the hostile images bench/hostile.py makes.
# usage: [NAMES="deep2000 ..."] [ARGS="--max-memory 256MiB"] bench/hostile.sh DOCKERFLOW_BINARY [DIR]
#   (DIR defaults to target/hostile, made if missing; NAMES defaults to every image of hostile.py)
# Prints one line per image: name, exit code, wall seconds, user seconds, peak RSS (KB), and the
# first error or DF105 line.
set -euo pipefail
bin=${1:?usage: bench/hostile.sh DOCKERFLOW_BINARY [DIR]}
dir=${2:-target/hostile}
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$dir/digest_mismatch.tar" ] || python3 "$here/hostile.py" "$dir" >/dev/null
all="deep2000 deep2000_f20000 deep10000 longnames_100k symlink_loop empty_whiteout traversal
     link_escape whiteout_root size_u64max pax_8gib gzip_bomb layers_10k config_100mb digest_mismatch"
for name in ${NAMES:-$all}; do
    out=$(mktemp)
    set +e
    /usr/bin/time -f "%e %U %S %M" -o "$out.time" timeout 300 "$bin" check image "docker-archive:$dir/$name.tar" ${ARGS:-} >"$out" 2>&1
    code=$?
    set -e
    read -r wall user sys rss < <(tail -n1 "$out.time") || true
    # The error, else what DF105 or the loop check found, else the first finding.
    note=$({ grep -m1 "error:" "$out" || grep -m1 -E "not applied as written|symbolic links|empty name" "$out" ||
        grep -m1 "found: " "$out"; } | sed "s/^ *//; s/^found: *//; s|$dir/||" | cut -c1-150 || true)
    printf "%-16s exit %-3s wall %6ss user %6ss sys %6ss rss %8s KB  %s\n" "$name" "$code" "$wall" "$user" "$sys" "$rss" "$note"
    rm -f "$out" "$out.time"
done
