#!/usr/bin/env bash
# Throughput and peak memory of `dockerflow check logs` streaming a large log: SIZE_MB
# (1024 by default) of generated mozlog, judged from a file and from stdin, with GNU time
# (elapsed seconds, peak resident set). The log is a link shortener's: per request a handler
# record and a database record with the request's rid and a request.summary (about 1 KB of
# text for 3 records), a background record every 1,000 requests. Every log rule is judged
# (DF701, DF702, DF706, DF708); the verdict must be a pass.
#
#   bench/check-logs-stream.sh                       # release build, 1 GiB, 3 rounds
#   SIZE_MB=200 ROUNDS=1 PROFILE=debug bench/check-logs-stream.sh
#   BASELINE_BIN=/tmp/old/dockerflow bench/check-logs-stream.sh   # and another build, for a before
#
# The log is written to a temporary directory (removed on exit) first, so that the generator's
# own speed is not measured. SIZE_MB is 10..4096.
. "$(dirname "$0")/lib.sh"
bounded SIZE_MB 1024 10 4096
bounded ROUNDS 3 1 20
start_bench

python3 - "$tmp/app.log" "$SIZE_MB" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
t0 = 1_796_000_000_000_000_000
host = '"Logger":"shortener","Hostname":"web-7c9f6d5b8-x2k4q","EnvVersion":"2.0"'
block = (
    '{"Timestamp":%(a)d,"Type":"app.handler",' + host + ',"Severity":7,"Pid":1,"Fields":{"msg":"resolving short code abc123 for a redirect, cache miss, asking the database","code":"abc123","rid":"%(rid)s"}}\n'
    '{"Timestamp":%(b)d,"Type":"app.db",' + host + ',"Severity":7,"Pid":1,"Fields":{"msg":"SELECT target, created_at, hits FROM links WHERE code = $1 AND deleted_at IS NULL LIMIT 1","rows":1,"elapsed_ms":0,"rid":"%(rid)s"}}\n'
    '{"Timestamp":%(c)d,"Type":"request.summary",' + host + ',"Severity":6,"Pid":1,"Fields":{"msg":"","agent":"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0","path":"/r/abc123","method":"GET","code":302,"errno":0,"lang":"en-US,en;q=0.5","t":1,"rid":"%(rid)s","uid":""}}\n'
)
tick = '{"Timestamp":%d,"Type":"app.tick",' + host + ',"Severity":6,"Pid":1,"Fields":{"msg":"cache sweep"}}\n'
written, i, out = 0, 0, []
with open(path, "w") as f:
    while written < size:
        t = t0 + i * 3_000_000
        s = block % {"a": t, "b": t + 500_000, "c": t + 1_000_000, "rid": "%08x-4b1c-4e1a-9d3e-5f6a7b8c9d0e" % i}
        if i % 1000 == 999:
            s += tick % (t + 2_000_000)
        out.append(s)
        written += len(s)
        i += 1
        if len(out) >= 4096:
            f.write("".join(out))
            out = []
    f.write("".join(out))
print(f"generated {i} requests, {written} bytes")
PY
bytes=$(stat -c %s "$tmp/app.log")
verdict=$("$BIN" check logs "$tmp/app.log" | tail -n 1)
echo "$verdict"
case "$verdict" in "verdict: PASS"*) ;; *) echo "expected a pass" >&2; exit 1 ;; esac

hows="file stdin"
[ -n "${BASELINE_BIN:-}" ] && hows="$hows baseline"
for round in $(seq "$ROUNDS"); do
  for how in $hows; do
    case "$how" in
      file) /usr/bin/time -f "%e %M" -o "$tmp/time" "$BIN" check logs "$tmp/app.log" > /dev/null ;;
      stdin) /usr/bin/time -f "%e %M" -o "$tmp/time" "$BIN" check logs - < "$tmp/app.log" > /dev/null ;;
      baseline) /usr/bin/time -f "%e %M" -o "$tmp/time" "$BASELINE_BIN" check logs "$tmp/app.log" > /dev/null ;;
    esac
    read -r secs kb < "$tmp/time"
    python3 -c "import sys; b,s,k=int(sys.argv[1]),float(sys.argv[2]),int(sys.argv[3]); print(f'RESULT round $round $how: {b/2**20:.0f} MiB in {s:.2f} s = {b/2**20/s:.1f} MiB/s, peak RSS {k/1024:.1f} MiB')" "$bytes" "$secs" "$kb"
  done
done
