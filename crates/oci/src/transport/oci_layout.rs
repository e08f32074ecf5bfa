//! OCI image layouts: a directory (`oci:DIR[:TAG]`) or a tar of one (`oci-archive:FILE[:TAG]`).

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use crate::error::{BlobRole, Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::manifest::{media_kind, Descriptor, ImageIndex, MediaKind};
use crate::transport::{
    impl_image_source, open_verified, parse_json, read_blob, read_small, resolve_manifest,
    ArchiveStore, BlobStore, ImageSource, IndexSource, Loaded, OpenOptions, Opened, StoredManifest,
};

/// A directory confined to its root: only relative paths of normal components are opened,
/// and the opened file's real path must lie under the root's real path, so neither `..`
/// nor a symlink can lead a read outside it.
#[derive(Debug)]
pub(crate) struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub(crate) fn new(root: &Path) -> Result<DirStore> {
        let root = fs::canonicalize(root)
            .map_err(|e| Error::io(format!("opening layout directory {}", root.display()), e))?;
        Ok(DirStore { root })
    }

    fn confined(&self, path: &str) -> Result<PathBuf> {
        let rel = Path::new(path);
        if path.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(Error::new(ErrorKind::PathEscapesRoot {
                path: path.to_string(),
            }));
        }
        let full = self.root.join(rel);
        let real = fs::canonicalize(&full)
            .map_err(|e| Error::io(format!("opening {}", full.display()), e))?;
        if !real.starts_with(&self.root) {
            return Err(Error::new(ErrorKind::PathEscapesRoot {
                path: format!("{path} (resolves to {})", real.display()),
            }));
        }
        Ok(real)
    }
}

impl BlobStore for DirStore {
    fn exists(&self, path: &str) -> bool {
        // An escaping path "exists" so that `open` reports the escape rather than a missing blob.
        match self.confined(path) {
            Ok(p) => p.is_file(),
            Err(e) => matches!(e.kind(), ErrorKind::PathEscapesRoot { .. }),
        }
    }

