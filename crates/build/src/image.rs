//! `dockerflow build`'s image, compliant by construction and reproducible.
//!
//! Layers, bottom first: the base's layers as they are (or, without a base, a runtime layer
//! with the binary's interpreter and shared libraries, CA certificates, `/etc/nsswitch.conf`
//! and a sticky `/tmp`); the accounts layer (`/etc/passwd` and `/etc/group` with `app` 10001,
//! merged with the base's); the app layer (`/app/bin/NAME`, `/app/static/`,
//! `/app/version.json`, owned by root, read-only for `app`).
//!
//! Reproducible: every entry is sorted by path, owned by 0:0, dated `SOURCE_DATE_EPOCH`, with
//! fixed modes (directories 0755, the binary 0555, other app files 0444, libraries 0755 or
//! 0644 as on the host); gzip has a zero mtime, no name and a fixed OS byte; JSON documents
//! are written by serde from ordered maps. Nothing reads the clock, the host's user names or
//! the order of a directory listing.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use dockerflow_oci::manifest::media_type;
use dockerflow_oci::{
    Algorithm, ContainerConfig, ContentRequest, Descriptor, Digest, Field, History, ImageConfig,
    ImageManifest, ImageSource, Limits, RootFs, Vfs,
};
use serde_json::Value;

use crate::elf;
pub use crate::error::BuildError;
use crate::error::{Error, ErrorKind};
pub use crate::inputs::{parse_cmd, rfc3339, source_date_epoch, MAX_EPOCH};
use crate::tar::{Header, Kind, TarWriter};
use crate::version::check_version_json;

/// The uid and gid of `app` (CONTRACT 2).
pub const APP_ID: u32 = 10001;
/// The port the image declares (`ENV PORT`, `EXPOSE`).
pub const PORT: u16 = 8000;
/// `PATH` when the base sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The OCI annotation naming the base image.
pub const ANNOTATION_BASE_NAME: &str = "org.opencontainers.image.base.name";
/// The OCI annotation pinning the base image's manifest digest.
pub const ANNOTATION_BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

const CA_CERTIFICATES: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A base image to build on, already opened from any transport of `dockerflow-oci`.
#[derive(Debug)]
pub struct Base {
    /// The reference as the user wrote it (`oci:/layouts/cc:bookworm`).
    pub name: String,
    /// The opened image.
    pub image: Box<dyn ImageSource>,
}

/// Everything that goes into an image. The same spec gives the same bytes.
#[derive(Debug)]
pub struct BuildSpec {
    /// The executable to package.
    pub binary: PathBuf,
    /// Its name under `/app/bin/`.
    pub name: String,
    /// Files for `/app/static/`.
    pub static_dir: Option<PathBuf>,
    /// The bytes of `/app/version.json` (checked: a broken one is an error).
    pub version_json: Vec<u8>,
    /// `Cmd` (non-empty).
    pub cmd: Vec<String>,
    /// Extra environment variables, after `PATH` and `PORT`.
    pub env: Vec<(String, String)>,
    /// Sets the image's `Healthcheck` to the service's self-probe, exec form, no shell:
    /// `["CMD", "/app/bin/NAME", "healthcheck"]` (see [`self_probe_healthcheck`]).
    pub healthcheck: bool,
    /// The base image, or `None` for a scratch image holding the binary's libraries.
    pub base: Option<Base>,
    /// Seconds since the epoch for every file time and `created`.
    pub source_date_epoch: u64,
    /// Where the binary's libraries and the CA certificates are read from (`/`).
    pub host_root: PathBuf,
}

