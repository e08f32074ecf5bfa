//! Image writers for the local transports, from any [`ImageSource`]: an OCI layout directory
//! (`oci:DIR[:TAG]`), a tar of one (`oci-archive:FILE[:TAG]`), and a `docker load` archive
//! (`docker-archive:FILE[:NAME:TAG]`). `build` writes its image with them; `publish` copies
//! between transports with them.
//!
//! - Blobs are streamed from the source (layers are never held whole) and verified by the
//!   source's reader; every blob is written once.
//! - The manifest is written as the source holds it ([`ImageSource::raw_manifest`]), so a
//!   copy keeps its digest; a source without the bytes (a classic `docker save` archive, a
//!   built image) gets it as serde serialises [`ImageManifest`], byte for byte what
//!   `dockerflow build` hashed.
//! - Archives are deterministic tars (fixed order, owner and time), written to a temporary
//!   name and renamed, so a failed write leaves no half archive. A layout directory gets its
//!   blobs first and `index.json` last (replacing an entry with the same tag, keeping others).
//! - A docker-archive is the Docker 25+ form: an OCI layout plus `manifest.json`, which
//!   `docker load` (20.10 and later) reads, gzip layers included.
//!
//! `docker-daemon:` and `docker://` destinations are not written here yet: they need the
//! engine and registry clients (the `dockerflow-engine`, `dockerflow-registry` crates), which
//! the `dockerflow` command wires in. [`Destination::parse`] says so.

use std::collections::BTreeSet;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use dockerflow_oci::manifest::{media_type, ANNOTATION_REF_NAME};
use dockerflow_oci::reference::with_default_tag;
use dockerflow_oci::{
    Algorithm, ArchiveImage, Descriptor, Digest, ImageIndex, ImageManifest, ImageRef, ImageSource,
};
use serde_json::{json, Value};

pub use crate::error::WriteError;
use crate::error::{Error, ErrorKind};
use crate::tar::{Header, Kind, TarWriter};

/// Where to write an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `oci:DIR[:TAG]`.
    OciLayout {
        /// The layout directory (created when missing).
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name`.
        tag: Option<String>,
    },
    /// `oci-archive:FILE[:TAG]`.
    OciArchive {
        /// The archive file (replaced).
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name`.
        tag: Option<String>,
    },
    /// `docker-archive:FILE[:NAME:TAG]`.
    DockerArchive {
        /// The archive file (replaced).
        path: PathBuf,
        /// The name `docker load` tags the image with (`NAME:TAG`); none leaves it untagged.
        name: Option<String>,
    },
}

impl Destination {
    /// Parses an output reference in the containers/image syntax.
    ///
    /// # Errors
    ///
    /// A malformed reference; `docker-daemon:`/`docker://` (this crate writes files only: the
    /// `dockerflow build` command loads into the engine and pushes through other crates); an
    /// archive position (`@N`) where a name is needed.
    pub fn parse(text: &str) -> Result<Destination, WriteError> {
        let r = ImageRef::parse(text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("invalid output {text:?}: {e}"),
            )
        })?;
        match r {
            ImageRef::OciLayout { path, tag } => Ok(Destination::OciLayout { path, tag }),
            ImageRef::OciArchive { path, tag } => Ok(Destination::OciArchive { path, tag }),
            ImageRef::DockerArchive { path, image } => match image {
                None => Ok(Destination::DockerArchive { path, name: None }),
                Some(ArchiveImage::Name(n)) => Ok(Destination::DockerArchive {
                    path,
                    name: Some(with_default_tag(&n)),
                }),
                Some(ArchiveImage::Index(_)) => Err(Error::new(ErrorKind::InvalidInput, format!(
                    "output {text:?}: @N selects an image to read; to write, give NAME:TAG"
                ))),
            },
            ImageRef::DockerDaemon { .. } => Err(Error::new(ErrorKind::Unsupported, format!(
                "output {text:?}: writing to the Docker engine is not supported here; write docker-archive:FILE:NAME:TAG and load it (the dockerflow command does)"
            ))),
            ImageRef::Registry(_) => Err(Error::new(ErrorKind::Unsupported, format!(
                "output {text:?}: pushing to a registry is not supported here; write oci:DIR and publish it (the dockerflow command does)"
            ))),
            _ => Err(Error::new(ErrorKind::Unsupported, format!(
                "output {text:?}: unsupported transport; expected oci:, oci-archive: or docker-archive:"
            ))),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, p, s) = match self {
            Destination::OciLayout { path, tag } => ("oci", path, tag),
            Destination::OciArchive { path, tag } => ("oci-archive", path, tag),
            Destination::DockerArchive { path, name } => ("docker-archive", path, name),
        };
        write!(f, "{t}:{}", p.display())?;
        match s {
            Some(s) => write!(f, ":{s}"),
            None => Ok(()),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The manifest's digest (what a registry would report for it).
    pub manifest_digest: Digest,
    /// The manifest's size in bytes.
    pub manifest_size: u64,
    /// Total bytes of blobs (config, layers, manifest).
    pub blob_bytes: u64,
}

