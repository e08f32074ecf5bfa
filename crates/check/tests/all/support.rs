//! Test-only image fixtures, built FROM scratch without Docker: a tar and gzip writer and
//! writers for an OCI layout directory, an oci-archive and a classic `docker save` archive.
//! Shared with the CLI's tests through `#[path]`.
#![allow(dead_code, unreachable_pub, clippy::too_many_arguments)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use dockerflow_oci::{Algorithm, Digest};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};

pub fn sha(bytes: &[u8]) -> Digest {
    Digest::of(Algorithm::Sha256, bytes)
}

/// A temporary directory removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "dockerflow-{tag}-{}-{}",
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

/// One entry of a layer.
#[derive(Debug, Clone)]
pub enum Node {
    File {
        path: String,
        mode: u32,
        uid: u32,
        gid: u32,
        data: Vec<u8>,
    },
    Dir {
        path: String,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    Symlink {
        path: String,
        target: String,
    },
}

pub fn file(path: &str, mode: u32, data: &str) -> Node {
    owned_file(path, mode, 0, 0, data)
}

pub fn owned_file(path: &str, mode: u32, uid: u32, gid: u32, data: &str) -> Node {
    Node::File {
        path: path.into(),
        mode,
        uid,
        gid,
        data: data.as_bytes().to_vec(),
    }
}

pub fn dir(path: &str, mode: u32) -> Node {
    Node::Dir {
        path: path.into(),
        mode,
        uid: 0,
        gid: 0,
    }
}

pub fn symlink(path: &str, target: &str) -> Node {
    Node::Symlink {
        path: path.into(),
        target: target.into(),
    }
}

/// The whiteout that deletes `path` from lower layers.
pub fn whiteout(path: &str) -> Node {
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
    file(&format!("{parent}/.wh.{name}"), 0o644, "")
}

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}\0", v, width = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

fn header(
    name: &str,
    typeflag: u8,
    size: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    link: &str,
) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.as_bytes();
    assert!(
        n.len() <= 100 && link.len() <= 100,
        "fixture names fit ustar"
    );
    h[..n.len()].copy_from_slice(n);
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], u64::from(uid));
    octal(&mut h[116..124], u64::from(gid));
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A tar stream built in memory.
#[derive(Debug, Default)]
pub struct Tar(pub Vec<u8>);

impl Tar {
    pub fn entry(
        &mut self,
        name: &str,
        typeflag: u8,
        mode: u32,
        uid: u32,
        gid: u32,
        link: &str,
        data: &[u8],
    ) {
        self.0.extend_from_slice(&header(
            name,
            typeflag,
            data.len() as u64,
            mode,
            uid,
            gid,
            link,
        ));
        self.0.extend_from_slice(data);
        self.0
            .extend(std::iter::repeat_n(0u8, (512 - data.len() % 512) % 512));
    }
    pub fn finish(mut self) -> Vec<u8> {
        self.0.extend(std::iter::repeat_n(0u8, 1024));
        self.0
    }
}

pub fn layer_tar(nodes: &[Node]) -> Vec<u8> {
    let mut t = Tar::default();
    for n in nodes {
        match n {
            Node::File {
                path,
                mode,
                uid,
                gid,
                data,
            } => t.entry(
                path.trim_start_matches('/'),
                b'0',
                *mode,
                *uid,
                *gid,
                "",
                data,
            ),
            Node::Dir {
                path,
                mode,
                uid,
                gid,
            } => t.entry(
                &format!("{}/", path.trim_start_matches('/')),
                b'5',
                *mode,
                *uid,
                *gid,
                "",
                b"",
            ),
            Node::Symlink { path, target } => {
                t.entry(path.trim_start_matches('/'), b'2', 0o777, 0, 0, target, b"")
            }
        }
    }
    t.finish()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// The input forms every image fixture is checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    OciLayout,
    OciArchive,
    DockerArchive,
}

pub const FORMS: [Form; 3] = [Form::OciLayout, Form::OciArchive, Form::DockerArchive];

pub const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/usr/sbin/nologin\n";
pub const GROUP: &str = "root:x:0:\napp:x:10001:\n";
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

