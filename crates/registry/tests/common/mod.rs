//! Test-only helpers: a real `docker-registry` on a free loopback port, and writers for
//! small images (an OCI layout directory and a classic `docker save` archive).
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dockerflow_oci::{Algorithm, Digest};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

pub fn sha(bytes: &[u8]) -> Digest {
    Digest::of(Algorithm::Sha256, bytes)
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "dockerflow-registry-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Whether the registry binary is here; when it is not, a test returns early with a message,
/// except under `CI=true`, where it fails.
pub fn registry_available() -> bool {
    if Path::new(REGISTRY_BIN).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{REGISTRY_BIN} is missing (apt-get install docker-registry); CI must have it"
    );
    eprintln!("SKIPPED: {REGISTRY_BIN} is missing (apt-get install docker-registry)");
    false
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A `docker-registry` process on 127.0.0.1, killed on drop.
pub struct Registry {
    pub port: u16,
    pub dir: TempDir,
    child: Option<Child>,
}

impl Registry {
    /// Starts a registry; `users` (name, password) turns on htpasswd auth.
    pub fn start(users: &[(&str, &str)]) -> Registry {
        Registry::start_with(users, None)
    }

    /// Starts a registry; with `secret`, upload sessions survive a restart (the state
    /// tokens in their URLs are signed with it; otherwise each process draws its own).
    pub fn start_with(users: &[(&str, &str)], secret: Option<&str>) -> Registry {
        let dir = TempDir::new("registry");
        let port = free_port();
        let mut auth = String::new();
        if !users.is_empty() {
            let file = dir.path().join("htpasswd");
            let mut lines = String::new();
            for (u, p) in users {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", u, p])
                    .output()
                    .expect("htpasswd (apache2-utils) must be installed for auth tests");
                assert!(out.status.success(), "htpasswd failed");
                lines.push_str(String::from_utf8_lossy(&out.stdout).trim());
                lines.push('\n');
            }
            fs::write(&file, lines).expect("htpasswd file");
            auth = format!(
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                file.display()
            );
        }
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{secret}{auth}",
            dir.path().join("storage").display(),
            secret = secret.map(|s| format!("  secret: {s}\n")).unwrap_or_default()
        );
        fs::write(dir.path().join("config.yml"), config).expect("config");
        let mut r = Registry {
            port,
            dir,
            child: None,
        };
        r.spawn();
        r
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the process (again) on the same port and storage, and waits for it to answer.
    pub fn spawn(&mut self) {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("registry.log"))
            .expect("log file");
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(self.dir.path().join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        panic!(
            "docker-registry did not listen on {} within 15 s: {log}",
            self.port
        );
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Builds a tar stream in memory.
#[derive(Default)]
pub struct Tar {
    pub buf: Vec<u8>,
}

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}\0", v, width = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

impl Tar {
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Tar {
        self.entry(name, b'0', mode, data)
    }
    pub fn dir(&mut self, name: &str) -> &mut Tar {
        self.entry(name, b'5', 0o755, b"")
    }
    fn entry(&mut self, name: &str, typeflag: u8, mode: u32, data: &[u8]) -> &mut Tar {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        octal(&mut h[100..108], u64::from(mode));
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], data.len() as u64);
        octal(&mut h[136..148], 1_700_000_000);
        h[156] = typeflag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.buf.extend_from_slice(&h);
        self.buf.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self
    }
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        out.extend(std::iter::repeat_n(0u8, 1024));
        out
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// `n` bytes that do not compress (xorshift), different for each `seed`.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

/// The tar layers of a small compliant image: the `app` user and group, then the app.
/// `payload` bytes of noise go in `/app/data` (to make big layers).
pub fn image_tars(payload: usize, seed: u64) -> Vec<Vec<u8>> {
    let base = Tar::default()
        .dir("etc/")
        .file(
            "etc/passwd",
            0o644,
            b"root:x:0:0:root:/root:/sbin/nologin\napp:x:10001:10001::/app:/sbin/nologin\n",
        )
        .file("etc/group", 0o644, b"root:x:0:\napp:x:10001:\n")
        .finish();
    let app = Tar::default()
        .dir("app/")
        .file("app/bin", 0o755, b"#!/bin/false\n")
        .file(
            "app/version.json",
            0o644,
            br#"{"source":"https://github.com/x/y","version":"","commit":"abc1234","build":"https://ci/1"}"#,
        )
        .file("app/data", 0o644, &noise(payload, seed))
        .finish();
    vec![base, app]
}

pub fn config_json(tars: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = tars.iter().map(|t| sha(t).to_string()).collect();
    serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": "app",
            "Entrypoint": ["/app/bin"],
            "Cmd": ["serve"],
            "Env": ["PORT=8000"],
            "WorkingDir": "/app"
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "base"}, {"created_by": "app"}]
    }))
    .expect("config json")
}

fn descriptor(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    json!({"mediaType": media_type, "digest": sha(bytes).to_string(), "size": bytes.len()})
}

