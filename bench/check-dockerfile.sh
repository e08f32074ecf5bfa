#!/usr/bin/env bash
# Speed of `dockerflow check dockerfile`, process start included: on the largest Dockerfile of
# the pattern set and on the repository's own, then reading build contexts of 100,000 files
# (bounded: directories the .dockerignore excludes are not walked).
#
#   bench/check-dockerfile.sh             # hyperfine, 3 warm-ups, at least 20 runs each
#   FILES=200000 bench/check-dockerfile.sh
#
# Contexts are generated here, in a temporary directory removed on exit: FILES small files in
# directories of 500, plus (in the second one) an ignored node_modules of FILES more that must
# not be walked. FILES is capped at 1,000,000.
. "$(dirname "$0")/lib.sh"
bounded FILES 100000 1000 1000000
command -v hyperfine > /dev/null || { echo "hyperfine not found (apt-get install hyperfine)" >&2; exit 2; }
start_bench

largest=$(ls -S crates/check/tests/patterns/*.Dockerfile | head -1)
mkdir -p "$tmp/empty"
python3 - "$tmp" "$FILES" <<'PY'
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
def tree(root, count, prefix):
    for k in range(count):
        d = os.path.join(root, f"{prefix}{k // 500}")
        if k % 500 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{k}.py"), "w") as f:
            f.write("x = 1\n")
dockerfile = open("Dockerfile").read()
for name in ["plain", "ignored"]:
    root = os.path.join(out, name)
    tree(os.path.join(root, "src"), n, "pkg")
    with open(os.path.join(root, "Dockerfile"), "w") as f:
        f.write(dockerfile)
ign = os.path.join(out, "ignored")
tree(os.path.join(ign, "node_modules"), n, "mod")
with open(os.path.join(ign, ".dockerignore"), "w") as f:
    f.write("node_modules\n**/*.pyc\n!src/pkg0/keep.pyc\n")
PY
echo "contexts: $FILES files each; the second has $FILES more under an ignored node_modules"

hyperfine -N --warmup 3 --min-runs 20 -i \
    -n "largest pattern ($(basename "$largest"), context: an empty directory)" \
    "$BIN check dockerfile $largest --context $tmp/empty" \
    -n "repository Dockerfile (context: an empty directory)" \
    "$BIN check dockerfile Dockerfile --context $tmp/empty" \
    -n "repository Dockerfile (context: the repository)" \
    "$BIN check dockerfile Dockerfile" \
    -n "context of $FILES files" \
    "$BIN check dockerfile $tmp/plain/Dockerfile" \
    -n "context of $FILES files + $FILES ignored" \
    "$BIN check dockerfile $tmp/ignored/Dockerfile"
