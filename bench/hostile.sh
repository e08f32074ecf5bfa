#!/usr/bin/env bash
# Time and peak memory of `dockerflow check image` on the hostile images bench/hostile.py makes.
# usage: [NAMES="deep2000 ..."] bench/hostile.sh DOCKERFLOW_BINARY [DIR]
#   (DIR defaults to target/hostile, made if missing; NAMES defaults to all five images)
# Prints one line per image: name, exit code, wall seconds, user seconds, peak RSS (KB), and the
# first error or DF105 line.
set -euo pipefail
bin=${1:?usage: bench/hostile.sh DOCKERFLOW_BINARY [DIR]}
dir=${2:-target/hostile}
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$dir/empty_whiteout.tar" ] || python3 "$here/hostile.py" "$dir" >/dev/null
for name in ${NAMES:-deep2000 deep2000_f20000 longnames_100k symlink_loop empty_whiteout}; do
    out=$(mktemp)
    set +e
    /usr/bin/time -f "%e %U %S %M" -o "$out.time" timeout 300 "$bin" check image "docker-archive:$dir/$name.tar" >"$out" 2>&1
    code=$?
    set -e
    read -r wall user sys rss < <(tail -n1 "$out.time") || true
    note=$(grep -m1 -E "error:|symbolic links|does not exist|empty name" "$out" | sed "s/^ *//" | cut -c1-120 || true)
    printf "%-16s exit %-3s wall %6ss user %6ss sys %6ss rss %8s KB  %s\n" "$name" "$code" "$wall" "$user" "$sys" "$rss" "$note"
    rm -f "$out" "$out.time"
done
