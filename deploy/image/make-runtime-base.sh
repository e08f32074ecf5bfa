#!/usr/bin/env bash
# Makes a runtime base image on this machine, for builds where no registry can be reached:
# FROM-scratch contents holding what BINARY needs to run (its shared libraries, resolved with
# ldd, and the dynamic loader), CA certificates and a world-writable sticky /tmp, the same
# shape as gcr.io/distroless/cc-debian12. Imported into the Docker engine as TAG.
#
#   deploy/image/make-runtime-base.sh target/release/dockerflow-demo dockerflow-local/cc:bookworm
set -euo pipefail
BINARY=${1:?usage: make-runtime-base.sh BINARY TAG}
TAG=${2:?usage: make-runtime-base.sh BINARY TAG}
DOCKER=${DOCKER:-/usr/bin/docker}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/tmp" "$root/etc/ssl/certs"
chmod 1777 "$root/tmp"

# Every library the binary loads (absolute paths in ldd's output), dereferenced, at the same
# path; the loader also under its symlinked name (the ELF interpreter path).
ldd "$BINARY" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
interp=$(readelf -l "$BINARY" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
    mkdir -p "$root$(dirname "$interp")"
    cp -L "$interp" "$root$interp"
fi
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . | "$DOCKER" import - "$TAG" >/dev/null
echo "$TAG: $(du -sh "$root" | cut -f1) from $(find "$root" -type f | wc -l) files"