pub fn version_json() -> String {
    json!({
        "source": "https://github.com/example/app",
        "version": "v1.0.0",
        "commit": COMMIT,
        "build": "https://github.com/example/app/actions/runs/1"
    })
    .to_string()
}

/// An image: layers of nodes and the container config (`config` of the image config).
#[derive(Debug, Clone)]
pub struct Image {
    pub layers: Vec<Vec<Node>>,
    pub config: Value,
    /// `created_by` of each history entry.
    pub history: Vec<String>,
}

impl Image {
    /// An image every rule passes.
    pub fn compliant() -> Image {
        Image {
            layers: vec![
                vec![
                    dir("/etc", 0o755),
                    file("/etc/passwd", 0o644, PASSWD),
                    file("/etc/group", 0o644, GROUP),
                    dir("/tmp", 0o1777),
                    dir("/usr", 0o755),
                    dir("/usr/bin", 0o755),
                    file("/usr/bin/env", 0o755, "#!"),
                ],
                vec![
                    dir("/app", 0o755),
                    file("/app/server", 0o755, "#!/bin/false\n"),
                    file("/app/version.json", 0o644, &version_json()),
                ],
            ],
            config: json!({
                "User": "app",
                "Entrypoint": ["/app/server"],
                "Cmd": ["serve"],
                "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "PORT=8000"],
                "ExposedPorts": {"8000/tcp": {}},
                "WorkingDir": "/app",
                "Labels": {
                    "org.opencontainers.image.source": "https://github.com/example/app",
                    "org.opencontainers.image.revision": COMMIT,
                    "org.opencontainers.image.version": "v1.0.0"
                }
            }),
            history: vec![
                "COPY / # buildkit".into(),
                "COPY app /app # buildkit".into(),
            ],
        }
    }

    /// Sets (or, with `Value::Null`, removes) a container config key.
    pub fn with(mut self, key: &str, value: Value) -> Image {
        if let Some(obj) = self.config.as_object_mut() {
            if value.is_null() {
                obj.remove(key);
            } else {
                obj.insert(key.to_string(), value);
            }
        }
        self
    }

    /// Adds a history entry.
    pub fn history(mut self, created_by: &str) -> Image {
        self.history.push(created_by.to_string());
        self
    }

    /// Adds a layer on top.
    pub fn layer(mut self, nodes: Vec<Node>) -> Image {
        self.layers.push(nodes);
        self
    }

    fn config_json(&self, tars: &[Vec<u8>]) -> Vec<u8> {
        let diff_ids: Vec<String> = tars.iter().map(|t| sha(t).to_string()).collect();
        serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": self.history.iter().map(|h| json!({"created_by": h})).collect::<Vec<_>>()
        }))
        .expect("json")
    }

    /// The image as a `docker save` tar tagged `repo_tag`, and its image id (the config
    /// digest), for loading into a Docker engine.
    #[allow(dead_code)] // used by the CLI's runtime tests, not by the check crate's
    pub fn docker_archive(&self, repo_tag: &str) -> (Vec<u8>, String) {
        let tars: Vec<Vec<u8>> = self.layers.iter().map(|l| layer_tar(l)).collect();
        let config = self.config_json(&tars);
        let id = sha(&config).to_string();
        (files_tar(&docker_files(&tars, &config, repo_tag)), id)
    }

    /// Writes the image in `form` under `dir` and returns its reference.
    pub fn write(&self, dir: &Path, form: Form) -> String {
        let tars: Vec<Vec<u8>> = self.layers.iter().map(|l| layer_tar(l)).collect();
        let config = self.config_json(&tars);
        match form {
            Form::OciLayout => {
                let out = dir.join("layout");
                write_files(&out, &oci_files(&tars, &config));
                format!("oci:{}", out.display())
            }
            Form::OciArchive => {
                let out = dir.join("image.oci.tar");
                fs::write(&out, files_tar(&oci_files(&tars, &config))).expect("write");
                format!("oci-archive:{}", out.display())
            }
            Form::DockerArchive => {
                let out = dir.join("image.docker.tar");
                fs::write(&out, files_tar(&docker_files(&tars, &config, "app:latest")))
                    .expect("write");
                format!("docker-archive:{}", out.display())
            }
        }
    }
}

