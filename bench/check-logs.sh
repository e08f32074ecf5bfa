#!/usr/bin/env bash
# Time and peak memory of `dockerflow check logs` on a generated log of REQUESTS sequential
# requests (a handler record with rid and a request.summary each, a background record every
# 100), against the same lines with no request.summary (DF706/DF708 then skip): the cost of
# judging request ids (DF708) over large logs, which must grow with the log, not its square.
#
#   bench/check-logs.sh                   # release build, 100,000 requests
#   REQUESTS=20000 PROFILE=debug bench/check-logs.sh
#
# The logs are generated in a temporary directory removed on exit. REQUESTS is capped at
# 1,000,000.
. "$(dirname "$0")/lib.sh"
bounded REQUESTS 100000 1000 1000000
start_bench

python3 - "$tmp" "$REQUESTS" <<'PY'
import json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
t0 = 1_796_000_000_000_000_000
def rec(ts, kind, fields):
    return json.dumps({"Timestamp": ts, "Type": kind, "Logger": "app", "Hostname": "h",
                       "EnvVersion": "2.0", "Severity": 6, "Pid": 1, "Fields": fields})
with open(os.path.join(out, "requests.log"), "w") as a, open(os.path.join(out, "plain.log"), "w") as b:
    for i in range(n):
        t, rid = t0 + i * 1_000_000, f"r{i}"
        lines = [rec(t + 100, "app.db", {"msg": "q", "rid": rid}),
                 rec(t + 300_000, "request.summary", {"msg": "", "agent": "a", "path": "/",
                     "method": "GET", "code": 200, "errno": 0, "lang": "", "t": 0,
                     "rid": rid, "uid": ""})]
        if i % 100 == 0:
            lines.append(rec(t + 600_000, "app.tick", {"msg": "tick"}))
        a.write("\n".join(lines) + "\n")
        b.write("\n".join(lines).replace('"request.summary"', '"app.other"') + "\n")
PY
for name in requests plain; do
  f="$tmp/$name.log"
  /usr/bin/time -f "$name.log ($(wc -l < "$f") lines, $(du -m "$f" | cut -f1) MB): %e s, %M KB peak" \
    "$BIN" check logs "$f" --format json > /dev/null 2> "$tmp/$name.err" || true
  tail -n 1 "$tmp/$name.err"
done
