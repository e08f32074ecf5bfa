//! Image sources: one trait, [`ImageSource`], served by each local transport.
//!
//! Every transport reduces to a blob store (an archive read in place, or a directory
//! confined to its root) plus the selection rules of its format; blob reads are verified
//! against their descriptors while streaming.

pub mod docker_archive;
pub mod oci_layout;

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::config::ImageConfig;
use crate::digest::{Digest, VerifyingReader};
use crate::error::{BlobRole, Error, ErrorKind, Result};
use crate::limits::{Limit, Limits};
use crate::manifest::{media_kind, Descriptor, ImageIndex, ImageManifest, MediaKind, Platform};
use crate::reference::ImageRef;
use crate::tar::{ArchiveEntry, Seeking, StreamCtx, TarReader};
use crate::vfs::EntryKind;

pub use docker_archive::DockerArchive;
pub use oci_layout::{OciArchive, OciLayout};

/// A readable image: its manifest, its config, and a verified stream for each layer.
///
/// Implemented for every transport, so code that judges images does not care where one
/// came from.
pub trait ImageSource: fmt::Debug + Send + Sync {
    /// Where the image comes from, e.g. `oci:/tmp/layout:v1`; used in errors.
    fn origin(&self) -> &str;

    /// The chosen image manifest. For a classic `docker save` archive, which holds no
    /// manifest, one is synthesised from `manifest.json` (see [`ImageSource::manifest_digest`]).
    fn manifest(&self) -> &ImageManifest;

    /// The digest of the manifest, or `None` when the manifest was synthesised.
    fn manifest_digest(&self) -> Option<&Digest>;

    /// The manifest's exact bytes (they hash to [`ImageSource::manifest_digest`]), when the
    /// source holds them; `None` when the manifest was synthesised. A copy that pushes these
    /// bytes unchanged keeps the digest that signatures and pins name.
    fn raw_manifest(&self) -> Option<&[u8]> {
        None
    }

    /// The parsed config.
    fn config(&self) -> &ImageConfig;

    /// The config's bytes, as stored (digest-verified).
    fn raw_config(&self) -> &[u8];

    /// The layer's blob as stored (possibly compressed), bottom layer first. The stream is
    /// verified as it is read: instead of reporting its end, it fails when the bytes do not
    /// match the descriptor's digest or size.
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + '_>>;
}

/// An image index read as stored, and every blob it reaches: what copying a multi-platform
/// image whole needs. Nothing is chosen by platform and nothing beyond the index is parsed;
/// every blob is verified against its descriptor as it is read.
pub trait IndexSource: fmt::Debug + Send + Sync {
    /// Where the index comes from, e.g. `oci:/tmp/layout:v1`; used in errors.
    fn origin(&self) -> &str;

    /// The index's descriptor: its media type (OCI image index or Docker manifest list),
    /// digest and size.
    fn descriptor(&self) -> &Descriptor;

    /// The parsed index.
    fn index(&self) -> &ImageIndex;

    /// The index's exact bytes (they hash to the descriptor's digest).
    fn raw_index(&self) -> &[u8];

    /// Reads the manifest or nested index `desc` names, whole (within the JSON size cap),
    /// verified against `desc`.
    fn read_manifest(&self, desc: &Descriptor, role: BlobRole) -> Result<Vec<u8>>;

    /// Opens the blob `desc` names (a config, a layer) as a stream that fails instead of
    /// ending when the bytes do not match `desc`.
    fn open_blob(&self, desc: &Descriptor, role: BlobRole) -> Result<Box<dyn Read + '_>>;
}

/// What a reference names when no platform is chosen: an image index, or one image.
#[derive(Debug)]
pub enum Opened {
    /// An image index (or Docker manifest list), for copying every platform at once.
    Index(Box<dyn IndexSource>),
    /// One image: a single manifest, or a classic `docker save` archive's image.
    Image(Box<dyn ImageSource>),
}

/// How to open an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// The platform chosen from indexes. Default `linux/amd64`.
    pub platform: Platform,
    /// Resource caps.
    pub limits: Limits,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            platform: Platform::linux_amd64(),
            limits: Limits::default(),
        }
    }
}