/// The manifest bytes every writer writes for `image`: the source's own when it holds them.
pub fn manifest_bytes(image: &dyn ImageSource) -> Result<Vec<u8>, WriteError> {
    if let Some(raw) = image.raw_manifest() {
        return Ok(raw.to_vec());
    }
    serde_json::to_vec(image.manifest()).map_err(|e| {
        Error::new(
            ErrorKind::Encode,
            format!("cannot serialise the manifest: {e}"),
        )
    })
}

/// A blob to write: its descriptor and where its bytes come from.
enum Blob<'a> {
    Bytes(&'a [u8]),
    Layer(usize),
}

fn blobs<'a>(image: &'a dyn ImageSource, manifest: &'a [u8]) -> Vec<(Descriptor, Blob<'a>)> {
    let m: &ImageManifest = image.manifest();
    let mut out = vec![(m.config.clone(), Blob::Bytes(image.raw_config()))];
    let mut seen = BTreeSet::new();
    seen.insert(m.config.digest.clone());
    for (i, l) in m.layers.iter().enumerate() {
        if seen.insert(l.digest.clone()) {
            out.push((l.clone(), Blob::Layer(i)));
        }
    }
    let mdesc = manifest_descriptor(image, manifest);
    out.push((mdesc, Blob::Bytes(manifest)));
    out
}

fn manifest_descriptor(image: &dyn ImageSource, bytes: &[u8]) -> Descriptor {
    Descriptor::new(
        image
            .manifest()
            .media_type
            .clone()
            .unwrap_or_else(|| media_type::OCI_MANIFEST.to_string()),
        Digest::of(Algorithm::Sha256, bytes),
        bytes.len() as u64,
    )
}

fn open_blob<'a>(
    image: &'a dyn ImageSource,
    blob: &Blob<'a>,
) -> Result<Box<dyn Read + 'a>, WriteError> {
    match blob {
        Blob::Bytes(b) => Ok(Box::new(*b)),
        Blob::Layer(i) => image.open_layer(*i).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read layer {i} of {}: {e}", image.origin()),
            )
        }),
    }
}

fn index_entry(
    image: &dyn ImageSource,
    manifest: &[u8],
    tag: Option<&str>,
    name: Option<&str>,
) -> Descriptor {
    let mut d = manifest_descriptor(image, manifest);
    if let Some(t) = tag {
        d.annotations.insert(ANNOTATION_REF_NAME.into(), t.into());
    }
    if let Some(n) = name {
        d.annotations
            .insert("io.containerd.image.name".into(), n.into());
    }
    let c = image.config();
    if let (Some(os), Some(arch)) = (&c.os, &c.architecture) {
        d.platform = Some(dockerflow_oci::Platform::new(
            os,
            arch,
            c.variant.as_deref(),
        ));
    }
    d
}

fn index_json(entries: Vec<Descriptor>) -> Vec<u8> {
    let index = json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_INDEX,
        "manifests": entries,
    });
    let mut bytes = serde_json::to_vec(&index).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

const OCI_LAYOUT: &[u8] = b"{\"imageLayoutVersion\":\"1.0.0\"}";

/// Writes `image` to `dest`.
///
/// # Errors
///
/// An unreadable layer (a digest mismatch included), a file or directory that cannot be
/// written; the error names both.
pub fn write_image(image: &dyn ImageSource, dest: &Destination) -> Result<Written, WriteError> {
    let manifest = manifest_bytes(image)?;
    let written = match dest {
        Destination::OciLayout { path, tag } => {
            write_layout(image, &manifest, path, tag.as_deref())?
        }
        Destination::OciArchive { path, tag } => {
            let entry = index_entry(image, &manifest, tag.as_deref(), None);
            write_archive(image, &manifest, path, index_json(vec![entry]), None)?
        }
        Destination::DockerArchive { path, name } => {
            let tag = name
                .as_deref()
                .and_then(|n| n.rsplit_once(':'))
                .map(|(_, t)| t);
            let entry = index_entry(image, &manifest, tag, name.as_deref());
            let m = image.manifest();
            let docker_manifest = json!([{
                "Config": m.config.digest.blob_path(),
                "RepoTags": name.iter().collect::<Vec<_>>(),
                "Layers": m.layers.iter().map(|l| l.digest.blob_path()).collect::<Vec<_>>(),
            }]);
            let mut dm = serde_json::to_vec(&docker_manifest).unwrap_or_default();
            dm.push(b'\n');
            write_archive(image, &manifest, path, index_json(vec![entry]), Some(dm))?
        }
    };
    Ok(written)
}

