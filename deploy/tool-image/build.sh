#!/usr/bin/env bash
# Builds dockerflow's own container image with `dockerflow build` (daemonless, reproducible),
# from the release binary: /app/bin/dockerflow as ENTRYPOINT, user app (10001), only what the
# binary loads (its ELF interpreter and shared libraries) and CA certificates, no shell.
#
#   deploy/tool-image/build.sh [DEST...]     default DEST: docker-daemon:dockerflow:dev
#
# DEST is any `dockerflow build --output` (docker-daemon:NAME:TAG loads it into the Docker
# engine; oci-archive:FILE, docker-archive:FILE, docker://REGISTRY/REPO:TAG). The binary is
# built with `cargo build --release --locked -p dockerflow-cli` unless DOCKERFLOW_BINARY names
# one. Use it as:
#   docker run --rm -v "$PWD:/src" dockerflow:dev check dockerfile /src/Dockerfile
set -euo pipefail
cd "$(dirname "$0")/../.."
target_dir=${CARGO_TARGET_DIR:-target}
binary=${DOCKERFLOW_BINARY:-}
if [ -z "$binary" ]; then
    cargo build --release --locked -p dockerflow-cli
    binary="$target_dir/release/dockerflow"
fi
[ -x "$binary" ] || { echo "build.sh: $binary is not an executable" >&2; exit 2; }
[ "$#" -gt 0 ] || set -- docker-daemon:dockerflow:dev
outputs=()
for dest in "$@"; do outputs+=(--output "$dest"); done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The tool describes itself: version.json from this checkout and the CI's variables.
repository=$(sed -n 's/^repository = "\(.*\)"$/\1/p' Cargo.toml)
"$binary" version --output "$scratch/version.json" --git-dir . --source "${SOURCE_URL:-$repository}"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
# Cmd --help: `docker run IMAGE` alone prints the usage.
"$binary" build --binary "$binary" --name dockerflow --cmd '["--help"]' \
    --version-json "$scratch/version.json" "${outputs[@]}"
