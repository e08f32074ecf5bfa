//! Test-only builders: writers for every image format this crate reads (the tar writer,
//! gzip and descriptors are `dockerflow-testkit`'s).
// Each test binary uses part of this module and of what it re-exports for `use common::*`.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::fs;
use std::path::Path;

use dockerflow_oci::{Algorithm, Digest};
pub use dockerflow_testkit::oci::{descriptor as desc, gzip, OCI_LAYOUT};
pub use dockerflow_testkit::tar::{fix_checksum, header, octal, Tar};
pub use dockerflow_testkit::TempDir;
use serde_json::{json, Value};

pub fn sha(bytes: &[u8]) -> Digest {
    Digest::of(Algorithm::Sha256, bytes)
}

/// A layer: the bytes stored and the uncompressed tar's digest.
#[derive(Clone)]
pub struct Layer {
    pub blob: Vec<u8>,
    pub diff_id: Digest,
    pub gzip: bool,
}

impl Layer {
    pub fn plain(tar: Vec<u8>) -> Layer {
        Layer {
            diff_id: sha(&tar),
            blob: tar,
            gzip: false,
        }
    }
    pub fn gz(tar: &[u8]) -> Layer {
        Layer {
            diff_id: sha(tar),
            blob: gzip(tar),
            gzip: true,
        }
    }
    pub fn media_type(&self) -> &'static str {
        if self.gzip {
            "application/vnd.oci.image.layer.v1.tar+gzip"
        } else {
            "application/vnd.oci.image.layer.v1.tar"
        }
    }
}

pub fn config_json(layers: &[Layer], user: &str) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.to_string()).collect();
    let history: Vec<Value> = layers
        .iter()
        .enumerate()
        .map(|(i, _)| json!({"created_by": format!("RUN step {i}")}))
        .chain([json!({"created_by": "USER app", "empty_layer": true})])
        .collect();
    serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": user,
            "Entrypoint": ["/app/bin"],
            "Cmd": ["serve"],
            "Env": ["PATH=/usr/bin", "PORT=8000"],
            "ExposedPorts": {"8000/tcp": {}},
            "Labels": {"org.opencontainers.image.revision": "abc1234"},
            "WorkingDir": "/app",
            "StopSignal": "SIGTERM"
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history
    }))
    .expect("json")
}

pub fn manifest_json(config: &[u8], layers: &[Layer]) -> Vec<u8> {
    let layer_descs: Vec<Value> = layers
        .iter()
        .map(|l| desc(l.media_type(), &l.blob))
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": desc("application/vnd.oci.image.config.v1+json", config),
        "layers": layer_descs
    }))
    .expect("json")
}

/// Files of an image laid out as an OCI layout: (path, bytes).
pub struct Files(pub Vec<(String, Vec<u8>)>);

impl Files {
    pub fn add(&mut self, path: &str, bytes: Vec<u8>) {
        self.0.push((path.to_string(), bytes));
    }
    pub fn blob(&mut self, bytes: &[u8]) -> String {
        let p = format!("blobs/sha256/{}", sha(bytes).hex());
        if !self.0.iter().any(|(q, _)| q == &p) {
            self.add(&p, bytes.to_vec());
        }
        p
    }
    pub fn write_dir(&self, dir: &Path) {
        for (p, b) in &self.0 {
            let full = dir.join(p);
            fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            fs::write(full, b).expect("write");
        }
    }
    pub fn to_tar(&self) -> Vec<u8> {
        let mut t = Tar::new();
        let mut dirs: Vec<String> = Vec::new();
        for (p, b) in &self.0 {
            let mut acc = String::new();
            for c in p.split('/').collect::<Vec<_>>().iter().rev().skip(1).rev() {
                acc.push_str(c);
                acc.push('/');
                if !dirs.contains(&acc) {
                    dirs.push(acc.clone());
                    t.dir(&acc);
                }
            }
            t.file(p, b);
        }
        t.finish()
    }
}

/// An OCI layout's `oci-layout` file and the blobs of one image: its layers, its config and
/// its manifest, whose bytes it returns.
fn layout_blobs(layers: &[Layer], config: &[u8]) -> (Files, Vec<u8>) {
    let mut f = Files(vec![]);
    f.add("oci-layout", OCI_LAYOUT.to_vec());
    for l in layers {
        f.blob(&l.blob);
    }
    f.blob(config);
    let manifest = manifest_json(config, layers);
    f.blob(&manifest);
    (f, manifest)
}

/// A Docker 25+ archive's `manifest.json`, pointing at the layout's blobs.
fn add_docker_manifest(f: &mut Files, layers: &[Layer], config: &[u8], tag: &str) {
    let paths: Vec<String> = layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", sha(&l.blob).hex()))
        .collect();
    f.add(
        "manifest.json",
        serde_json::to_vec(&json!([{
            "Config": format!("blobs/sha256/{}", sha(config).hex()),
            "RepoTags": [tag],
            "Layers": paths,
        }]))
        .expect("json"),
    );
}

/// The annotations the engine's containerd store writes on an image tagged `tag`.
fn containerd_annotations(tag: &str) -> Value {
    json!({
        "io.containerd.image.name": format!("docker.io/library/{tag}"),
        "org.opencontainers.image.ref.name": tag.rsplit(':').next().unwrap_or("latest"),
    })
}

