//! Test-only writers for small images whose digests the tests compare with the client's (an
//! OCI layout directory, a classic `docker save` archive, a two-platform index). The real
//! `docker-registry`, the tar writer and gzip are `dockerflow-testkit`'s. Shared with the
//! CLI's tests through `#[path]`.
// Each test binary uses part of this module and of what it re-exports for `use common::*`.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::fs;
use std::path::Path;

use dockerflow_oci::{Algorithm, Digest, ImageRef, RegistryRef};
pub use dockerflow_testkit::oci::{descriptor, gzip};
pub use dockerflow_testkit::process::free_port;
pub use dockerflow_testkit::registry::{get_v2, require as registry_available, Answer, Registry};
use dockerflow_testkit::tar::Tar;
pub use dockerflow_testkit::TempDir;
use serde_json::json;

/// The registry reference `s` names (`host:port/repo:tag`, without `docker://`).
pub fn reference(s: &str) -> RegistryRef {
    match ImageRef::parse(&format!("docker://{s}")) {
        Ok(ImageRef::Registry(r)) => r,
        other => panic!("{s}: {other:?}"),
    }
}

pub fn sha(bytes: &[u8]) -> Digest {
    Digest::of(Algorithm::Sha256, bytes)
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
        .file_mode(
            "etc/passwd",
            0o644,
            b"root:x:0:0:root:/root:/sbin/nologin\napp:x:10001:10001::/app:/sbin/nologin\n",
        )
        .file_mode("etc/group", 0o644, b"root:x:0:\napp:x:10001:\n")
        .finish();
    let app = Tar::default()
        .dir("app/")
        .file_mode("app/bin", 0o755, b"#!/bin/false\n")
        .file_mode(
            "app/version.json",
            0o644,
            br#"{"source":"https://github.com/x/y","version":"","commit":"abc1234","build":"https://ci/1"}"#,
        )
        .file_mode("app/data", 0o644, &noise(payload, seed))
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
    out.file_mode(&config_name, 0o644, &config);
    let mut layer_paths = Vec::new();
    for (i, t) in tars.iter().enumerate() {
        let d = format!("{:064x}", i + 1);
        out.dir(&format!("{d}/"));
        out.file_mode(&format!("{d}/layer.tar"), 0o644, t);
        layer_paths.push(format!("{d}/layer.tar"));
    }
    let manifest = json!([{"Config": config_name, "RepoTags": [tag], "Layers": layer_paths}]);
    out.file_mode("manifest.json", 0o644, manifest.to_string().as_bytes());
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
        out.file_mode(name, 0o644, bytes);
    }
    for name in ["oci-layout", "index.json"] {
        out.file_mode(name, 0o644, &fs::read(dir.join(name)).expect("layout file"));
    }
    let mut blobs: Vec<_> = fs::read_dir(dir.join("blobs/sha256"))
        .expect("blobs")
        .map(|e| e.expect("entry").path())
        .collect();
    blobs.sort();
    out.dir("blobs/").dir("blobs/sha256/");
    for b in blobs {
        let name = b.file_name().expect("name").to_string_lossy().into_owned();
        out.file_mode(
            &format!("blobs/sha256/{name}"),
            0o644,
            &fs::read(&b).expect("blob"),
        );
    }
    fs::write(file, out.finish()).expect("oci-archive");
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
