#!/usr/bin/env bash
# The issue-17 cross-check: one Deployment with the Dockerflow faults CONTRACT.md §2.1 names
# (probes on /__heartbeat__, no runAsUser, PORT 8000 against containerPort 8080, a 5 s grace
# period), judged by `dockerflow check kubernetes` and by checkov (`pip install checkov`).
# Prints each tool's failed checks; docs/CROSS-CHECKS.md records a run.
#
#   bash docs/cross-checks/kubernetes-checkov.sh      # uses target/debug/dockerflow
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p dockerflow-cli
BIN="$(realpath "${CARGO_TARGET_DIR:-target}/debug/dockerflow")"
command -v checkov >/dev/null || { echo "checkov not on PATH: pip install checkov" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: app
          image: registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000
          ports:
            - containerPort: 8080
          env:
            - name: PORT
              value: "8000"
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          readinessProbe:
            httpGet: {path: /__heartbeat__, port: 8080}
          livenessProbe:
            httpGet: {path: /__heartbeat__, port: 8080}
YAML
echo "== $("$BIN" --version)"
"$BIN" check kubernetes "$tmp/deployment.yaml" --format gnu | sed "s|$tmp/||" || true
echo "== checkov $(checkov --version)"
checkov -f "$tmp/deployment.yaml" --framework kubernetes --compact --quiet -o cli 2>/dev/null \
  | grep -E '^Check: ' | sort || true