/// The image config's `Healthcheck` running the service's self-probe (`NAME healthcheck`:
/// GET `/__lbheartbeat__` on `$PORT`, exit 0/1 within a second; CONTRACT 2): exec form, so an
/// image without a shell runs it; every 10 s, a 3 s timeout, 3 retries, 5 s to start (Docker's
/// durations are nanoseconds).
pub fn self_probe_healthcheck(name: &str) -> Value {
    const SECOND: u64 = 1_000_000_000;
    serde_json::json!({
        "Test": ["CMD", format!("/app/bin/{name}"), "healthcheck"],
        "Interval": 10 * SECOND,
        "Timeout": 3 * SECOND,
        "StartPeriod": 5 * SECOND,
        "Retries": 3,
    })
}

fn err(kind: ErrorKind, s: impl Into<String>) -> Error {
    Error::new(kind, s)
}

/// Where a layer's bytes are.
#[derive(Debug)]
enum LayerData {
    /// Layer N of the base, read when written.
    Base(usize),
    /// Built here: the gzip blob.
    Owned(Vec<u8>),
}

/// A built image, readable through [`ImageSource`] (so the writers, the checker and
/// `publish` take it like any other image).
#[derive(Debug)]
pub struct BuiltImage {
    manifest: ImageManifest,
    manifest_digest: Digest,
    config: ImageConfig,
    raw_config: Vec<u8>,
    layers: Vec<LayerData>,
    base: Option<Box<dyn ImageSource>>,
    /// Remarks for the user (one line each).
    pub notes: Vec<String>,
}

impl BuiltImage {
    /// The manifest's bytes, as every writer writes them.
    pub fn manifest_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.manifest).unwrap_or_default()
    }
}

impl ImageSource for BuiltImage {
    fn origin(&self) -> &str {
        "dockerflow build"
    }
    fn manifest(&self) -> &ImageManifest {
        &self.manifest
    }
    fn manifest_digest(&self) -> Option<&Digest> {
        Some(&self.manifest_digest)
    }
    fn config(&self) -> &ImageConfig {
        &self.config
    }
    fn raw_config(&self) -> &[u8] {
        &self.raw_config
    }
    fn open_layer(&self, index: usize) -> dockerflow_oci::Result<Box<dyn Read + '_>> {
        match (self.layers.get(index), &self.base) {
            (Some(LayerData::Owned(bytes)), _) => Ok(Box::new(Cursor::new(bytes.as_slice()))),
            (Some(LayerData::Base(i)), Some(base)) => base.open_layer(*i),
            _ => Err(dockerflow_oci::Error::new(
                dockerflow_oci::ErrorKind::InvalidDocument {
                    what: "layer index".into(),
                    reason: format!("{index} is past the {} layers", self.layers.len()),
                },
            )),
        }
    }
}

/// Where an entry's bytes come from.
#[derive(Debug, Clone)]
enum Content {
    None,
    Bytes(Vec<u8>),
    Host(PathBuf),
}

#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    mode: u32,
    content: Content,
    link: String,
}

/// A layer being assembled: path (no leading `/`) to node; parents are added as 0755
/// directories.
#[derive(Debug, Default)]
struct LayerBuilder {
    nodes: BTreeMap<String, Node>,
}

impl LayerBuilder {
    fn add(&mut self, path: &str, node: Node) {
        let path = path.trim_matches('/').to_string();
        let mut parent = String::new();
        for comp in path
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map_or(&[][..], |s| s.1)
        {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(comp);
            self.nodes.entry(parent.clone()).or_insert(Node {
                kind: Kind::Dir,
                mode: 0o755,
                content: Content::None,
                link: String::new(),
            });
        }
        self.nodes.insert(path, node);
    }

    fn dir(&mut self, path: &str, mode: u32) {
        self.add(
            path,
            Node {
                kind: Kind::Dir,
                mode,
                content: Content::None,
                link: String::new(),
            },
        );
    }

    fn bytes(&mut self, path: &str, mode: u32, bytes: Vec<u8>) {
        self.add(
            path,
            Node {
                kind: Kind::File,
                mode,
                content: Content::Bytes(bytes),
                link: String::new(),
            },
        );
    }