/// Opens the image `reference` names, for the transports read locally.
///
/// `docker://` and `docker-daemon:` (and bare names) parse but return
/// [`ErrorKind::Unsupported`]: this crate depends on neither a registry client nor an engine
/// client. The `dockerflow-image` crate opens every transport (it reads local ones through
/// this function).
pub fn open(reference: &ImageRef, options: &OpenOptions) -> Result<Box<dyn ImageSource>> {
    match reference {
        ImageRef::DockerArchive { path, image } => Ok(Box::new(DockerArchive::open(
            path,
            image.as_ref(),
            options,
        )?)),
        ImageRef::OciLayout { path, tag } => {
            Ok(Box::new(OciLayout::open(path, tag.as_deref(), options)?))
        }
        ImageRef::OciArchive { path, tag } => {
            Ok(Box::new(OciArchive::open(path, tag.as_deref(), options)?))
        }
        ImageRef::Registry(_) => Err(Error::new(ErrorKind::Unsupported {
            what: format!("reading from a registry ({reference})"),
        })),
        ImageRef::DockerDaemon { .. } => Err(Error::new(ErrorKind::Unsupported {
            what: format!("reading from the Docker engine ({reference}); use `docker save` and docker-archive:"),
        })),
    }
}

/// Opens what `reference` names without choosing a platform, for the transports read locally:
/// an OCI layout's (or oci-archive's) selected entry when it is an index, else the image as
/// [`open`] reads it. A `docker save` archive is always one image (its `manifest.json`
/// names the platform it holds); so is a layout whose `index.json` lists the platforms'
/// manifests itself, since no index blob exists to copy.
pub fn open_index_or_image(reference: &ImageRef, options: &OpenOptions) -> Result<Opened> {
    match reference {
        ImageRef::OciLayout { path, tag } => {
            OciLayout::open_index_or_image(path, tag.as_deref(), options)
        }
        ImageRef::OciArchive { path, tag } => {
            OciArchive::open_index_or_image(path, tag.as_deref(), options)
        }
        other => Ok(Opened::Image(open(other, options)?)),
    }
}