/// An OCI layout holding one image tagged `tag`.
pub fn oci_layout(layers: &[Layer], config: &[u8], tag: Option<&str>) -> Files {
    let (mut f, manifest) = layout_blobs(layers, config);
    let mut d = desc("application/vnd.oci.image.manifest.v1+json", &manifest);
    if let Some(t) = tag {
        d["annotations"] = json!({"org.opencontainers.image.ref.name": t});
    }
    f.add(
        "index.json",
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [d]})).expect("json"),
    );
    f
}

/// A classic `docker save` archive.
pub fn docker_classic(layers: &[Layer], config: &[u8], tags: &[&str]) -> Files {
    let mut f = Files(vec![]);
    let cfg = format!("{}.json", sha(config).hex());
    f.add(&cfg, config.to_vec());
    let mut paths = vec![];
    for (i, l) in layers.iter().enumerate() {
        assert!(!l.gzip, "classic archives hold uncompressed layers");
        let p = format!("{:064x}/layer.tar", i + 1);
        f.add(&format!("{:064x}/VERSION", i + 1), b"1.0".to_vec());
        f.add(&p, l.blob.clone());
        paths.push(p);
    }
    f.add(
        "manifest.json",
        serde_json::to_vec(&json!([{"Config": cfg, "RepoTags": tags, "Layers": paths}]))
            .expect("json"),
    );
    f
}

/// A Docker 25+ archive: manifest.json pointing into an OCI layout.
pub fn docker25(layers: &[Layer], config: &[u8], tag: &str) -> Files {
    let mut f = oci_layout(layers, config, None);
    let manifest = manifest_json(config, layers);
    let mut d = desc("application/vnd.oci.image.manifest.v1+json", &manifest);
    d["annotations"] = containerd_annotations(tag);
    f.0.retain(|(p, _)| p != "index.json");
    f.add(
        "index.json",
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [d]})).expect("json"),
    );
    add_docker_manifest(&mut f, layers, config, tag);
    f
}

/// The containerd image store variant: index.json -> nested index -> amd64 manifest
/// (present), arm64 manifest (blob absent), attestation manifest.
pub fn containerd(layers: &[Layer], config: &[u8], tag: &str, with_manifest_json: bool) -> Files {
    let (mut f, manifest) = layout_blobs(layers, config);
    let att_cfg = b"{}".to_vec();
    f.blob(&att_cfg);
    let att = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": desc("application/vnd.oci.image.config.v1+json", &att_cfg),
        "layers": []
    }))
    .expect("json");
    f.blob(&att);
    let mut amd = desc("application/vnd.oci.image.manifest.v1+json", &manifest);
    amd["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let mut arm = desc(
        "application/vnd.oci.image.manifest.v1+json",
        b"absent arm64 manifest",
    );
    arm["platform"] = json!({"architecture": "arm64", "os": "linux", "variant": "v8"});
    let mut attd = desc("application/vnd.oci.image.manifest.v1+json", &att);
    attd["platform"] = json!({"architecture": "unknown", "os": "unknown"});
    attd["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": sha(&manifest).to_string()});
    let nested = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [arm, amd, attd]
    }))
    .expect("json");
    f.blob(&nested);
    let mut top = desc("application/vnd.oci.image.index.v1+json", &nested);
    top["annotations"] = containerd_annotations(tag);
    f.add(
        "index.json",
        serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [top]}))
            .expect("json"),
    );
    if with_manifest_json {
        add_docker_manifest(&mut f, layers, config, tag);
    }
    f
}

pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/sbin/nologin\n";
pub const GROUP_OLD: &str = "root:x:0:\n";
pub const GROUP: &str = "root:x:0:\napp:x:10001:\n";
pub const VERSION: &str = r#"{"source":"https://github.com/x/y","version":"1.0","commit":"abc1234","build":"https://ci/1"}"#;

/// The tiny image's three layers, as uncompressed tars.
pub fn tiny_tars() -> Vec<Vec<u8>> {
    let l0 = Tar::new()
        .dir("etc/")
        .dir("usr/")
        .dir("usr/lib/")
        .file("usr/lib/passwd", PASSWD.as_bytes())
        .symlink("etc/passwd", "/usr/lib/passwd")
        .file("etc/group", GROUP_OLD.as_bytes())
        .dir("app/")
        .file("app/remove-me", b"secret")
        .dir("app/data/")
        .file("app/data/old.txt", b"old")
        .finish();
    let l1 = Tar::new()
        .dir("app/")
        .file("app/version.json", VERSION.as_bytes())
        .file("app/.wh.remove-me", b"")
        .dir("app/data/")
        .file("app/data/.wh..wh..opq", b"")
        .file("app/data/new.txt", b"new")
        .hardlink("app/hl", "app/version.json")
        .symlink("app/current", "../app/version.json")
        .finish();
    let l2 = Tar::new()
        .file("etc/group", GROUP.as_bytes())
        .dir("usr/bin/")
        .file_mode("usr/bin/su", 0o4755, b"#!")
        .finish();
    vec![l0, l1, l2]
}