type Files = Vec<(String, Vec<u8>)>;

fn desc(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": sha(bytes).to_string(), "size": bytes.len()})
}

fn blob(files: &mut Files, bytes: &[u8]) {
    let p = format!("blobs/sha256/{}", sha(bytes).hex());
    if !files.iter().any(|(q, _)| q == &p) {
        files.push((p, bytes.to_vec()));
    }
}

/// Writes one OCI layout holding several images in an index, each with a platform
/// (`os/arch`), and returns its reference.
pub fn write_multi_platform(dir: &Path, images: &[(&str, &Image)]) -> String {
    let mut files: Files = Vec::new();
    let mut manifests = Vec::new();
    for (platform, image) in images {
        let tars: Vec<Vec<u8>> = image.layers.iter().map(|l| layer_tar(l)).collect();
        let config = image.config_json(&tars);
        let one = oci_files(&tars, &config);
        for (p, b) in &one {
            if p.starts_with("blobs/") && !files.iter().any(|(q, _)| q == p) {
                files.push((p.clone(), b.clone()));
            }
        }
        let index: Value = one
            .iter()
            .find(|(p, _)| p == "index.json")
            .and_then(|(_, b)| serde_json::from_slice(b).ok())
            .expect("index");
        let mut d = index["manifests"][0].clone();
        let (os, arch) = platform.split_once('/').expect("os/arch");
        d["platform"] = json!({"os": os, "architecture": arch});
        manifests.push(d);
    }
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    let index = json!({"schemaVersion": 2, "manifests": manifests});
    files.push((
        "index.json".into(),
        serde_json::to_vec(&index).expect("json"),
    ));
    let out = dir.join("multi");
    write_files(&out, &files);
    format!("oci:{}", out.display())
}

fn oci_files(tars: &[Vec<u8>], config: &[u8]) -> Files {
    let mut f: Files = vec![(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let mut layers = Vec::new();
    for t in tars {
        let gz = gzip(t);
        blob(&mut f, &gz);
        layers.push(desc("application/vnd.oci.image.layer.v1.tar+gzip", &gz));
    }
    blob(&mut f, config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": desc("application/vnd.oci.image.config.v1+json", config),
        "layers": layers
    }))
    .expect("json");
    blob(&mut f, &manifest);
    let index = json!({"schemaVersion": 2, "manifests": [desc("application/vnd.oci.image.manifest.v1+json", &manifest)]});
    f.push((
        "index.json".into(),
        serde_json::to_vec(&index).expect("json"),
    ));
    f
}

fn docker_files(tars: &[Vec<u8>], config: &[u8], repo_tag: &str) -> Files {
    let cfg = format!("{}.json", sha(config).hex());
    let mut f: Files = vec![(cfg.clone(), config.to_vec())];
    let mut paths = Vec::new();
    for t in tars {
        let p = format!("{}/layer.tar", sha(t).hex());
        f.push((p.clone(), t.clone()));
        paths.push(p);
    }
    let mj = json!([{"Config": cfg, "RepoTags": [repo_tag], "Layers": paths}]);
    f.push((
        "manifest.json".into(),
        serde_json::to_vec(&mj).expect("json"),
    ));
    f
}

fn write_files(dir: &Path, files: &Files) {
    for (p, b) in files {
        let full = dir.join(p);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, b).expect("write");
    }
}

fn files_tar(files: &Files) -> Vec<u8> {
    let mut t = Tar::default();
    let mut dirs: Vec<String> = Vec::new();
    for (p, b) in files {
        if let Some((parent, _)) = p.rsplit_once('/') {
            let d = format!("{parent}/");
            if !dirs.contains(&d) {
                t.entry(&d, b'5', 0o755, 0, 0, "", b"");
                dirs.push(d);
            }
        }
        t.entry(p, b'0', 0o644, 0, 0, "", b);
    }
    t.finish()
}