    fn host(&mut self, path: &str, mode: u32, host: PathBuf) {
        self.add(
            path,
            Node {
                kind: Kind::File,
                mode,
                content: Content::Host(host),
                link: String::new(),
            },
        );
    }

    fn symlink(&mut self, path: &str, target: &str) {
        self.add(
            path,
            Node {
                kind: Kind::Symlink,
                mode: 0o777,
                content: Content::None,
                link: target.to_string(),
            },
        );
    }

    /// The tar, sorted by path.
    fn into_tar(self, mtime: u64) -> Result<Vec<u8>, BuildError> {
        let mut tar = TarWriter::new(Vec::new());
        for (path, node) in &self.nodes {
            let name = match node.kind {
                Kind::Dir => format!("{path}/"),
                _ => path.clone(),
            };
            let data: Vec<u8> = match &node.content {
                Content::None => Vec::new(),
                Content::Bytes(b) => b.clone(),
                Content::Host(p) => std::fs::read(p)
                    .map_err(|e| err(ErrorKind::Io, format!("cannot read {}: {e}", p.display())))?,
            };
            let h = Header {
                path: &name,
                kind: node.kind,
                mode: node.mode,
                uid: 0,
                gid: 0,
                size: data.len() as u64,
                mtime,
                link: &node.link,
            };
            tar.file(&h, &mut data.as_slice()).map_err(|e| {
                err(
                    ErrorKind::Encode,
                    format!("cannot write the layer entry /{path}: {e}"),
                )
            })?;
        }
        tar.finish()
            .map_err(|e| err(ErrorKind::Encode, format!("cannot write a layer: {e}")))
    }
}

/// A layer's tar gzipped: (diff_id, blob). Level 1 ("best speed"), as go-containerregistry
/// (ko's image library) does: 3x faster than level 6 for about 10 % more bytes on a Rust
/// binary. Fixed header: no name, mtime 0, OS 255.
fn compress(tar: &[u8]) -> Result<(Digest, Vec<u8>), BuildError> {
    let diff_id = Digest::of(Algorithm::Sha256, tar);
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(
            Vec::with_capacity(tar.len() / 2),
            flate2::Compression::fast(),
        );
    gz.write_all(tar)
        .map_err(|e| err(ErrorKind::Encode, format!("cannot compress a layer: {e}")))?;
    let blob = gz
        .finish()
        .map_err(|e| err(ErrorKind::Encode, format!("cannot compress a layer: {e}")))?;
    Ok((diff_id, blob))
}

/// A layer of the image being built: taken from the base, or a tar still to compress.
#[derive(Debug)]
enum Pending {
    Base(Box<(Descriptor, Digest)>, usize),
    Tar(Vec<u8>),
}

type Layer = (Descriptor, Digest, LayerData);

/// Compresses the new layers concurrently (one thread each; there are at most three), in
/// order.
fn compress_all(pending: Vec<Pending>) -> Result<Vec<Layer>, BuildError> {
    std::thread::scope(|scope| {
        let running: Vec<_> = pending
            .into_iter()
            .map(|p| match p {
                Pending::Base(d, i) => (Some((d, i)), None),
                Pending::Tar(tar) => (None, Some(scope.spawn(move || compress(&tar)))),
            })
            .collect();
        let mut layers = Vec::new();
        for slot in running {
            match slot {
                (Some((d, i)), _) => {
                    let (desc, diff_id) = *d;
                    layers.push((desc, diff_id, LayerData::Base(i)));
                }
                (None, Some(handle)) => {
                    let (diff_id, blob) = handle.join().map_err(|_| {
                        err(ErrorKind::Internal, "a layer's compression thread panicked")
                    })??;
                    layers.push((
                        descriptor(media_type::OCI_LAYER_GZIP, &blob),
                        diff_id,
                        LayerData::Owned(blob),
                    ));
                }
                (None, None) => {}
            }
        }
        Ok(layers)
    })
}