fn io_err(what: String) -> impl FnOnce(io::Error) -> WriteError {
    move |e| Error::new(ErrorKind::Io, format!("{what}: {e}"))
}

fn write_layout(
    image: &dyn ImageSource,
    manifest: &[u8],
    dir: &Path,
    tag: Option<&str>,
) -> Result<Written, WriteError> {
    let blobs_dir = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs_dir)
        .map_err(io_err(format!("cannot create {}", blobs_dir.display())))?;
    let mut total = 0;
    for (desc, blob) in blobs(image, manifest) {
        total += desc.size;
        let target = dir.join(desc.digest.blob_path());
        if std::fs::metadata(&target).is_ok_and(|m| m.len() == desc.size) {
            continue; // content-addressed: already there
        }
        let tmp = target.with_extension("partial");
        let mut reader = open_blob(image, &blob)?;
        let mut out = BufWriter::new(
            File::create(&tmp).map_err(io_err(format!("cannot create {}", tmp.display())))?,
        );
        let n = io::copy(&mut reader, &mut out).map_err(io_err(format!(
            "cannot write {} to {}",
            desc.digest,
            tmp.display()
        )))?;
        out.flush()
            .map_err(io_err(format!("cannot write {}", tmp.display())))?;
        if n != desc.size {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "blob {} is {n} bytes, its descriptor says {}",
                    desc.digest, desc.size
                ),
            ));
        }
        std::fs::rename(&tmp, &target)
            .map_err(io_err(format!("cannot rename {}", tmp.display())))?;
    }
    std::fs::write(dir.join("oci-layout"), OCI_LAYOUT)
        .map_err(io_err(format!("cannot write {}/oci-layout", dir.display())))?;
    // Keep the other images of an existing layout; replace ours (same tag, or same digest
    // when untagged).
    let entry = index_entry(image, manifest, tag, None);
    let mut entries: Vec<Descriptor> = match std::fs::read(dir.join("index.json")) {
        Ok(bytes) => serde_json::from_slice::<ImageIndex>(&bytes)
            .map_err(|e| {
                Error::new(ErrorKind::InvalidInput, format!(
                    "{}/index.json exists and is not an OCI index ({e}); expected a layout or an empty directory",
                    dir.display()
                ))
            })?
            .manifests,
        Err(_) => Vec::new(),
    };
    entries.retain(|d| match tag {
        Some(t) => d.ref_name() != Some(t),
        None => d.digest != entry.digest,
    });
    entries.push(entry);
    let tmp = dir.join("index.json.partial");
    std::fs::write(&tmp, index_json(entries))
        .map_err(io_err(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, dir.join("index.json"))
        .map_err(io_err(format!("cannot write {}/index.json", dir.display())))?;
    Ok(Written {
        manifest_digest: Digest::of(Algorithm::Sha256, manifest),
        manifest_size: manifest.len() as u64,
        blob_bytes: total,
    })
}

