#!/usr/bin/env python3
"""Makes the hostile images of BENCHMARKS.md's "Hostile images" table as docker-archives.

usage: bench/hostile.py OUT_DIR
Writes OUT_DIR/{deep2000,deep2000_f20000,longnames_100k,symlink_loop,empty_whiteout}.tar
(longnames_100k is about 500 MB). Each is one uncompressed layer; check it with
`dockerflow check image docker-archive:OUT_DIR/NAME.tar`.
"""
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile

DEPTH = 2000


def member(tf, name, kind=tarfile.REGTYPE, data=b"", link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tf.addfile(info, io.BytesIO(data) if info.size else None)


def deep(tf, files=0):
    path = ""
    for _ in range(DEPTH):
        path += "d/"
        member(tf, path, tarfile.DIRTYPE)
    for i in range(files):
        member(tf, f"{path}f{i}", data=b"x")


def longnames(tf):
    for i in range(100_000):
        member(tf, "n" * 3990 + f"{i:010d}")


def symlink_loop(tf):
    member(tf, "etc/", tarfile.DIRTYPE)
    member(tf, "etc/passwd", tarfile.SYMTYPE, link="/etc/a")
    member(tf, "etc/a", tarfile.SYMTYPE, link="/etc/b")
    member(tf, "etc/b", tarfile.SYMTYPE, link="/etc/passwd")
    member(tf, "app/", tarfile.DIRTYPE)
    member(tf, "app/version.json", tarfile.SYMTYPE, link="version.json")


def base(tf):
    member(tf, "etc/", tarfile.DIRTYPE)
    member(tf, "etc/passwd", data=b"app:x:10001:10001::/app:/bin/sh\n")
    member(tf, "etc/group", data=b"app:x:10001:\n")


def empty_whiteout(tf):
    member(tf, ".wh.")


CASES = {
    "deep2000": [deep],
    "deep2000_f20000": [lambda tf: deep(tf, 20_000)],
    "longnames_100k": [longnames],
    "symlink_loop": [symlink_loop],
    "empty_whiteout": [base, empty_whiteout],
}


def write_archive(out, layers):
    """A `docker save` archive of the given layer files."""
    diff_ids, names = [], []
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as arc:
        for path in layers:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            diff_ids.append("sha256:" + h.hexdigest())
            names.append(h.hexdigest() + "/layer.tar")
            arc.add(path, names[-1])
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }).encode()
        cfg = hashlib.sha256(config).hexdigest() + ".json"
        manifest = json.dumps([{"Config": cfg, "RepoTags": ["hostile:latest"], "Layers": names}])
        for name, data in [(cfg, config), ("manifest.json", manifest.encode())]:
            member(arc, name, data=data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "hostile"
    os.makedirs(out, exist_ok=True)
    for name, makers in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            layers = []
            for i, make in enumerate(makers):
                path = os.path.join(tmp, f"layer{i}.tar")
                with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
                    make(tf)
                layers.append(path)
            write_archive(os.path.join(out, name + ".tar"), layers)
        print(f"{out}/{name}.tar")


if __name__ == "__main__":
    main()