/// The accounts files: the base's lines (when it has the files) without any `app` or 10001
/// entry, then `app` 10001. Without base files: root, nobody and app.
fn accounts(base_passwd: Option<&[u8]>, base_group: Option<&[u8]>) -> (Vec<u8>, Vec<u8>) {
    fn merge(base: Option<&[u8]>, default: &str, app: &str) -> Vec<u8> {
        let text = base.map_or_else(
            || default.to_string(),
            |b| String::from_utf8_lossy(b).into_owned(),
        );
        let mut out = String::new();
        for line in text.lines() {
            let mut fields = line.split(':');
            let name = fields.next().unwrap_or("");
            let _password = fields.next();
            let id = fields.next().unwrap_or("");
            if name == "app" || id == APP_ID.to_string() {
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(app);
        out.push('\n');
        out.into_bytes()
    }
    let passwd = merge(
        base_passwd,
        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
        &format!("app:x:{APP_ID}:{APP_ID}:app:/app:/sbin/nologin"),
    );
    let group = merge(
        base_group,
        "root:x:0:\nnogroup:x:65534:\n",
        &format!("app:x:{APP_ID}:"),
    );
    (passwd, group)
}

fn oci_layer_type(t: &str) -> String {
    match t {
        media_type::DOCKER_LAYER_GZIP => media_type::OCI_LAYER_GZIP.to_string(),
        media_type::DOCKER_LAYER_TAR => media_type::OCI_LAYER_TAR.to_string(),
        media_type::DOCKER_LAYER_ZSTD => media_type::OCI_LAYER_ZSTD.to_string(),
        other => other.to_string(),
    }
}

/// Adds `dir`'s tree under `/app/static`, sorted; symlinks stay symlinks; anything but files,
/// directories and symlinks is an error.
fn add_static(layer: &mut LayerBuilder, dir: &Path, under: &str) -> Result<(), BuildError> {
    let read = std::fs::read_dir(dir).map_err(|e| {
        err(
            ErrorKind::Io,
            format!("cannot read the static directory {}: {e}", dir.display()),
        )
    })?;
    let mut names: Vec<_> = read
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .map_err(|e| err(ErrorKind::Io, format!("cannot list {}: {e}", dir.display())))?;
    names.sort();
    for name in names {
        let host = dir.join(&name);
        let name = name.to_str().ok_or_else(|| {
            err(
                ErrorKind::InvalidInput,
                format!("{}: the file name is not UTF-8", host.display()),
            )
        })?;
        let path = format!("{under}/{name}");
        let meta = std::fs::symlink_metadata(&host).map_err(|e| {
            err(
                ErrorKind::Io,
                format!("cannot read {}: {e}", host.display()),
            )
        })?;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&host).map_err(|e| {
                err(
                    ErrorKind::Io,
                    format!("cannot read {}: {e}", host.display()),
                )
            })?;
            layer.symlink(&path, &target.to_string_lossy());
        } else if meta.is_dir() {
            layer.dir(&path, 0o755);
            add_static(layer, &host, &path)?;
        } else if meta.is_file() {
            layer.host(&path, 0o444, host);
        } else {
            return Err(err(
                ErrorKind::InvalidInput,
                format!(
                    "{}: not a regular file, directory or symlink; expected static content",
                    host.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Builds the image `spec` describes.
///
/// # Errors
///
/// A missing or non-ELF binary, a library the binary needs that cannot be found, a broken
/// version.json, an empty `cmd`, a base of another architecture or one that cannot be read.
pub fn build(spec: BuildSpec) -> Result<BuiltImage, BuildError> {
    let mut notes = Vec::new();
    if spec.name.is_empty() || spec.name.contains('/') {
        return Err(err(
            ErrorKind::InvalidInput,
            format!(
                "invalid binary name {:?}: expected a file name for /app/bin/",
                spec.name
            ),
        ));
    }
    if spec.cmd.is_empty() {
        return Err(err(
            ErrorKind::InvalidInput,
            "an empty CMD: the contract needs both ENTRYPOINT and CMD set (e.g. --cmd serve)",
        ));
    }
    let meta = std::fs::metadata(&spec.binary).map_err(|e| {
        err(
            ErrorKind::Io,
            format!(
                "cannot read the binary {}: {e}; expected an executable built for Linux",
                spec.binary.display()
            ),
        )
    })?;
    if !meta.is_file() {
        return Err(err(
            ErrorKind::Executable,
            format!(
                "{} is not a regular file; expected an executable",
                spec.binary.display()
            ),
        ));
    }
    let checked = check_version_json(&spec.version_json);
    if !checked.is_valid() {
        return Err(err(
            ErrorKind::InvalidInput,
            format!(
                "version.json is not a valid version object: {}",
                checked.errors.join("; ")
            ),
        ));
    }
    let version: Value = serde_json::from_slice(&spec.version_json)
        .map_err(|e| err(ErrorKind::InvalidInput, format!("version.json: {e}")))?;
    let field = |k: &str| {
        version
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };

    let mtime = spec.source_date_epoch;
    let created = rfc3339(mtime);
    let mut pending: Vec<Pending> = Vec::new();
    let mut history: Vec<History> = Vec::new();
    let step = |what: &str| History {
        created: Some(created.clone()),
        created_by: Some(format!("dockerflow build: {what}")),
        ..History::default()
    };

    let (architecture, base_config, base_passwd, base_group, base_image, annotations) = match spec
        .base
    {
        None => {
            let (info, files) = elf::runtime_files(&spec.binary, &spec.host_root)?;
            let mut runtime = LayerBuilder::default();
            // One copy per host file; other paths of the same file are symlinks to it.
            let mut by_host: BTreeMap<PathBuf, String> = BTreeMap::new();
            for f in files {
                if let Some(first) = by_host.get(&f.host_path) {
                    runtime.symlink(&f.image_path, first);
                    continue;
                }
                let mode = std::fs::metadata(&f.host_path)
                    .map(|m| {
                        use std::os::unix::fs::PermissionsExt;
                        if m.permissions().mode() & 0o111 != 0 {
                            0o755
                        } else {
                            0o644
                        }
                    })
                    .unwrap_or(0o644);
                by_host.insert(f.host_path.clone(), f.image_path.clone());
                runtime.host(&f.image_path, mode, f.host_path);
            }
            let ca = spec.host_root.join(CA_CERTIFICATES.trim_start_matches('/'));
            match ca.canonicalize() {
                    Ok(real) => runtime.host(CA_CERTIFICATES, 0o644, real),
                    Err(_) => notes.push(format!(
                        "no CA certificates at {}: the image cannot verify TLS peers (install ca-certificates)",
                        ca.display()
                    )),
                }
            runtime.bytes("/etc/nsswitch.conf", 0o644, b"hosts: files dns\n".to_vec());
            runtime.dir("/tmp", 0o1777);
            pending.push(Pending::Tar(runtime.into_tar(mtime)?));
            history.push(step(
                "runtime (interpreter, shared libraries, CA certificates, /tmp)",
            ));
            let arch = info.architecture().unwrap_or("amd64").to_string();
            (arch, None, None, None, None, BTreeMap::new())
        }
        Some(base) => {
            let elf_bytes = std::fs::read(&spec.binary).map_err(|e| {
                err(
                    ErrorKind::Io,
                    format!("cannot read the binary {}: {e}", spec.binary.display()),
                )
            })?;
            let info = elf::parse(&elf_bytes, &spec.binary.display().to_string())?;
            let arch = info.architecture().unwrap_or("amd64").to_string();
            let image = base.image;
            if let Some(base_arch) = &image.config().architecture {
                if *base_arch != arch {
                    return Err(err(ErrorKind::Base, format!(
                            "the base {} is {base_arch}, the binary {} is {arch}; expected the same architecture",
                            base.name,
                            spec.binary.display()
                        )));
                }
            }
            let vfs = Vfs::read_image(
                image.as_ref(),
                &ContentRequest::default(),
                &Limits::default(),
            )
            .map_err(|e| {
                err(
                    ErrorKind::Base,
                    format!("cannot read the base {}: {e}", base.name),
                )
            })?;
            let passwd = vfs.read("/etc/passwd").ok().map(<[u8]>::to_vec);
            let group = vfs.read("/etc/group").ok().map(<[u8]>::to_vec);
            for (i, desc) in image.manifest().layers.iter().enumerate() {
                let diff_id = image
                    .config()
                    .rootfs
                    .diff_ids
                    .get(i)
                    .cloned()
                    .ok_or_else(|| {
                        err(
                            ErrorKind::Base,
                            format!("the base {} has no diff_id for layer {i}", base.name),
                        )
                    })?;
                let mut desc = desc.clone();
                desc.media_type = oci_layer_type(&desc.media_type);
                pending.push(Pending::Base(Box::new((desc, diff_id)), i));
            }
            history.extend(image.config().history.iter().cloned());
            let mut annotations = BTreeMap::new();
            annotations.insert(ANNOTATION_BASE_NAME.to_string(), base.name.clone());
            match image.manifest_digest() {
                    Some(d) => {
                        annotations.insert(ANNOTATION_BASE_DIGEST.to_string(), d.to_string());
                    }
                    None => notes.push(format!(
                        "the base {} is a classic `docker save` archive, which holds no manifest: {ANNOTATION_BASE_DIGEST} is not recorded (use an OCI layout to pin the base)",
                        base.name
                    )),
                }
            let config = image.config().container().cloned();
            (arch, config, passwd, group, Some(image), annotations)
        }
    };

    let (passwd, group) = accounts(base_passwd.as_deref(), base_group.as_deref());
    let mut accounts_layer = LayerBuilder::default();
    accounts_layer.bytes("/etc/passwd", 0o644, passwd);
    accounts_layer.bytes("/etc/group", 0o644, group);
    pending.push(Pending::Tar(accounts_layer.into_tar(mtime)?));
    history.push(step("accounts (group app 10001, user app 10001)"));

    let mut app = LayerBuilder::default();
    app.dir("/app", 0o755);
    app.dir("/app/bin", 0o755);
    app.host(
        &format!("/app/bin/{}", spec.name),
        0o555,
        spec.binary.clone(),
    );
    app.dir("/app/static", 0o755);
    if let Some(dir) = &spec.static_dir {
        add_static(&mut app, dir, "/app/static")?;
    }
    app.bytes("/app/version.json", 0o444, spec.version_json.clone());
    pending.push(Pending::Tar(app.into_tar(mtime)?));
    let layers = compress_all(pending)?;
    history.push(step(&format!(
        "app (/app/bin/{}, /app/static, /app/version.json; root-owned, read-only)",
        spec.name
    )));

    // The execution parameters: the base's, with ours on top.
    let mut cc = base_config.unwrap_or_default();
    let mut env: Vec<String> = cc.env.value().cloned().unwrap_or_default();
    let mut set_env = |k: &str, v: &str| {
        env.retain(|kv| kv.split_once('=').map_or(kv.as_str(), |(key, _)| key) != k);
        env.push(format!("{k}={v}"));
    };
    if cc.env_var("PATH").is_none() {
        set_env("PATH", DEFAULT_PATH);
    }
    set_env("PORT", &PORT.to_string());
    for (k, v) in &spec.env {
        set_env(k, v);
    }
    cc.env = Field::Value(env);
    cc.user = Field::Value("app".into());
    cc.entrypoint = Field::Value(vec![format!("/app/bin/{}", spec.name)]);
    cc.cmd = Field::Value(spec.cmd.clone());
    cc.working_dir = Field::Value("/app".into());
    if spec.healthcheck {
        cc.extra
            .insert("Healthcheck".into(), self_probe_healthcheck(&spec.name));
    }
    let mut ports = cc.exposed_ports.value().cloned().unwrap_or_default();
    ports.insert(format!("{PORT}/tcp"), Value::Object(serde_json::Map::new()));
    cc.exposed_ports = Field::Value(ports);
    let mut labels = cc.labels.value().cloned().unwrap_or_default();
    for (k, v) in [
        ("org.opencontainers.image.source", field("source")),
        ("org.opencontainers.image.revision", field("commit")),
        ("org.opencontainers.image.version", field("version")),
        ("org.opencontainers.image.created", created.clone()),
        ("org.opencontainers.image.title", spec.name.clone()),
    ] {
        labels.insert(k.to_string(), v);
    }
    cc.labels = Field::Value(labels);

    let config = ImageConfig {
        architecture: Some(architecture),
        os: Some("linux".into()),
        created: Some(created.clone()),
        config: Field::Value(cc),
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: layers.iter().map(|(_, d, _)| d.clone()).collect(),
        },
        history,
        ..ImageConfig::default()
    };
    let raw_config = serde_json::to_vec(&config)
        .map_err(|e| err(ErrorKind::Encode, format!("cannot write the config: {e}")))?;
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_type::OCI_MANIFEST.into()),
        artifact_type: None,
        config: descriptor(media_type::OCI_CONFIG, &raw_config),
        layers: layers.iter().map(|(d, _, _)| d.clone()).collect(),
        subject: None,
        annotations,
    };
    let manifest_bytes = serde_json::to_vec(&manifest)
        .map_err(|e| err(ErrorKind::Encode, format!("cannot write the manifest: {e}")))?;
    Ok(BuiltImage {
        manifest_digest: Digest::of(Algorithm::Sha256, &manifest_bytes),
        manifest,
        config,
        raw_config,
        layers: layers.into_iter().map(|(_, _, l)| l).collect(),
        base: base_image,
        notes,
    })
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Descriptor {
    Descriptor::new(
        media_type,
        Digest::of(Algorithm::Sha256, bytes),
        bytes.len() as u64,
    )
}

/// The container config of a built image (a shortcut for tests and reports).
pub fn container(image: &BuiltImage) -> Option<&ContainerConfig> {
    image.config.container()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(MAX_EPOCH), "9999-12-31T23:59:59Z");
        assert_eq!(
            source_date_epoch(Some("253402300799")).ok(),
            Some(MAX_EPOCH)
        );
        assert!(source_date_epoch(Some("253402300800")).is_err());
    }

    #[test]
    fn accounts_replace_any_app_or_10001_entry() {
        let (p, g) = accounts(
            Some(b"root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nold:x:10001:10001::/:/bin/false\n"),
            Some(b"root:x:0:\napp:x:1000:\n"),
        );
        assert_eq!(
            String::from_utf8(p).unwrap(),
            "root:x:0:0::/root:/bin/sh\napp:x:10001:10001:app:/app:/sbin/nologin\n"
        );
        assert_eq!(String::from_utf8(g).unwrap(), "root:x:0:\napp:x:10001:\n");
    }

    #[test]
    fn cmd_forms() {
        assert_eq!(parse_cmd("serve --x").unwrap(), ["serve", "--x"]);
        assert_eq!(parse_cmd(r#"["a b", "c"]"#).unwrap(), ["a b", "c"]);
        assert!(parse_cmd("[serve")
            .unwrap_err()
            .context()
            .contains("JSON array"));
        assert!(source_date_epoch(Some("yesterday")).is_err());
        assert_eq!(source_date_epoch(None).unwrap(), 0);
    }
}
