#!/usr/bin/env bash
# Fuzzes the targets with cargo-fuzz (libFuzzer; needs a nightly toolchain and `cargo install
# cargo-fuzz`), each for SECONDS, then merges what it found into fuzz/corpus/<target>/ (only
# inputs that add coverage) so the tests replay them. Exits 1 at the first crash, timeout or
# out-of-memory, with libFuzzer's report; the input is in fuzz/libfuzzer/artifacts/<target>/.
#
#   fuzz/run.sh SECONDS [TARGET...]     (default: every target)
#
# FUZZ_WORK (default /tmp/dockerflow-fuzz) holds the new inputs; FUZZ_MERGE=0 leaves
# fuzz/corpus alone (CI). Settings as in docs/FUZZING.md: no sanitizer (the crates deny unsafe
# code), debug assertions and overflow checks on, 2 GB RSS and 10 s per input.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dockerfile image_ref passwd layer archive manifest_json version_json mozlog kubernetes http_response)
work=${FUZZ_WORK:-/tmp/dockerflow-fuzz}
fuzz=(cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer -s none --debug-assertions)
limits=(-rss_limit_mb=2048 -timeout=10 -max_len=262144)
for t in "${targets[@]}"; do
    mkdir -p "$work/$t"
    echo "== $t: ${seconds}s"
    log="$work/$t.log"
    if ! "${fuzz[@]}" "$t" "$work/$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" \
        "${limits[@]}" -print_final_stats=1 >"$log" 2>&1; then
        grep -E -A30 '^==[0-9]+== ERROR|panicked at|^SUMMARY' "$log" | head -60
        echo "fuzz/run.sh: $t failed; the input is in fuzz/libfuzzer/artifacts/$t/, the log in $log" >&2
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+ +DONE' "$log"
    if [ "${FUZZ_MERGE:-1}" != 0 ]; then
        "${fuzz[@]}" "$t" "fuzz/corpus/$t" "$work/$t" -- -merge=1 "${limits[@]}" 2>&1 |
            grep -E 'MERGE-OUTER: [0-9]+ new files' || true
    fi
done