/// Somewhere blobs live, addressed by relative path.
pub(crate) trait BlobStore: fmt::Debug {
    /// Whether a regular file is at `path`.
    fn exists(&self, path: &str) -> bool;
    /// Opens `path`; returns the stream and its length.
    fn open(&self, path: &str) -> Result<(Box<dyn Read + '_>, u64)>;
    /// How to name `path` in errors.
    fn display(&self, path: &str) -> String;
}

/// An archive read in place: an index of its regular files, and the file to seek in.
#[derive(Debug)]
pub(crate) struct ArchiveStore {
    path: PathBuf,
    entries: HashMap<String, ArchiveEntry>,
}

/// Normalises an archive member name: `./a//b` is `a/b`.
pub(crate) fn archive_name(name: &str) -> String {
    name.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

impl ArchiveStore {
    /// Reads the archive's headers once (seeking over the data) to index its files.
    pub(crate) fn index(path: &Path, limits: &Limits) -> Result<ArchiveStore> {
        let file =
            File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
            .len();
        let input = Seeking {
            inner: BufReader::new(file),
            pos: 0,
            len,
        };
        let ctx = StreamCtx {
            name: format!("archive {}", path.display()),
            layer: None,
            digest: None,
        };
        let mut tar = TarReader::new(input, limits.max_path_len, limits.max_pax_header, ctx);
        let mut entries = HashMap::new();
        let mut count = 0u64;
        let mut memory = 0u64;
        let exceeded = |limit, max| {
            Err(Error::new(ErrorKind::LimitExceeded {
                limit,
                max,
                layer: None,
                digest: None,
            }))
        };
        while let Some(h) = tar.next_entry()? {
            count += 1;
            if count > limits.max_entries {
                return exceeded(Limit::Entries, limits.max_entries);
            }
            if h.kind == EntryKind::File {
                if h.data_offset.saturating_add(h.size) > len {
                    return Err(Error::new(ErrorKind::Tar {
                        stream: format!("archive {}", path.display()),
                        offset: h.data_offset,
                        reason: format!("truncated: {} ends past the end of the file", h.path),
                    }));
                }
                let name = archive_name(&h.path);
                // The index is memory an archive's author chooses: bounded like the tree.
                memory += (name.len() + std::mem::size_of::<(String, ArchiveEntry)>() + 16) as u64;
                if memory > limits.max_memory {
                    return exceeded(Limit::Memory, limits.max_memory);
                }
                entries.insert(
                    name,
                    ArchiveEntry {
                        offset: h.data_offset,
                        size: h.size,
                    },
                );
            }
        }
        Ok(ArchiveStore {
            path: path.to_path_buf(),
            entries,
        })
    }
}

impl BlobStore for ArchiveStore {
    fn exists(&self, path: &str) -> bool {
        self.entries.contains_key(&archive_name(path))
    }

    fn open(&self, path: &str) -> Result<(Box<dyn Read + '_>, u64)> {
        let entry = *self.entries.get(&archive_name(path)).ok_or_else(|| {
            Error::io(
                format!("opening {}", self.display(path)),
                io::ErrorKind::NotFound.into(),
            )
        })?;
        let what = || format!("reading {}", self.display(path));
        let mut file = File::open(&self.path).map_err(|e| Error::io(what(), e))?;
        file.seek(SeekFrom::Start(entry.offset))
            .map_err(|e| Error::io(what(), e))?;
        Ok((Box::new(BufReader::new(file).take(entry.size)), entry.size))
    }

    fn display(&self, path: &str) -> String {
        format!("{}!{}", self.path.display(), archive_name(path))
    }
}

/// Reads a small JSON blob, verified, within the JSON size cap.
pub(crate) fn read_blob(
    store: &dyn BlobStore,
    path: &str,
    desc: &Descriptor,
    role: BlobRole,
    limits: &Limits,
) -> Result<Vec<u8>> {
    if desc.size > limits.max_json_bytes {
        return Err(Error::new(ErrorKind::LimitExceeded {
            limit: Limit::JsonBytes,
            max: limits.max_json_bytes,
            layer: None,
            digest: Some(desc.digest.clone()),
        }));
    }
    let mut reader = open_verified(store, path, desc, role.clone())?;
    let mut buf = Vec::with_capacity(usize::try_from(desc.size).unwrap_or(0));
    reader.read_to_end(&mut buf).map_err(|e| {
        Error::from_io(e, || format!("reading {role} blob {}", store.display(path)))
    })?;
    Ok(buf)
}

/// Opens a blob as a verifying stream, after checking that it exists and has the right length.
pub(crate) fn open_verified<'a>(
    store: &'a dyn BlobStore,
    path: &str,
    desc: &Descriptor,
    role: BlobRole,
) -> Result<VerifyingReader<Box<dyn Read + 'a>>> {
    if !store.exists(path) {
        return Err(Error::new(ErrorKind::BlobMissing {
            role,
            digest: desc.digest.clone(),
            path: store.display(path),
        }));
    }
    let (reader, len) = store.open(path)?;
    if len != desc.size {
        return Err(Error::new(ErrorKind::SizeMismatch {
            role,
            digest: desc.digest.clone(),
            expected: desc.size,
            actual: len,
            path: store.display(path),
        }));
    }
    Ok(VerifyingReader::new(
        reader,
        desc.digest.clone(),
        desc.size,
        role,
        store.display(path),
    ))
}

/// Reads a file that has no descriptor (`index.json`, `manifest.json`, `oci-layout`) within
/// the JSON cap.
pub(crate) fn read_small(store: &dyn BlobStore, path: &str, limits: &Limits) -> Result<Vec<u8>> {
    let (reader, len) = store.open(path)?;
    if len > limits.max_json_bytes {
        return Err(Error::new(ErrorKind::LimitExceeded {
            limit: Limit::JsonBytes,
            max: limits.max_json_bytes,
            layer: None,
            digest: None,
        }));
    }
    let mut buf = Vec::new();
    reader
        .take(limits.max_json_bytes)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(format!("reading {}", store.display(path)), e))?;
    Ok(buf)
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::json(what, e))
}

