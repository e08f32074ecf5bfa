#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ from the project's own fixtures and small
inputs made here (tar layers, docker-save and OCI archives, manifests, passwd files,
version.json, mozlog lines). Deterministic: the same files every run.

Run from the repository root: python3 fuzz/make-seeds.py
Fuzzing adds the inputs it finds to the same directories; `cargo fuzz cmin` keeps them small.
"""
import glob
import gzip
import hashlib
import io
import json
import os
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar(entries):
    """entries: (name, kind, data_or_target, mode); kind f/d/l/h."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.mode = mode
            if kind == "f":
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            elif kind == "d":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "l":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                t.addfile(info)
            elif kind == "h":
                info.type = tarfile.LNKTYPE
                info.linkname = data
                t.addfile(info)
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


PASSWD = b"root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/sbin/nologin\n"
GROUP = b"root:x:0:\napp:x:10001:\n"
VERSION = json.dumps({
    "source": "https://github.com/mozilla-services/example",
    "version": "v1.2.3",
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "build": "https://ci.example.com/build/1",
}).encode()

BASE = tar([
    ("etc/", "d", None, 0o755),
    ("etc/passwd", "f", PASSWD, 0o644),
    ("etc/group", "f", GROUP, 0o644),
    ("app/", "d", None, 0o755),
    ("app/server", "f", b"\x7fELF" + b"\0" * 60, 0o755),
    ("app/version.json", "f", VERSION, 0o644),
])
TOP = tar([
    ("app/.wh.server", "f", b"", 0o644),
    ("app/server", "l", "/bin/true", 0o777),
    ("app/link", "h", "app/version.json", 0o644),
    ("etc/.wh..wh..opq", "f", b"", 0o644),
    ("etc/passwd", "f", PASSWD, 0o644),
    ("root/.ssh/id_rsa", "f", b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", 0o600),
])
LONG = tar([("d/" * 60 + "f", "f", b"x", 0o644), ("a" * 150, "f", b"y", 0o644)])
MARK = b"--dockerflow-fuzz-layer--"

# layer: layers split by the marker
put("layer", "base.tar", BASE)
put("layer", "base-top.tar", BASE + MARK + TOP)
put("layer", "base-gz-top.tar", gz(BASE) + MARK + TOP)
put("layer", "long-names.tar", LONG)
put("layer", "empty.tar", b"\0" * 1024)

CONFIG = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"User": "app", "Env": ["PORT=8000"], "Entrypoint": ["/app/server"],
               "Cmd": ["serve"], "WorkingDir": "/app", "ExposedPorts": {"8000/tcp": {}}},
    "rootfs": {"type": "layers", "diff_ids": [sha(BASE), sha(TOP)]},
}).encode()


def docker_archive():
    cfg_name = hashlib.sha256(CONFIG).hexdigest() + ".json"
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["app:1"],
                            "Layers": ["l0/layer.tar", "l1/layer.tar"]}]).encode()
    return tar([
        ("manifest.json", "f", manifest, 0o644),
        (cfg_name, "f", CONFIG, 0o644),
        ("l0/layer.tar", "f", BASE, 0o644),
        ("l1/layer.tar", "f", TOP, 0o644),
    ])


def oci_archive():
    layers = [gz(BASE), gz(TOP)]
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(CONFIG), "size": len(CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha(l), "size": len(l)} for l in layers],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": sha(manifest), "size": len(manifest),
                       "platform": {"os": "linux", "architecture": "amd64"},
                       "annotations": {"org.opencontainers.image.ref.name": "1"}}],
    }).encode()
    blobs = [(sha(b)[7:], b) for b in [CONFIG, manifest] + layers]
    entries = [("oci-layout", "f", b'{"imageLayoutVersion":"1.0.0"}', 0o644),
               ("index.json", "f", index, 0o644)]
    entries += [("blobs/sha256/" + h, "f", b, 0o644) for h, b in blobs]
    return tar(entries), manifest, index


put("archive", "docker-save.tar", docker_archive())
oci, manifest, index = oci_archive()
put("archive", "oci.tar", oci)

# manifest_json
put("manifest_json", "manifest.json", manifest)
put("manifest_json", "index.json", index)
put("manifest_json", "config.json", CONFIG)
put("manifest_json", "docker-v2.json", json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests": [{"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                   "digest": sha(b"x"), "size": 1,
                   "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}]}))

# dockerfile: the project's own Dockerfiles and fixtures
for path in sorted(glob.glob(os.path.join(ROOT, "crates/dockerfile/tests/fixtures/*"))) + [os.path.join(ROOT, "Dockerfile")]:
    with open(path, "rb") as f:
        put("dockerfile", os.path.basename(path), f.read())
put("dockerfile", "expansion", "ARG A=x\nFROM debian:${A:-bookworm} AS build\nENV B=$A${A}\"$A\" C='$A'\nARG D=${B#x}\nFROM build\nUSER ${UID:-10001}:app\nCOPY --chown=app <<EOF /app/version.json\n{\"version\":\"$D\"}\nEOF\nRUN useradd -u 10001 -U app && echo ok > /app/x\nCMD [\"serve\"]\n")
put("dockerfile", "doubling", "FROM a\nENV A=xx\n" + "ENV A=$A$A\n" * 24)

# image_ref
for i, r in enumerate(["debian:bookworm", "docker://127.0.0.1:5000/a/b:c", "docker-daemon:app:1",
                       "oci:/tmp/layout:v1", "oci-archive:x.tar", "docker-archive:x.tar:app:1",
                       "ghcr.io/o/r@sha256:" + "0" * 64, "linux/arm64/v8", "sha256:" + "a" * 64]):
    put("image_ref", f"ref{i}", r)

# passwd: passwd NUL group
put("passwd", "debian", PASSWD + b"\0" + GROUP)
put("passwd", "busybox", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\napp:x:10001:10001:Linux User,,,:/home/app:/sbin/nologin\n\0root:x:0:root\napp:x:10001:app\n")
put("passwd", "odd", b"+::::::\n#comment\napp:x:-1:10001\n:x:1:1::/:\n\0app:x:10001\n")

# version_json
put("version_json", "good.json", VERSION)
put("version_json", "bad.json", b'{"source":"x","version":1,"commit":"zz"}')

# mozlog
line = json.dumps({"Timestamp": 1700000000000000000, "Type": "request.summary", "Logger": "app",
                   "Hostname": "h", "EnvVersion": "2.0", "Severity": 6, "Pid": 1,
                   "Fields": {"agent": "curl", "path": "/", "method": "GET", "code": 200,
                              "errno": 0, "lang": "en", "t": 3, "rid": "a" * 32}})
put("mozlog", "good.log", line + "\n" + line + "\n")
put("mozlog", "mixed.log", line + "\nServer started\n{\"Severity\":\"info\"}\n" + line.replace("\"h\"", "\"h\\u00e9\"") + "\n")

# http_response: what a server sends back to the probe
put("http_response", "lbheartbeat", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nCache-Control: no-cache\r\n\r\n")
put("http_response", "version", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(VERSION)).encode() + b"\r\nX-Request-ID: dockerflow-fuzz\r\n\r\n" + VERSION)
put("http_response", "heartbeat-chunked", b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n{\"status\":\"error\",\"checks\"\r\n13\r\n:{},\"details\":{}}  \r\n0\r\nX-Trailer: t\r\n\r\n")
put("http_response", "until-close", b"HTTP/1.0 200 OK\r\nContent-Type: text/css\r\n\r\nbody { color: red }\n")
put("http_response", "not-http", b"SSH-2.0-OpenSSH_9.6\r\n")