/// Writes an OCI layout at `dir` with gzip layers (or plain tar ones); returns the manifest
/// digest.
pub fn write_oci_layout(dir: &Path, tars: &[Vec<u8>], gzip_layers: bool) -> Digest {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).expect("blobs dir");
    let put = |bytes: &[u8]| {
        fs::write(blobs.join(sha(bytes).hex()), bytes).expect("blob");
    };
    let config = config_json(tars);
    put(&config);
    let mut layers = Vec::new();
    for t in tars {
        let (blob, mt) = if gzip_layers {
            (gzip(t), "application/vnd.oci.image.layer.v1.tar+gzip")
        } else {
            (t.clone(), "application/vnd.oci.image.layer.v1.tar")
        };
        put(&blob);
        layers.push(descriptor(mt, &blob));
    }
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": layers,
    }))
    .expect("manifest");
    put(&manifest);
    let index = json!({
        "schemaVersion": 2,
        "manifests": [descriptor("application/vnd.oci.image.manifest.v1+json", &manifest)],
    });
    fs::write(dir.join("index.json"), index.to_string()).expect("index");
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("layout");
    sha(&manifest)
}

/// Writes a classic `docker save` archive (uncompressed `layer.tar` files, no manifest).
pub fn write_docker_archive(file: &Path, tars: &[Vec<u8>], tag: &str) {
    let config = config_json(tars);
    let config_name = format!("{}.json", sha(&config).hex());
    let mut out = Tar::default();
    out.file(&config_name, 0o644, &config);
    let mut layer_paths = Vec::new();
    for (i, t) in tars.iter().enumerate() {
        let d = format!("{:064x}", i + 1);
        out.dir(&format!("{d}/"));
        out.file(&format!("{d}/layer.tar"), 0o644, t);
        layer_paths.push(format!("{d}/layer.tar"));
    }
    let manifest = json!([{"Config": config_name, "RepoTags": [tag], "Layers": layer_paths}]);
    out.file("manifest.json", 0o644, manifest.to_string().as_bytes());
    fs::write(file, out.finish()).expect("docker archive");
}

/// Writes `bytes` into the layout at `dir` as a blob; returns its descriptor.
pub fn put_blob(dir: &Path, media_type: &str, bytes: &[u8]) -> serde_json::Value {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).expect("blobs dir");
    fs::write(blobs.join(sha(bytes).hex()), bytes).expect("blob");
    descriptor(media_type, bytes)
}

/// The media types of one family: OCI, or Docker schema 2.
pub struct MediaTypes {
    pub index: &'static str,
    pub manifest: &'static str,
    pub config: &'static str,
    pub layer: &'static str,
}

pub const OCI: MediaTypes = MediaTypes {
    index: "application/vnd.oci.image.index.v1+json",
    manifest: "application/vnd.oci.image.manifest.v1+json",
    config: "application/vnd.oci.image.config.v1+json",
    layer: "application/vnd.oci.image.layer.v1.tar+gzip",
};