/// An image once its manifest and config are chosen and read.
#[derive(Debug)]
pub(crate) struct Loaded<S> {
    pub(crate) origin: String,
    pub(crate) store: S,
    pub(crate) manifest: ImageManifest,
    pub(crate) manifest_digest: Option<Digest>,
    /// The manifest's bytes as stored; `None` when synthesised.
    pub(crate) raw_manifest: Option<Vec<u8>>,
    pub(crate) config: ImageConfig,
    pub(crate) raw_config: Vec<u8>,
    /// Where each layer is in the store.
    pub(crate) layer_paths: Vec<String>,
}

impl<S: BlobStore> Loaded<S> {
    /// Reads and checks the config of `manifest`, whose layers live at `layer_paths`;
    /// `stored` is the manifest's descriptor and bytes, `None` when it was synthesised.
    pub(crate) fn new(
        origin: String,
        store: S,
        manifest: ImageManifest,
        stored: Option<(Descriptor, Vec<u8>)>,
        config_path: &str,
        layer_paths: Vec<String>,
        limits: &Limits,
    ) -> Result<Loaded<S>> {
        let raw_config = read_blob(
            &store,
            config_path,
            &manifest.config,
            BlobRole::Config,
            limits,
        )?;
        let config: ImageConfig =
            parse_json(&raw_config, &format!("config {}", manifest.config.digest))?;
        for (i, l) in manifest.layers.iter().enumerate() {
            if media_kind(&l.media_type) != MediaKind::Layer {
                return Err(Error::new(ErrorKind::UnsupportedMediaType {
                    role: BlobRole::Layer(i),
                    media_type: l.media_type.clone(),
                }));
            }
        }
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(Error::invalid(
                format!("config {}", manifest.config.digest),
                format!(
                    "rootfs.diff_ids lists {} layers, the manifest {}",
                    config.rootfs.diff_ids.len(),
                    manifest.layers.len()
                ),
            ));
        }
        let (manifest_digest, raw_manifest) = match stored {
            Some((desc, bytes)) => (Some(desc.digest), Some(bytes)),
            None => (None, None),
        };
        Ok(Loaded {
            origin,
            store,
            manifest,
            manifest_digest,
            raw_manifest,
            config,
            raw_config,
            layer_paths,
        })
    }

    pub(crate) fn open_layer(&self, index: usize) -> Result<Box<dyn Read + '_>> {
        let desc = self.manifest.layers.get(index).ok_or_else(|| {
            Error::invalid(
                "layer index",
                format!("{index} is past the {} layers", self.manifest.layers.len()),
            )
        })?;
        let path = self.layer_paths.get(index).ok_or_else(|| {
            Error::invalid("layer index", format!("no location for layer {index}"))
        })?;
        let r = open_verified(&self.store, path, desc, BlobRole::Layer(index))
            .map_err(|e| e.with_origin(&self.origin))?;
        Ok(Box::new(r))
    }
}

/// An image manifest as read from a store: its descriptor, its parsed form and its bytes.
pub(crate) type StoredManifest = (Descriptor, ImageManifest, Vec<u8>);

/// Follows `desc` (a manifest, or an index to choose from by platform) to an image manifest.
pub(crate) fn resolve_manifest(
    store: &dyn BlobStore,
    desc: &Descriptor,
    platform: &Platform,
    limits: &Limits,
    depth: u64,
) -> Result<StoredManifest> {
    match media_kind(&desc.media_type) {
        MediaKind::Manifest => {
            let bytes = read_blob(
                store,
                &desc.digest.blob_path(),
                desc,
                BlobRole::Manifest,
                limits,
            )?;
            let m: ImageManifest = parse_json(&bytes, &format!("manifest {}", desc.digest))?;
            Ok((desc.clone(), m, bytes))
        }
        MediaKind::Index => {
            if depth >= limits.max_index_depth {
                return Err(Error::new(ErrorKind::LimitExceeded {
                    limit: Limit::IndexDepth,
                    max: limits.max_index_depth,
                    layer: None,
                    digest: Some(desc.digest.clone()),
                }));
            }
            let bytes = read_blob(
                store,
                &desc.digest.blob_path(),
                desc,
                BlobRole::Index,
                limits,
            )?;
            let index: ImageIndex = parse_json(&bytes, &format!("index {}", desc.digest))?;
            let chosen = choose_platform(&index.manifests, platform)?;
            resolve_manifest(store, chosen, platform, limits, depth + 1)
        }
        _ => Err(Error::new(ErrorKind::UnsupportedMediaType {
            role: BlobRole::Manifest,
            media_type: desc.media_type.clone(),
        })),
    }
}

