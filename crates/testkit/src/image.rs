//! Image fixtures for the checker's and the CLI's tests, built FROM scratch without Docker: an
//! image as layers of [`Node`]s and a container config, written as an OCI layout directory,
//! an oci-archive or a classic `docker save` archive, and multi-platform layouts.

use std::fs;
use std::path::Path;

use serde_json::{json, Value};

use crate::oci::{descriptor as desc, gzip, sha256 as sha, sha256_hex, OCI_LAYOUT};
use crate::tar::Tar;

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

/// The layer's uncompressed tar.
pub fn layer_tar(nodes: &[Node]) -> Vec<u8> {
    let mut t = Tar::new();
    for n in nodes {
        match n {
            Node::File {
                path,
                mode,
                uid,
                gid,
                data,
            } => t.entry_owned(
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
            } => t.entry_owned(
                &format!("{}/", path.trim_start_matches('/')),
                b'5',
                *mode,
                *uid,
                *gid,
                "",
                b"",
            ),
            Node::Symlink { path, target } => {
                t.entry(path.trim_start_matches('/'), b'2', 0o777, target, b"")
            }
        };
    }
    t.finish()
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
        let diff_ids: Vec<String> = tars.iter().map(|t| sha(t)).collect();
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
    pub fn docker_archive(&self, repo_tag: &str) -> (Vec<u8>, String) {
        let tars: Vec<Vec<u8>> = self.layers.iter().map(|l| layer_tar(l)).collect();
        let config = self.config_json(&tars);
        let id = sha(&config);
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

fn blob(files: &mut Files, bytes: &[u8]) {
    let p = format!("blobs/sha256/{}", sha256_hex(bytes));
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
    files.push(("oci-layout".into(), OCI_LAYOUT.to_vec()));
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
    let mut f: Files = vec![("oci-layout".into(), OCI_LAYOUT.to_vec())];
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
    let cfg = format!("{}.json", sha256_hex(config));
    let mut f: Files = vec![(cfg.clone(), config.to_vec())];
    let mut paths = Vec::new();
    for t in tars {
        let p = format!("{}/layer.tar", sha256_hex(t));
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
    let mut t = Tar::new();
    let mut dirs: Vec<String> = Vec::new();
    for (p, b) in files {
        if let Some((parent, _)) = p.rsplit_once('/') {
            let d = format!("{parent}/");
            if !dirs.contains(&d) {
                t.dir(&d);
                dirs.push(d);
            }
        }
        t.file(p, b);
    }
    t.finish()
}