    fn open(&self, path: &str) -> Result<(Box<dyn Read + '_>, u64)> {
        let real = self.confined(path)?;
        let file =
            File::open(&real).map_err(|e| Error::io(format!("opening {}", real.display()), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {}", real.display()), e))?;
        if !meta.is_file() {
            return Err(Error::io(
                format!("opening {}", real.display()),
                io::Error::other("not a regular file"),
            ));
        }
        Ok((Box::new(BufReader::new(file)), meta.len()))
    }

    fn display(&self, path: &str) -> String {
        self.root.join(path).display().to_string()
    }
}

/// Reads `oci-layout` and `index.json` and chooses the image: by tag
/// (`org.opencontainers.image.ref.name`, or the full `io.containerd.image.name`), or the
/// only entry, or, when the entries carry no names, by platform.
pub(crate) fn select_in_layout(
    store: &dyn BlobStore,
    tag: Option<&str>,
    options: &OpenOptions,
) -> Result<StoredManifest> {
    let desc = select_entry(store, tag, options)?;
    resolve_manifest(store, &desc, &options.platform, &options.limits, 0)
}

/// Reads `oci-layout` and `index.json` and chooses the entry `tag` names (or the only one,
/// or, among unnamed entries, the one for the platform); the entry may be an index.
fn select_entry(
    store: &dyn BlobStore,
    tag: Option<&str>,
    options: &OpenOptions,
) -> Result<Descriptor> {
    let limits = &options.limits;
    let layout_bytes = read_small(store, "oci-layout", limits)?;
    let layout: serde_json::Value = parse_json(&layout_bytes, "oci-layout")?;
    let version = layout.get("imageLayoutVersion").and_then(|v| v.as_str());
    if !version.is_some_and(|v| v.starts_with("1.")) {
        return Err(Error::invalid(
            "oci-layout",
            format!("imageLayoutVersion is {version:?}, expected \"1.0.0\""),
        ));
    }
    let index_bytes = read_small(store, "index.json", limits)?;
    let index: ImageIndex = parse_json(&index_bytes, "index.json")?;
    let names = |entries: &[Descriptor]| -> Vec<String> {
        entries
            .iter()
            .map(|d| {
                d.ref_name()
                    .or(d.image_name())
                    .map_or_else(|| format!("(untagged) {}", d.digest), str::to_string)
            })
            .collect()
    };
    let chosen: Vec<Descriptor> = match tag {
        Some(tag) => {
            let found: Vec<Descriptor> = index
                .manifests
                .iter()
                .filter(|d| d.ref_name() == Some(tag) || d.image_name() == Some(tag))
                .cloned()
                .collect();
            if found.is_empty() {
                return Err(Error::new(ErrorKind::ImageNotFound {
                    wanted: tag.to_string(),
                    available: names(&index.manifests),
                }));
            }
            found
        }
        None => {
            let named = index
                .manifests
                .iter()
                .any(|d| d.ref_name().is_some() || d.image_name().is_some());
            if index.manifests.len() > 1 && named {
                return Err(Error::new(ErrorKind::AmbiguousImage {
                    available: names(&index.manifests),
                }));
            }
            if index.manifests.is_empty() {
                return Err(Error::new(ErrorKind::ImageNotFound {
                    wanted: "any image".to_string(),
                    available: vec![],
                }));
            }
            index.manifests.clone()
        }
    };
    Ok(match chosen.as_slice() {
        [one] => one.clone(),
        many => super::choose_platform(many, &options.platform)?.clone(),
    })
}

fn load<S: BlobStore>(
    origin: String,
    store: S,
    tag: Option<&str>,
    options: &OpenOptions,
) -> Result<Loaded<S>> {
    let stored = select_in_layout(&store, tag, options)?;
    load_manifest(origin, store, stored, options)
}

/// The chosen entry whole when it is an index, else the image it leads to (`image` wraps
/// it in the transport's type).
fn load_index_or_image<S: BlobStore + Send + Sync + 'static>(
    origin: String,
    store: S,
    tag: Option<&str>,
    options: &OpenOptions,
    image: impl FnOnce(Loaded<S>) -> Box<dyn ImageSource>,
) -> Result<Opened> {
    let desc = select_entry(&store, tag, options)?;
    if media_kind(&desc.media_type) == MediaKind::Index {
        let raw = read_blob(
            &store,
            &desc.digest.blob_path(),
            &desc,
            BlobRole::Index,
            &options.limits,
        )?;
        let index: ImageIndex = parse_json(&raw, &format!("index {}", desc.digest))?;
        return Ok(Opened::Index(Box::new(LayoutIndex {
            origin,
            store,
            desc,
            index,
            raw,
            limits: options.limits.clone(),
        })));
    }
    let stored = resolve_manifest(&store, &desc, &options.platform, &options.limits, 0)?;
    Ok(Opened::Image(image(load_manifest(
        origin, store, stored, options,
    )?)))
}

fn load_manifest<S: BlobStore>(
    origin: String,
    store: S,
    (desc, manifest, raw): StoredManifest,
    options: &OpenOptions,
) -> Result<Loaded<S>> {
    let config_path = manifest.config.digest.blob_path();
    let layer_paths = manifest
        .layers
        .iter()
        .map(|l| l.digest.blob_path())
        .collect();
    Loaded::new(
        origin,
        store,
        manifest,
        Some((desc, raw)),
        &config_path,
        layer_paths,
        &options.limits,
    )
}

/// An OCI image layout directory (`oci:DIR[:TAG]`).
#[derive(Debug)]
pub struct OciLayout(Loaded<DirStore>);

impl OciLayout {
    /// Opens the image tagged `tag` (or the only image) in the layout at `dir`.
    pub fn open(dir: &Path, tag: Option<&str>, options: &OpenOptions) -> Result<OciLayout> {
        let origin = match tag {
            Some(t) => format!("oci:{}:{t}", dir.display()),
            None => format!("oci:{}", dir.display()),
        };
        let inner = || -> Result<OciLayout> {
            let store = DirStore::new(dir)?;
            Ok(OciLayout(load(origin.clone(), store, tag, options)?))
        };
        inner().map_err(|e| e.with_origin(&origin))
    }
}

impl OciLayout {
    /// Opens the entry `tag` names (or the only one) in the layout at `dir`: whole when it
    /// is an index, else as [`OciLayout::open`] does.
    pub fn open_index_or_image(
        dir: &Path,
        tag: Option<&str>,
        options: &OpenOptions,
    ) -> Result<Opened> {
        let origin = match tag {
            Some(t) => format!("oci:{}:{t}", dir.display()),
            None => format!("oci:{}", dir.display()),
        };
        let inner = || -> Result<Opened> {
            let store = DirStore::new(dir)?;
            load_index_or_image(origin.clone(), store, tag, options, |l| {
                Box::new(OciLayout(l))
            })
        };
        inner().map_err(|e| e.with_origin(&origin))
    }
}

impl_image_source!(OciLayout);

/// A tar of an OCI image layout (`oci-archive:FILE[:TAG]`), read in place.
#[derive(Debug)]
pub struct OciArchive(Loaded<ArchiveStore>);

impl OciArchive {
    /// Opens the image tagged `tag` (or the only image) in the archive at `file`.
    pub fn open(file: &Path, tag: Option<&str>, options: &OpenOptions) -> Result<OciArchive> {
        let origin = match tag {
            Some(t) => format!("oci-archive:{}:{t}", file.display()),
            None => format!("oci-archive:{}", file.display()),
        };
        let inner = || -> Result<OciArchive> {
            let store = ArchiveStore::index(file, &options.limits)?;
            Ok(OciArchive(load(origin.clone(), store, tag, options)?))
        };
        inner().map_err(|e| e.with_origin(&origin))
    }
}

impl OciArchive {
    /// Opens the entry `tag` names (or the only one) in the archive at `file`: whole when
    /// it is an index, else as [`OciArchive::open`] does.
    pub fn open_index_or_image(
        file: &Path,
        tag: Option<&str>,
        options: &OpenOptions,
    ) -> Result<Opened> {
        let origin = match tag {
            Some(t) => format!("oci-archive:{}:{t}", file.display()),
            None => format!("oci-archive:{}", file.display()),
        };
        let inner = || -> Result<Opened> {
            let store = ArchiveStore::index(file, &options.limits)?;
            load_index_or_image(origin.clone(), store, tag, options, |l| {
                Box::new(OciArchive(l))
            })
        };
        inner().map_err(|e| e.with_origin(&origin))
    }
}

impl_image_source!(OciArchive);

/// An index in a layout or oci-archive, with the store its blobs are in.
#[derive(Debug)]
pub(crate) struct LayoutIndex<S> {
    origin: String,
    store: S,
    desc: Descriptor,
    index: ImageIndex,
    raw: Vec<u8>,
    limits: Limits,
}

impl<S: BlobStore + Send + Sync> IndexSource for LayoutIndex<S> {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    fn index(&self) -> &ImageIndex {
        &self.index
    }

    fn raw_index(&self) -> &[u8] {
        &self.raw
    }

    fn read_manifest(&self, desc: &Descriptor, role: BlobRole) -> Result<Vec<u8>> {
        read_blob(
            &self.store,
            &desc.digest.blob_path(),
            desc,
            role,
            &self.limits,
        )
        .map_err(|e| e.with_origin(&self.origin))
    }

    fn open_blob(&self, desc: &Descriptor, role: BlobRole) -> Result<Box<dyn Read + '_>> {
        let r = open_verified(&self.store, &desc.digest.blob_path(), desc, role)
            .map_err(|e| e.with_origin(&self.origin))?;
        Ok(Box::new(r))
    }
}
