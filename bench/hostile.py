#!/usr/bin/env python3
"""Makes the hostile images of BENCHMARKS.md's "Hostile images" table as docker-archives.

usage: bench/hostile.py OUT_DIR
Writes OUT_DIR/NAME.tar for every case of CASES (tars of members: deep nesting, long names,
symlink loops, whiteouts, traversal and link escapes) and of raw_cases (a size of u64::MAX, a
PAX header claiming 8 GiB, a gzip bomb, 10,000 layers, a 100 MB config, a digest mismatch);
about 800 MB in all (longnames_100k is about 500 MB). Check one with
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


def deep10000(tf):
    path = ""
    for _ in range(10_000):
        path += "d/"
        member(tf, path, tarfile.DIRTYPE)


def traversal(tf):
    for name in ["../../../../tmp/dfz_trav_marker", "/tmp/dfz_abs_marker",
                 "/etc/dfz_abs_marker", "./../../etc/dfz_marker",
                 "app/../../../../tmp/dfz_marker"]:
        member(tf, name, data=b"x")


def link_escape(tf):
    member(tf, "evil", tarfile.SYMTYPE, link="/tmp")
    member(tf, "evil/dfz_marker", data=b"x")
    member(tf, "up", tarfile.SYMTYPE, link="../../..")
    member(tf, "up/tmp/dfz_marker", data=b"x")
    for i, target in enumerate(["../../../../etc/shadow", "/etc/shadow", "/proc/self/environ"]):
        member(tf, f"hard{i}", tarfile.LNKTYPE, link=target)


def whiteout_root(tf):
    for name in [".wh..wh..opq", ".wh..", ".wh...", ".wh.etc"]:
        member(tf, name)


CASES = {
    "deep2000": [deep],
    "deep2000_f20000": [lambda tf: deep(tf, 20_000)],
    "deep10000": [deep10000],
    "longnames_100k": [longnames],
    "symlink_loop": [symlink_loop],
    "empty_whiteout": [base, empty_whiteout],
    "traversal": [traversal],
    "link_escape": [link_escape],
    "whiteout_root": [base, whiteout_root],
}


def header(name, size_field, typeflag=b"0"):
    """A ustar header whose 12-byte size field is given as is (octal text or base-256)."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field
    h[136:148] = b"00000000000\0"
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def size_u64max(path):
    """An entry whose base-256 size is u64::MAX, hiding a passwd and group in its data."""
    hidden = io.BytesIO()
    with tarfile.open(fileobj=hidden, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        base(tf)
    with open(path, "wb") as f:
        f.write(header(b"junk", b"\x80\0\0\0" + b"\xff" * 8))
        f.write(hidden.getvalue())


def pax_8gib(path):
    """A PAX extended header that claims 8 GiB, in a 1 KiB file."""
    with open(path, "wb") as f:
        f.write(header(b"PaxHeaders/x", b"%011o\0" % (8 << 30), b"x"))
        f.write(b"\0" * 512)


def gzip_bomb(path):
    """1 GiB of zeros in one file, gzip-compressed (about 1 MB)."""
    import gzip
    with gzip.open(path, "wb", compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tf:
            info = tarfile.TarInfo("etc/passwd")
            info.size = 1 << 30
            tf.addfile(info, Zeros(info.size))


class Zeros:
    def __init__(self, n):
        self.n = n

    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n)
        self.n -= k
        return b"\0" * k


def sha_file(path, gunzip=False):
    import gzip
    h = hashlib.sha256()
    with (gzip.open if gunzip else open)(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_raw(out, layers, config=None, diff_ids=None, layer_names=None):
    """A `docker save` archive of layer files (gzip ones end in .gz), with the config and
    the manifest's layer list given, or made to match."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as arc:
        names = []
        for path in layers:
            names.append(sha_file(path) + "/layer.tar")
            arc.add(path, names[-1])
        if diff_ids is None:
            diff_ids = ["sha256:" + sha_file(p, p.endswith(".gz")) for p in layers]
        if config is None:
            config = json.dumps({
                "architecture": "amd64", "os": "linux", "config": {},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }).encode()
        cfg = hashlib.sha256(config).hexdigest() + ".json"
        manifest = json.dumps([{"Config": cfg, "RepoTags": ["hostile:latest"],
                                "Layers": layer_names or names}])
        for name, data in [(cfg, config), ("manifest.json", manifest.encode())]:
            member(arc, name, data=data)


def one_small_layer(tmp):
    path = os.path.join(tmp, "small.tar")
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        member(tf, "f", data=b"x" * 10_000)
    return path


def raw_cases(out, tmp):
    """The cases that need more than a tar of members: raw headers, gzip, odd manifests."""
    for name, make, suffix in [("size_u64max", size_u64max, ".tar"),
                               ("pax_8gib", pax_8gib, ".tar"),
                               ("gzip_bomb", gzip_bomb, ".tar.gz")]:
        path = os.path.join(tmp, name + suffix)
        make(path)
        write_raw(os.path.join(out, name + ".tar"), [path])
        yield name
    small = one_small_layer(tmp)
    diff = "sha256:" + sha_file(small)
    layer = sha_file(small) + "/layer.tar"
    write_raw(os.path.join(out, "layers_10k.tar"), [small], diff_ids=[diff] * 10_000,
              layer_names=[layer] * 10_000)
    yield "layers_10k"
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Env": ["X=" + "x" * (100 << 20)]},
                         "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
    write_raw(os.path.join(out, "config_100mb.tar"), [small], config=config)
    yield "config_100mb"
    write_raw(os.path.join(out, "digest_mismatch.tar"), [small],
              diff_ids=["sha256:" + "1" * 64])
    yield "digest_mismatch"


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
    with tempfile.TemporaryDirectory() as tmp:
        for name in raw_cases(out, tmp):
            print(f"{out}/{name}.tar")


if __name__ == "__main__":
    main()
