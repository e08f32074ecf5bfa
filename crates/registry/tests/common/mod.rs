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
