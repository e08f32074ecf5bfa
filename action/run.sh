#!/usr/bin/env bash
# The step of action.yml that runs dockerflow, as a GitHub runner runs it: inputs come as
# INPUT_* variables, outputs go to $GITHUB_OUTPUT, the job summary to $GITHUB_STEP_SUMMARY.
#   INPUT_COMMAND     check dockerfile | check image | ci
#   INPUT_TARGET      the Dockerfile or the image reference (check commands)
#   INPUT_FORMAT      text | json | junit | sarif | gnu: the report printed to the log (gnu
#                     also registers docs/ci/dockerflow-problem-matcher.json: annotations)
#   INPUT_REPORTS     empty, or space-separated FORMAT=FILE pairs passed as --report FORMAT=FILE
#   INPUT_FAIL_ON     empty, or passed as --fail-on (fail | warn)
#   INPUT_ARGS        more arguments, split on spaces
#   INPUT_SARIF_FILE  where the SARIF report goes (check commands)
# DOCKERFLOW (default: dockerflow on PATH) names the binary. Exit status: dockerflow's.
set -uo pipefail
dockerflow=${DOCKERFLOW:-dockerflow}
command=${INPUT_COMMAND:-check dockerfile}
target=${INPUT_TARGET-Dockerfile}
format=${INPUT_FORMAT:-text}
sarif=${INPUT_SARIF_FILE:-dockerflow.sarif}
output=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}

fail() {
    echo "::error title=dockerflow action::$*"
    echo "exit-code=2" >>"$output"
    exit 2
}
case "$format" in text | json | junit | sarif | gnu) ;; *) fail "format: expected text, json, junit, sarif or gnu, got '$format'" ;; esac
read -r -a pairs <<<"${INPUT_REPORTS:-}"
reports=()
for pair in "${pairs[@]}"; do
    case "$pair" in
    text=?* | json=?* | junit=?* | sarif=?* | gnu=?* | html=?* | badge=?*) ;;
    *) fail "reports: expected FORMAT=FILE pairs (FORMAT: text, json, junit, sarif, gnu, html or badge), got '$pair'" ;;
    esac
    mkdir -p "$(dirname "${pair#*=}")"
    reports+=(--report "$pair")
done
case "${INPUT_FAIL_ON:-}" in "" | fail | warn) ;; *) fail "fail-on: expected fail or warn (or empty), got '$INPUT_FAIL_ON'" ;; esac
read -r -a extra <<<"${INPUT_ARGS:-}"
fail_on=()
[ -n "${INPUT_FAIL_ON:-}" ] && fail_on=(--fail-on "$INPUT_FAIL_ON")
command -v "$dockerflow" >/dev/null || fail "$dockerflow is not installed (input install: true installs it)"

report=$(mktemp)
trap 'rm -f "$report"' EXIT
case "$command" in
"check dockerfile" | "check image")
    [ -n "$target" ] || fail "target: the Dockerfile or image to check is empty"
    label=$target
    mkdir -p "$(dirname "$sarif")"
    if [ "$format" = gnu ] && [ -n "${GITHUB_ACTION_PATH:-}" ]; then
        echo "::add-matcher::$GITHUB_ACTION_PATH/docs/ci/dockerflow-problem-matcher.json"
    fi
    read -r -a words <<<"$command"
    "$dockerflow" "${words[@]}" "$target" --format "$format" --report "sarif=$sarif" \
        --report "text=$report" "${reports[@]}" "${fail_on[@]}" "${extra[@]}"
    status=$?
    echo "sarif-file=$sarif" >>"$output"
    ;;
ci)
    label=""
    "$dockerflow" ci "${extra[@]}" 2>&1 | tee "$report"
    status=${PIPESTATUS[0]}
    echo "sarif-file=" >>"$output"
    ;;
*) fail "command: expected 'check dockerfile', 'check image' or 'ci', got '$command'" ;;
esac
echo "exit-code=$status" >>"$output"

case "$status" in 0) verdict="passed" ;; 1) verdict="failed" ;; *) verdict="could not run (exit status $status)" ;; esac
{
    echo "### dockerflow $command${label:+ \`$label\`}: $verdict"
    echo
    grep -m1 '^verdict:' "$report" || true
    echo
    echo '<details><summary>Report</summary>'
    echo
    echo '```'
    tail -c 60000 "$report"
    echo '```'
    echo
    echo '</details>'
} >>"$summary"
exit "$status"