pub const DOCKER: MediaTypes = MediaTypes {
    index: "application/vnd.docker.distribution.manifest.list.v2+json",
    manifest: "application/vnd.docker.distribution.manifest.v2+json",
    config: "application/vnd.docker.container.image.v1+json",
    layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

/// A document written into a layout: its bytes and digest.
#[derive(Debug, Clone)]
pub struct Written {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    /// Its descriptor, as an index lists it.
    pub descriptor: serde_json::Value,
}

/// Writes an image's config, gzip layers and manifest into the layout at `dir`. The manifest
/// is pretty-printed, with its keys in an order no serialiser here would choose, so that a
/// copy that re-encoded it would change its digest.
pub fn put_image(dir: &Path, types: &MediaTypes, tars: &[Vec<u8>], arch: &str) -> Written {
    let mut config: serde_json::Value = serde_json::from_slice(&config_json(tars)).expect("config");
    config["architecture"] = json!(arch);
    let config = serde_json::to_vec(&config).expect("config");
    let config_desc = put_blob(dir, types.config, &config);
    let layers: Vec<serde_json::Value> = tars
        .iter()
        .map(|t| put_blob(dir, types.layer, &gzip(t)))
        .collect();
    let layers = serde_json::to_string_pretty(&layers).expect("layers");
    let config_desc = serde_json::to_string_pretty(&config_desc).expect("config");
    let manifest = format!(
        "{{\n   \"layers\": {layers},\n   \"config\": {config_desc},\n   \"mediaType\": \"{}\",\n   \"schemaVersion\": 2\n}}\n",
        types.manifest
    )
    .into_bytes();
    let mut descriptor = put_blob(dir, types.manifest, &manifest);
    descriptor["platform"] = json!({"os": "linux", "architecture": arch});
    Written {
        digest: sha(&manifest),
        bytes: manifest,
        descriptor,
    }
}

/// Writes `oci-layout` and an `index.json` listing `entry` (tagged `tag`).
pub fn put_layout_index(dir: &Path, mut entry: serde_json::Value, tag: &str) {
    entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    entry
        .as_object_mut()
        .expect("descriptor")
        .remove("platform");
    let index = json!({"schemaVersion": 2, "manifests": [entry]});
    fs::write(dir.join("index.json"), index.to_string()).expect("index.json");
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
}

/// A two-platform image: an index over `linux/amd64` and `linux/arm64`, which share their
/// base layer and differ in their app layer and config.
pub struct TwoPlatforms {
    pub index: Written,
    pub amd64: Written,
    pub arm64: Written,
    /// The base layer's gzip, the blob both platforms name.
    pub shared: Digest,
}

/// Writes a [`TwoPlatforms`] image into the layout at `dir`, tagged `tag` in `index.json`.
pub fn write_two_platforms(dir: &Path, types: &MediaTypes, tag: &str) -> TwoPlatforms {
    let amd64_tars = image_tars(30_000, 21);
    let mut arm64_tars = image_tars(30_000, 22);
    arm64_tars[0] = amd64_tars[0].clone();
    let amd64 = put_image(dir, types, &amd64_tars, "amd64");
    let arm64 = put_image(dir, types, &arm64_tars, "arm64");
    let index = serde_json::to_vec_pretty(&json!({
        "schemaVersion": 2,
        "mediaType": types.index,
        "manifests": [amd64.descriptor, arm64.descriptor],
    }))
    .expect("index");
    let descriptor = put_blob(dir, types.index, &index);
    put_layout_index(dir, descriptor.clone(), tag);
    TwoPlatforms {
        index: Written {
            digest: sha(&index),
            bytes: index,
            descriptor,
        },
        amd64,
        arm64,
        shared: sha(&gzip(&amd64_tars[0])),
    }
}

/// Tars the layout directory `dir` into `file` (an oci-archive).
pub fn tar_layout(dir: &Path, file: &Path) {
    tar_layout_with(dir, file, &[]);
}

/// Tars the layout directory `dir` and the `extra` files into `file`.
pub fn tar_layout_with(dir: &Path, file: &Path, extra: &[(&str, Vec<u8>)]) {
    let mut out = Tar::default();
    for (name, bytes) in extra {
        out.file(name, 0o644, bytes);
    }
    for name in ["oci-layout", "index.json"] {
        out.file(name, 0o644, &fs::read(dir.join(name)).expect("layout file"));
    }
    let mut blobs: Vec<_> = fs::read_dir(dir.join("blobs/sha256"))
        .expect("blobs")
        .map(|e| e.expect("entry").path())
        .collect();
    blobs.sort();
    out.dir("blobs/").dir("blobs/sha256/");
    for b in blobs {
        let name = b.file_name().expect("name").to_string_lossy().into_owned();
        out.file(
            &format!("blobs/sha256/{name}"),
            0o644,
            &fs::read(&b).expect("blob"),
        );
    }
    fs::write(file, out.finish()).expect("oci-archive");
}

/// A registry's answer, read with nothing but std.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub digest: String,
    pub body: Vec<u8>,
}

/// GETs `/v2/<path>` from a loopback registry, accepting every manifest type.
pub fn get_v2(host: &str, path: &str) -> Answer {
    use std::io::Read;
    let mut conn = std::net::TcpStream::connect(host).expect("connect to the registry");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let accept = [OCI.manifest, OCI.index, DOCKER.manifest, DOCKER.index].join(", ");
    write!(
        conn,
        "GET /v2/{path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    assert!(
        !header("transfer-encoding").contains("chunked"),
        "a chunked answer: {head}"
    );
    Answer {
        status: head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status"),
        content_type: header("content-type"),
        digest: header("docker-content-digest"),
        body: raw[split + 4..].to_vec(),
    }
}

/// The blobs (manifests included) in the registry's storage, by digest.
pub fn stored_blobs(registry: &Registry) -> Vec<String> {
    let root = registry
        .dir
        .path()
        .join("storage/docker/registry/v2/blobs/sha256");
    let mut found = Vec::new();
    for prefix in fs::read_dir(&root).into_iter().flatten().flatten() {
        for blob in fs::read_dir(prefix.path()).into_iter().flatten().flatten() {
            if blob.path().join("data").is_file() {
                found.push(format!("sha256:{}", blob.file_name().to_string_lossy()));
            }
        }
    }
    found.sort();
    found
}

/// Tars the layout at `dir` as Docker 25+ `docker save` does: the layout, plus a
/// `manifest.json` naming `image`'s config and layers by their blob paths.
pub fn tar_docker25(dir: &Path, image: &Written, tag: &str, file: &Path) {
    let m: serde_json::Value = serde_json::from_slice(&image.bytes).expect("manifest");
    let path = |d: &serde_json::Value| {
        let digest = d["digest"].as_str().expect("digest");
        format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
    };
    let layers: Vec<String> = m["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(path)
        .collect();
    let entry = json!([{"Config": path(&m["config"]), "RepoTags": [tag], "Layers": layers}]);
    tar_layout_with(
        dir,
        file,
        &[("manifest.json", entry.to_string().into_bytes())],
    );
}
