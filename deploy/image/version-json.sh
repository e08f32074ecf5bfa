#!/usr/bin/env bash
# Writes version.json (CONTRACT 1.3) for an image build from the git checkout and the CI's
# variables, until `dockerflow version` does this properly:
#   source  SOURCE_URL, else the workspace's repository URL
#   version the tag at HEAD on a tag build, else empty (never a branch name)
#   commit  the checked-out commit
#   build   BUILD_URL, else GitHub Actions' or CircleCI's job URL, else a file:// URL naming
#           this machine's CI script (an absolute URL, though not one anybody can open)
set -euo pipefail
cd "$(dirname "$0")/../.."
source=${SOURCE_URL:-https://github.com/dockerflow-rs/dockerflow}
commit=$(git rev-parse HEAD)
version=$(git describe --tags --exact-match 2>/dev/null || true)
if [ -n "${BUILD_URL:-}" ]; then
    build=$BUILD_URL
elif [ -n "${GITHUB_RUN_ID:-}" ]; then
    build="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"
elif [ -n "${CIRCLE_BUILD_URL:-}" ]; then
    build=$CIRCLE_BUILD_URL
else
    build="file://$(hostname)$(pwd)/.ci/run"
fi
python3 -c 'import json,sys; print(json.dumps(dict(zip(["source","version","commit","build"], sys.argv[1:])), indent=2))' \
    "$source" "$version" "$commit" "$build"
