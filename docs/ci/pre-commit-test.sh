#!/usr/bin/env bash
# Tries this repository's pre-commit hook (.pre-commit-hooks.yaml) as a user's project would
# get it, with `pre-commit try-repo` (PyPI pre-commit), in a temporary git repository holding
# a compliant Dockerfile and a broken one: the compliant one must pass, the broken one fail.
# The hook is `language: rust`: pre-commit builds it with `cargo install --path .` from the
# repository's root (with the cargo on PATH). Set CARGO_TARGET_DIR to reuse a release build.
#   docs/ci/pre-commit-test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v pre-commit >/dev/null || { echo "pre-commit-test.sh: pre-commit is not installed (python3 -m pip install pre-commit)" >&2; exit 2; }
command -v cargo >/dev/null || { echo "pre-commit-test.sh: no cargo on PATH (the hook is built from source)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"
git -C "$work" init -q project
cp "$root/Dockerfile" "$work/project/Dockerfile"
cp "$root/crates/dockerfile/tests/fixtures/zero2prod.Dockerfile" "$work/project/app.Dockerfile"
echo "not a Dockerfile" >"$work/project/notes.txt"
git -C "$work/project" add -A

try() { (cd "$work/project" && pre-commit try-repo "$root" dockerflow-check-dockerfile --verbose "$@"); }
try --files Dockerfile >"$work/good.log" 2>&1 || { cat "$work/good.log"; echo "pre-commit-test.sh: the compliant Dockerfile did not pass" >&2; exit 1; }
grep -q 'verdict: PASS' "$work/good.log" || { cat "$work/good.log"; echo "pre-commit-test.sh: the hook did not run on Dockerfile" >&2; exit 1; }
echo "ok: the compliant Dockerfile passes"
if try --all-files >"$work/all.log" 2>&1; then
    cat "$work/all.log"; echo "pre-commit-test.sh: app.Dockerfile (no USER) passed" >&2; exit 1
fi
grep -q 'app.Dockerfile' "$work/all.log" &&
    grep -q 'verdict: FAIL' "$work/all.log" &&
    ! grep -q 'notes.txt' "$work/all.log" || { cat "$work/all.log"; echo "pre-commit-test.sh: expected app.Dockerfile checked and failed, notes.txt not checked" >&2; exit 1; }
echo "ok: the broken app.Dockerfile fails the hook; notes.txt is not a Dockerfile"