/// Chooses the entry for `platform` among an index's entries (attestations never count).
/// An entry without a platform is taken only when it is the only image entry. Every transport
/// (the registry client's too) chooses with this one function.
///
/// # Errors
///
/// [`ErrorKind::PlatformNotFound`], listing the platforms the index has.
pub fn choose_platform<'a>(
    entries: &'a [Descriptor],
    platform: &Platform,
) -> Result<&'a Descriptor> {
    let images: Vec<&Descriptor> = entries
        .iter()
        .filter(|d| !d.is_attestation())
        .filter(|d| {
            matches!(
                media_kind(&d.media_type),
                MediaKind::Manifest | MediaKind::Index
            )
        })
        .collect();
    if let Some(d) = images
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| p.satisfies(platform)))
    {
        return Ok(d);
    }
    if let [only] = images.as_slice() {
        if only.platform.is_none() {
            return Ok(only);
        }
    }
    Err(Error::new(ErrorKind::PlatformNotFound {
        wanted: platform.to_string(),
        available: images
            .iter()
            .map(|d| {
                d.platform
                    .as_ref()
                    .map_or_else(|| format!("(no platform) {}", d.digest), |p| p.to_string())
            })
            .collect(),
    }))
}

/// Finds, among everything reachable from `index` whose blobs are present, the manifest
/// whose config is `config`. Used to recover the real manifest behind a `docker save`
/// archive's `manifest.json`.
pub(crate) fn find_manifest_by_config(
    store: &dyn BlobStore,
    index: &ImageIndex,
    config: &Digest,
    limits: &Limits,
    depth: u64,
) -> Result<Option<StoredManifest>> {
    for d in &index.manifests {
        if !store.exists(&d.digest.blob_path()) {
            continue;
        }
        match media_kind(&d.media_type) {
            MediaKind::Manifest => {
                let bytes = read_blob(store, &d.digest.blob_path(), d, BlobRole::Manifest, limits)?;
                let m: ImageManifest = parse_json(&bytes, &format!("manifest {}", d.digest))?;
                if &m.config.digest == config {
                    return Ok(Some((d.clone(), m, bytes)));
                }
            }
            MediaKind::Index if depth < limits.max_index_depth => {
                let bytes = read_blob(store, &d.digest.blob_path(), d, BlobRole::Index, limits)?;
                let nested: ImageIndex = parse_json(&bytes, &format!("index {}", d.digest))?;
                if let Some(found) =
                    find_manifest_by_config(store, &nested, config, limits, depth + 1)?
                {
                    return Ok(Some(found));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

macro_rules! impl_image_source {
    ($t:ty) => {
        impl $crate::transport::ImageSource for $t {
            fn origin(&self) -> &str {
                &self.0.origin
            }
            fn manifest(&self) -> &$crate::manifest::ImageManifest {
                &self.0.manifest
            }
            fn manifest_digest(&self) -> Option<&$crate::digest::Digest> {
                self.0.manifest_digest.as_ref()
            }
            fn raw_manifest(&self) -> Option<&[u8]> {
                self.0.raw_manifest.as_deref()
            }
            fn config(&self) -> &$crate::config::ImageConfig {
                &self.0.config
            }
            fn raw_config(&self) -> &[u8] {
                &self.0.raw_config
            }
            fn open_layer(
                &self,
                index: usize,
            ) -> $crate::error::Result<Box<dyn std::io::Read + '_>> {
                self.0.open_layer(index)
            }
        }
    };
}
pub(crate) use impl_image_source;
