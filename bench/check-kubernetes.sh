#!/usr/bin/env bash
# Wall time of `dockerflow check kubernetes deploy/kubernetes` (the repository's manifests),
# process start to exit, RUNS times: median, minimum and maximum in milliseconds. The target
# (issue 17) is under 50 ms.
#
#   bench/check-kubernetes.sh                 # release build, 50 runs
#   RUNS=20 PROFILE=debug bench/check-kubernetes.sh
. "$(dirname "$0")/lib.sh"
bounded RUNS 50 1 10000
start_bench

python3 - "$BIN" "$RUNS" <<'PY'
import statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
cmd = [bin, "check", "kubernetes", "deploy/kubernetes"]
times = []
for _ in range(runs):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}; expected 0 (the manifests pass)")
print(f"{' '.join(cmd[1:])}: {runs} runs, median {statistics.median(times):.1f} ms, "
      f"min {min(times):.1f} ms, max {max(times):.1f} ms")
PY
