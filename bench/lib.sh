# Shared set-up of the check bench scripts, sourced first: `. "$(dirname "$0")/lib.sh"`.
# It turns on bash's strict mode and moves to the repository root; the rest is functions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# bounded NAME DEFAULT MIN MAX: sets NAME from the environment, or to DEFAULT when unset, and
# exits 2 with a message unless it is a whole number from MIN to MAX.
bounded() {
    local name=$1 value="${!1:-$2}"
    [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge "$3" ] && [ "$value" -le "$4" ] \
        || { echo "$name must be $3..$4 (got $value)" >&2; exit 2; }
    printf -v "$name" '%s' "$value"
}

# Builds the dockerflow binary with cargo's PROFILE (release or debug; release when unset) and
# sets BIN to its absolute path; sets tmp to a new temporary directory, removed when the script
# exits; prints the conditions of the measurement (time, cores, load, profile).
start_bench() {
    PROFILE="${PROFILE:-release}"
    case "$PROFILE" in
      release) cargo build --release -q -p dockerflow-cli ;;
      debug) cargo build -q -p dockerflow-cli ;;
      *) echo "PROFILE must be release or debug" >&2; exit 2 ;;
    esac
    BIN="$(realpath "${CARGO_TARGET_DIR:-target}/$PROFILE/dockerflow")"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $PROFILE build"
}

# The median of the numbers on stdin (separated by spaces or new lines); the lower middle one
# of an even count.
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# time_run NAME COMMAND...: runs the command once with its output in "$tmp/out.NAME", and
# appends its wall time in seconds to times[NAME] (an associative array the caller declares).
# Sets rc (its exit status) and t (its wall time) for the caller's RESULT line.
time_run() {
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    set +e
    "$@" > "$tmp/out.$name" 2>&1
    rc=$?
    set -e
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    times[$name]="${times[$name]:-} $t"
}
