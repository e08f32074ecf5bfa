#!/usr/bin/env bash
# Runs action.yml's steps the way a GitHub runner would (action/runner.py: INPUT_* variables,
# GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_PATH files) with a locally built dockerflow in
# place of the crates.io install (as on a cache hit), and checks the exit codes, the outputs,
# the SARIF file and the job summary.
#   action/test.sh [DOCKERFLOW_BINARY]     default: target/debug/dockerflow ($CARGO_TARGET_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath "${1:-${CARGO_TARGET_DIR:-$root/target}/debug/dockerflow}")
[ -x "$binary" ] || { echo "action/test.sh: no dockerflow binary at $binary (cargo build -p dockerflow-cli)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The cached binary, where the action's cache step restores it.
export HOME="$work/home"
mkdir -p "$HOME/.dockerflow-action/bin" "$work/repo"
ln -s "$binary" "$HOME/.dockerflow-action/bin/dockerflow"
cp "$root/Dockerfile" "$work/repo/Dockerfile"
cp "$root/crates/dockerfile/tests/fixtures/zero2prod.Dockerfile" "$work/repo/bad.Dockerfile"

run() { python3 "$root/action/runner.py" "$work/repo" "$@"; }
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }
expect() { # NAME WANT GOT
    if [ "$2" != "$3" ]; then echo "action/test.sh: $1: expected '$2', got '$3'" >&2; exit 1; fi
    echo "ok: $1"
}

good=$(run)
expect "the repository's Dockerfile passes" 0 "$(field status <<<"$good")"
expect "exit-code output" 0 "$(field outputs.exit-code <<<"$good")"
expect "sarif-file output" dockerflow.sarif "$(field outputs.sarif-file <<<"$good")"
expect "the install steps were skipped, the binary put on PATH" \
    "Put dockerflow on PATH,dockerflow check dockerfile" \
    "$(python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["steps"]))' <<<"$good")"
python3 - "$work/repo/dockerflow.sarif" <<'PY'
import json, sys
sarif = json.load(open(sys.argv[1]))
assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "dockerflow", sarif.keys()
assert [r for r in sarif["runs"][0]["results"] if r["level"] == "error"] == [], "no error results"
PY
echo "ok: SARIF 2.1.0 from dockerflow, no error result"
summary=$(field summary <<<"$good")
grep -q '^### dockerflow check dockerfile `Dockerfile`: passed$' <<<"$summary"
grep -q '^verdict: PASS' <<<"$summary"
echo "ok: job summary (passed, verdict line)"

bad=$(run target=bad.Dockerfile format=json sarif-file=out/bad.sarif)
expect "a Dockerfile without USER fails the step" 1 "$(field status <<<"$bad")"
expect "exit-code output" 1 "$(field outputs.exit-code <<<"$bad")"
python3 - "$work/repo/out/bad.sarif" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["runs"][0]["results"]
assert any(r["ruleId"] == "DF203" and r["level"] == "error" for r in results), results
PY
echo "ok: its SARIF (in a folder that did not exist) has DF203 as an error"
grep -q '^### dockerflow check dockerfile `bad.Dockerfile`: failed$' <<<"$(field summary <<<"$bad")"
echo "ok: job summary (failed)"

out=$(run target=bad.Dockerfile "reports=html=out/report.html badge=dockerflow.svg" 2>/dev/null)
expect "with reports, the step's status is still the check's" 1 "$(field status <<<"$out")"
grep -q '<!DOCTYPE html>' "$work/repo/out/report.html"
grep -q 'DF203' "$work/repo/out/report.html"
echo "ok: reports html=FILE writes the HTML report, in a folder that did not exist"
grep -q '^<svg' "$work/repo/dockerflow.svg"
grep -q 'failed' "$work/repo/dockerflow.svg"
echo "ok: reports badge=FILE writes the SVG badge"
log=$(run target=bad.Dockerfile format=gnu 2>&1 >/dev/null)
matcher=$(sed -n 's/^::add-matcher::\(.*\)$/\1/p' <<<"$log")
test -f "$matcher"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))["problemMatcher"]' "$matcher"
echo "ok: format gnu registers the problem matcher ($matcher)"
python3 - "$matcher" "$log" <<'PY'
import json, re, sys
pattern = json.load(open(sys.argv[1]))["problemMatcher"][0]["pattern"][0]
hits = [m for m in (re.match(pattern["regexp"], l) for l in sys.argv[2].splitlines()) if m]
assert any(m.group(pattern["code"]) == "DF203" for m in hits), sys.argv[2]
PY
echo "ok: the matcher's regexp finds DF203 in the gnu lines the step printed"

for wrong in "format=yaml" "format=html" "reports=pdf=out.pdf" "reports=html" "fail-on=sometimes" "command=check everything" "target="; do
    out=$(run "$wrong")
    expect "input $wrong is refused" 2 "$(field status <<<"$out")"
done
# fail-on and args reach the command line as written (a stand-in dockerflow records it), and
# install: false uses the dockerflow on PATH.
mkdir -p "$work/stub"
printf '#!/bin/sh\nprintf "%%s " "$@" >"%s/argv"\n' "$work" >"$work/stub/dockerflow"
chmod +x "$work/stub/dockerflow"
out=$(PATH="$work/stub:$PATH" run install=false fail-on=warn "args=--profile mozcloud")
expect "install: false runs the dockerflow on PATH" 0 "$(field status <<<"$out")"
grep -q -- '^check dockerfile Dockerfile --format text --report sarif=dockerflow.sarif --report text=[^ ]* --fail-on warn --profile mozcloud $' "$work/argv" ||
    { echo "action/test.sh: unexpected command line: $(cat "$work/argv")" >&2; exit 1; }
echo "ok: fail-on warn is passed as --fail-on warn, args after it"
out=$(PATH="$work/stub:$PATH" run install=false)
! grep -q -- '--fail-on' "$work/argv" || { echo "action/test.sh: --fail-on passed without the input" >&2; exit 1; }
echo "ok: no --fail-on when the input is empty"
echo "action/test.sh: the action's steps behave"
