//! A real `docker-registry` (Debian's package) on a free loopback port, and a std-only reader
//! of what it serves and stores, to judge a client without trusting it.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::free_port;
use crate::TempDir;

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// Whether the registry binary is here; when it is not, [`crate::skip`]s with a message.
#[track_caller]
pub fn require() -> bool {
    crate::require(
        &format!("{REGISTRY_BIN} (apt-get install docker-registry)"),
        Path::new(REGISTRY_BIN).exists(),
    )
}

/// A `docker-registry` process on 127.0.0.1, killed on drop.
#[derive(Debug)]
pub struct Registry {
    pub port: u16,
    pub dir: TempDir,
    child: Option<Child>,
}

impl Registry {
    /// Starts a registry as [`Registry::start`] does when the binary is here; when it is not,
    /// `None`, having [`require`]d it (the test skips, or fails under `CI=true`).
    #[track_caller]
    pub fn start_if_available(users: &[(&str, &str)]) -> Option<Registry> {
        require().then(|| Registry::start(users))
    }

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

    /// The blobs (manifests included) in the registry's storage, by digest, sorted.
    pub fn stored_blobs(&self) -> Vec<String> {
        let root = self
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
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Every manifest and index media type, OCI and Docker schema 2: what [`get_v2`] accepts.
pub const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

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
    let mut conn = std::net::TcpStream::connect(host).expect("connect to the registry");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let accept = MANIFEST_TYPES.join(", ");
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