fn write_archive(
    image: &dyn ImageSource,
    manifest: &[u8],
    path: &Path,
    index: Vec<u8>,
    docker_manifest: Option<Vec<u8>>,
) -> Result<Written, WriteError> {
    let tmp = PathBuf::from(format!("{}.partial", path.display()));
    let file = File::create(&tmp).map_err(io_err(format!("cannot create {}", tmp.display())))?;
    let result = (|| -> Result<u64, WriteError> {
        let mut tar = TarWriter::new(BufWriter::new(file));
        let what = || format!("cannot write {}", tmp.display());
        let header = |path: &'static str, kind: Kind, size: u64| Header {
            path,
            kind,
            mode: if kind == Kind::Dir { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            size,
            mtime: 0,
            link: "",
        };
        tar.file(
            &header("oci-layout", Kind::File, OCI_LAYOUT.len() as u64),
            &mut &OCI_LAYOUT[..],
        )
        .map_err(io_err(what()))?;
        tar.file(
            &header("index.json", Kind::File, index.len() as u64),
            &mut index.as_slice(),
        )
        .map_err(io_err(what()))?;
        if let Some(dm) = &docker_manifest {
            tar.file(
                &header("manifest.json", Kind::File, dm.len() as u64),
                &mut dm.as_slice(),
            )
            .map_err(io_err(what()))?;
        }
        tar.header(&header("blobs/", Kind::Dir, 0))
            .map_err(io_err(what()))?;
        tar.header(&header("blobs/sha256/", Kind::Dir, 0))
            .map_err(io_err(what()))?;
        let mut total = 0;
        for (desc, blob) in blobs(image, manifest) {
            total += desc.size;
            let name = desc.digest.blob_path();
            let h = Header {
                path: &name,
                kind: Kind::File,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: desc.size,
                mtime: 0,
                link: "",
            };
            let mut reader = open_blob(image, &blob)?;
            tar.file(&h, &mut reader).map_err(io_err(format!(
                "cannot write {} into {}",
                desc.digest,
                tmp.display()
            )))?;
        }
        tar.finish().map_err(io_err(what()))?;
        Ok(total)
    })();
    match result {
        Ok(total) => {
            std::fs::rename(&tmp, path).map_err(io_err(format!(
                "cannot rename {} to {}",
                tmp.display(),
                path.display()
            )))?;
            Ok(Written {
                manifest_digest: Digest::of(Algorithm::Sha256, manifest),
                manifest_size: manifest.len() as u64,
                blob_bytes: total,
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The JSON of an image's config, for reports (`Value::Null` if it cannot be parsed).
pub fn config_json(image: &dyn ImageSource) -> Value {
    serde_json::from_slice(image.raw_config()).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_keeps_the_source_manifest_bytes() {
        let dir = std::env::temp_dir().join(format!("dockerflow-write-raw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("in/blobs/sha256")).unwrap();
        let put = |bytes: &[u8], mt: &str| {
            let d = Digest::of(Algorithm::Sha256, bytes);
            std::fs::write(dir.join("in").join(d.blob_path()), bytes).unwrap();
            json!({"mediaType": mt, "digest": d.to_string(), "size": bytes.len()})
        };
        let layer = vec![0u8; 1024]; // an empty tar
        let config = json!({"rootfs": {"type": "layers",
            "diff_ids": [Digest::of(Algorithm::Sha256, &layer).to_string()]}})
        .to_string();
        // Pretty-printed, keys in no serialiser's order: re-encoding would change the digest.
        let manifest = serde_json::to_vec_pretty(&json!({
            "layers": [put(&layer, media_type::OCI_LAYER_TAR)],
            "config": put(config.as_bytes(), media_type::OCI_CONFIG),
            "schemaVersion": 2,
        }))
        .unwrap();
        let entry = put(&manifest, media_type::OCI_MANIFEST);
        std::fs::write(
            dir.join("in/index.json"),
            json!({"schemaVersion": 2, "manifests": [entry]}).to_string(),
        )
        .unwrap();
        std::fs::write(dir.join("in/oci-layout"), OCI_LAYOUT).unwrap();
        let options = dockerflow_oci::OpenOptions::default();
        let source = dockerflow_oci::OciLayout::open(&dir.join("in"), None, &options).unwrap();
        let dest =
            Destination::parse(&format!("oci-archive:{}", dir.join("out.tar").display())).unwrap();
        let written = write_image(&source, &dest).unwrap();
        let digest = Digest::of(Algorithm::Sha256, &manifest);
        assert_eq!(written.manifest_digest, digest);
        let copy = dockerflow_oci::OciArchive::open(&dir.join("out.tar"), None, &options).unwrap();
        assert_eq!(copy.raw_manifest(), Some(manifest.as_slice()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn destinations() {
        assert_eq!(
            Destination::parse("docker-archive:/tmp/a.tar:demo").unwrap(),
            Destination::DockerArchive {
                path: "/tmp/a.tar".into(),
                name: Some("demo:latest".into())
            }
        );
        assert_eq!(
            Destination::parse("oci:out:v1").unwrap().to_string(),
            "oci:out:v1"
        );
        for (text, expected) in [
            ("docker-daemon:demo:1", "not supported here"),
            ("docker://localhost:5000/demo", "not supported here"),
            ("demo:1", "not supported here"),
            ("docker-archive:a.tar:@0", "NAME:TAG"),
            ("dir:/x", "not supported"),
        ] {
            let e = Destination::parse(text).unwrap_err();
            assert!(e.context().contains(expected), "{text}: {e}");
        }
    }
}
