#!/bin/sh
# Copies the workspace's manifests (and Cargo.lock) from SRC to DEST with empty stand-ins for
# every source file they name, so `cargo build` in DEST compiles the dependencies only. The
# Dockerfile keeps that as a layer: it is rebuilt when a manifest changes, not when code does.
# (What cargo-chef does, in a dozen lines of POSIX shell.)
set -eu
SRC=$1
DEST=$2
cd "$SRC"
find . -name Cargo.toml -not -path './target/*' | while read -r manifest; do
    dir=$(dirname "$manifest")
    mkdir -p "$DEST/$dir/src"
    cp "$manifest" "$DEST/$dir/"
    # Every target a manifest names explicitly, plus the two implicit ones.
    for path in $(sed -n 's/^path *= *"\(src\/[^"]*\.rs\)"/\1/p' "$manifest") src/lib.rs src/main.rs; do
        mkdir -p "$DEST/$dir/$(dirname "$path")"
        echo 'fn main() {}' >"$DEST/$dir/$path"
    done
done
cp Cargo.lock "$DEST/"
