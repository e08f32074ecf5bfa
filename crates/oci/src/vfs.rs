//! The confined, layered, read-only virtual filesystem of an image.
//!
//! Layers are applied in order into a map from normalised absolute path to metadata; no byte
//! is ever written to the host. Content is kept only for the regular files a
//! [`ContentRequest`] names, up to [`Limits::max_file_content`] each.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{Limit, Limits};
use crate::tar::{StreamCtx, Streaming, TarHeader, TarKind, TarReader};
use crate::transport::ImageSource;

/// Symlink hops allowed while resolving one path (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link; see [`Entry::link_target`].
    Symlink,
    /// A hard link to a regular file; metadata and content are the target's.
    Hardlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A FIFO.
    Fifo,
    /// Any other tar type (e.g. GNU sparse files), with its type flag.
    Other(u8),
}

/// One path in the image, as it stands after all layers.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Absolute, normalised path (`/`, `/etc/passwd`).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits including setuid, setgid and sticky (`0o7777` mask).
    pub mode: u32,
    /// Owner uid.
    pub uid: u64,
    /// Owner gid.
    pub gid: u64,
    /// Size in bytes (regular files and hard links).
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// A symlink's target as written, or a hard link's target (normalised path).
    pub link_target: Option<String>,
    /// The layer that last wrote this path (0 is the bottom layer).
    pub layer: usize,
    /// Whether no tar entry created this directory (it was implied by a path beneath it).
    pub implicit: bool,
    content: Content,
    /// Where this file's bytes are: the layer, the normalised tar path and the entry's
    /// position in that layer.
    origin: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    layer: usize,
    path: String,
    ordinal: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Content {
    NotRetained,
    Retained(Vec<u8>),
    TooLarge,
}

impl Entry {
    /// Whether content was retained for this file.
    pub fn has_content(&self) -> bool {
        matches!(self.content, Content::Retained(_))
    }

    fn dir(path: &str, layer: usize) -> Entry {
        Entry {
            path: path.to_string(),
            kind: EntryKind::Dir,
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: 0,
            link_target: None,
            layer,
            implicit: true,
            content: Content::NotRetained,
            origin: None,
        }
    }
}

/// Something in a layer that was not applied as written. The read goes on; a checker
/// decides what such a finding means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The layer.
    pub layer: usize,
    /// The tar entry's name as written.
    pub entry: String,
    /// What happened.
    pub kind: FindingKind,
}

/// Kinds of [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FindingKind {
    /// The name climbs above the root with `..`; the entry was skipped.
    EscapesRoot,
    /// The name is absolute; it was applied relative to the image root.
    AbsoluteName,
    /// A hard link whose target climbs above the root; skipped.
    HardlinkEscapes {
        /// The target as written.
        target: String,
    },
    /// A hard link whose target does not exist (in this or a lower layer); skipped.
    HardlinkTargetMissing {
        /// The normalised target.
        target: String,
    },
    /// A hard link to a directory; skipped.
    HardlinkToDirectory {
        /// The normalised target.
        target: String,
    },
    /// A parent of the entry is not a directory (e.g. a symlink, the tar-slip pattern);
    /// the entry was skipped rather than written through it.
    ParentNotDirectory {
        /// The parent that is not a directory.
        parent: String,
    },
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::EscapesRoot => f.write_str("name climbs above the image root; skipped"),
            FindingKind::AbsoluteName => f.write_str("absolute name; applied under the image root"),
            FindingKind::HardlinkEscapes { target } => {
                write!(
                    f,
                    "hard link target {target:?} climbs above the image root; skipped"
                )
            }
            FindingKind::HardlinkTargetMissing { target } => {
                write!(f, "hard link target {target} does not exist; skipped")
            }
            FindingKind::HardlinkToDirectory { target } => {
                write!(f, "hard link to directory {target}; skipped")
            }
            FindingKind::ParentNotDirectory { parent } => {
                write!(f, "parent {parent} is not a directory; skipped")
            }
        }
    }
}

/// How a later tar entry hid a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HiddenBy {
    /// A `.wh.NAME` whiteout of the file or of a directory above it.
    Whiteout,
    /// An opaque marker (`.wh..wh..opq`) in a directory above it.
    OpaqueDirectory,
    /// A later entry with the same path, or a non-directory replacing a directory above it.
    Replaced,
}

impl fmt::Display for HiddenBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HiddenBy::Whiteout => "deleted",
            HiddenBy::OpaqueDirectory => "hidden by an opaque directory",
            HiddenBy::Replaced => "replaced",
        })
    }
}

/// A regular file (or hard link) that a later entry deleted or replaced. It is not in the
/// filesystem after all layers, but its bytes are still in the blob of the layer that added
/// it: anyone who pulls the image can read them.
#[derive(Debug, Clone)]
pub struct Hidden {
    /// The file as it stood before it was hidden; `entry.layer` is the layer that wrote it.
    pub entry: Entry,
    /// The layer whose entry hid it (equal to `entry.layer` when the same layer wrote the
    /// path twice).
    pub by_layer: usize,
    /// How it was hidden.
    pub by: HiddenBy,
}

impl Hidden {
    /// The hidden file's bytes. Fails unless [`ContentRequest::with_hidden`] asked for them
    /// and they fit under the per-file cap.
    pub fn content(&self) -> Result<&[u8]> {
        let path = || format!("{} (hidden, layer {})", self.entry.path, self.entry.layer);
        match &self.entry.content {
            Content::Retained(v) => Ok(v),
            Content::TooLarge => Err(Error::new(ErrorKind::ContentNotRetained {
                path: path(),
                reason: format!("{} bytes is over the per-file cap", self.entry.size),
            })),
            Content::NotRetained => Err(Error::new(ErrorKind::ContentNotRetained {
                path: path(),
                reason: "not named by ContentRequest::with_hidden".to_string(),
            })),
        }
    }
}

/// Which regular files to keep the content of.
pub struct ContentRequest {
    paths: BTreeSet<String>,
    predicate: Option<PathPredicate>,
    hidden: Option<PathPredicate>,
}

/// A test on a normalised path.
type PathPredicate = Box<dyn Fn(&str) -> bool + Send + Sync>;

impl fmt::Debug for ContentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContentRequest")
            .field("paths", &self.paths)
            .field("predicate", &self.predicate.is_some())
            .field("hidden", &self.hidden.is_some())
            .finish()
    }
}

impl Default for ContentRequest {
    /// `/etc/passwd` and `/etc/group`, which [`Vfs::resolve_user`] needs.
    fn default() -> ContentRequest {
        ContentRequest::paths(["/etc/passwd", "/etc/group"])
    }
}

impl ContentRequest {
    /// No content at all.
    pub fn none() -> ContentRequest {
        ContentRequest {
            paths: BTreeSet::new(),
            predicate: None,
            hidden: None,
        }
    }

    /// These paths. A path reached through symlinks gets its content too: its final target
    /// is read after all layers are applied, re-reading the layer that holds it if needed.
    pub fn paths<I, S>(paths: I) -> ContentRequest
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        ContentRequest {
            paths: paths
                .into_iter()
                .filter_map(|p| normalize(p.as_ref()))
                .collect(),
            predicate: None,
            hidden: None,
        }
    }

    /// Adds a path.
    pub fn with_path(mut self, path: &str) -> ContentRequest {
        if let Some(p) = normalize(path) {
            self.paths.insert(p);
        }
        self
    }

    /// Also keeps every regular file whose normalised path satisfies `f` (matched as the
    /// entry is read; symlinks to such files are not followed).
    pub fn with_predicate(
        mut self,
        f: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> ContentRequest {
        self.predicate = Some(Box::new(f));
        self
    }

    /// Also keeps the content of every [`Hidden`] file whose normalised path satisfies `f`.
    /// Which files end up hidden is known only after all layers, so their bytes are read on
    /// a second pass over the layers that hold them (only those layers, and only when there
    /// is such a file). Hidden content counts towards the same caps as visible content.
    pub fn with_hidden(
        mut self,
        f: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> ContentRequest {
        self.hidden = Some(Box::new(f));
        self
    }

    fn wants_hidden(&self, path: &str) -> bool {
        self.hidden.as_ref().is_some_and(|f| f(path))
    }

    fn wants(&self, path: &str) -> bool {
        self.paths.contains(path) || self.predicate.as_ref().is_some_and(|f| f(path))
    }
}

/// Normalises a tar name or a path to an absolute path inside the root, or `None` when
/// `..` would climb above the root.
pub(crate) fn normalize(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The image's filesystem after all layers, as metadata plus the requested content.
#[derive(Debug)]
pub struct Vfs {
    nodes: BTreeMap<String, Entry>,
    hidden: Vec<Hidden>,
    findings: Vec<Finding>,
    layers: usize,
    content_total: u64,
    max_file_content: u64,
    max_total_content: u64,
}

/// Per-layer reading state shared along the decoding chain.
struct LayerCtx {
    index: usize,
    digest: Digest,
    diff_id: Option<Digest>,
}

/// Counts the compressed bytes read.
struct CountIn<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(MultiGzDecoder<R>, usize, Digest),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d, layer, digest) => d.read(buf).map_err(|e| {
                if e.get_ref().is_some_and(|i| i.is::<Error>()) {
                    e
                } else {
                    Error::new(ErrorKind::Decompress {
                        layer: *layer,
                        digest: digest.clone(),
                        source: e,
                    })
                    .into_io()
                }
            }),
        }
    }
}

/// Counts decompressed bytes against the caps and hashes them for the diff id.
struct Capped<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    layer_bytes: u64,
    total_before: u64,
    hasher: Hasher,
    max_total: u64,
    max_ratio: u64,
    grace: u64,
    layer: usize,
    digest: Digest,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.layer_bytes += n as u64;
        self.hasher.update(&buf[..n]);
        let limit = |limit, max| {
            Error::new(ErrorKind::LimitExceeded {
                limit,
                max,
                layer: Some(self.layer),
                digest: Some(self.digest.clone()),
            })
            .into_io()
        };
        if self.total_before + self.layer_bytes > self.max_total {
            return Err(limit(Limit::DecompressedBytes, self.max_total));
        }
        if self.layer_bytes > self.grace
            && self.layer_bytes / self.compressed.get().max(1) > self.max_ratio
        {
            return Err(limit(Limit::CompressionRatio, self.max_ratio));
        }
        Ok(n)
    }
}

type LayerTar<'a> = TarReader<Streaming<Capped<Decoder<BufReader<CountIn<Box<dyn Read + 'a>>>>>>>;

/// Counters kept across layers.
struct Budget {
    decompressed: u64,
    entries: u64,
}

/// Reads layer `ctx.index`, calling `visit` for each entry; verifies the blob and diff id.
fn walk_layer(
    source: &dyn ImageSource,
    ctx: &LayerCtx,
    limits: &Limits,
    budget: &mut Budget,
    visit: &mut dyn FnMut(&TarHeader, &mut LayerTar<'_>) -> Result<()>,
) -> Result<()> {
    let result = walk_layer_inner(source, ctx, limits, budget, visit);
    match result {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::Tar { .. } | ErrorKind::Decompress { .. }
            ) =>
        {
            // A malformed stream is often a blob that is not what its descriptor says:
            // report the digest or size mismatch, the root cause, when there is one.
            let mut raw = source.open_layer(ctx.index)?;
            match io::copy(&mut raw, &mut io::sink()) {
                Err(v) => Err(Error::from_io(v, || format!("reading layer {}", ctx.index))),
                Ok(_) => Err(e),
            }
        }
        other => other,
    }
}

fn walk_layer_inner(
    source: &dyn ImageSource,
    ctx: &LayerCtx,
    limits: &Limits,
    budget: &mut Budget,
    visit: &mut dyn FnMut(&TarHeader, &mut LayerTar<'_>) -> Result<()>,
) -> Result<()> {
    let what = || format!("reading layer {} ({})", ctx.index, ctx.digest);
    let compressed = Rc::new(Cell::new(0u64));
    let raw = source.open_layer(ctx.index)?;
    let mut buffered = BufReader::with_capacity(
        64 * 1024,
        CountIn {
            inner: raw,
            count: compressed.clone(),
        },
    );
    let magic = buffered
        .fill_buf()
        .map_err(|e| Error::from_io(e, what))?
        .to_vec();
    let decoder = if magic.starts_with(&[0x1f, 0x8b]) {
        Decoder::Gzip(MultiGzDecoder::new(buffered), ctx.index, ctx.digest.clone())
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(Error::new(ErrorKind::ZstdNotSupported {
            layer: ctx.index,
            digest: ctx.digest.clone(),
        }));
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) || magic.starts_with(b"BZh") {
        return Err(Error::new(ErrorKind::Unsupported {
            what: format!(
                "layer {} ({}) is xz- or bzip2-compressed; only tar and gzip layers are read",
                ctx.index, ctx.digest
            ),
        }));
    } else {
        Decoder::Plain(buffered)
    };
    let capped = Capped {
        inner: decoder,
        compressed,
        layer_bytes: 0,
        total_before: budget.decompressed,
        hasher: Hasher::new(Algorithm::Sha256),
        max_total: limits.max_decompressed_bytes,
        max_ratio: limits.max_compression_ratio,
        grace: limits.compression_ratio_grace,
        layer: ctx.index,
        digest: ctx.digest.clone(),
    };
    let stream = StreamCtx {
        name: format!("layer {} ({})", ctx.index, ctx.digest),
        layer: Some(ctx.index),
        digest: Some(ctx.digest.clone()),
    };
    let mut tar: LayerTar<'_> = TarReader::new(
        Streaming(capped),
        limits.max_path_len,
        limits.max_pax_header,
        stream,
    );
    while let Some(h) = tar.next_entry()? {
        budget.entries += 1;
        if budget.entries > limits.max_entries {
            return Err(Error::new(ErrorKind::LimitExceeded {
                limit: Limit::Entries,
                max: limits.max_entries,
                layer: Some(ctx.index),
                digest: Some(ctx.digest.clone()),
            }));
        }
        visit(&h, &mut tar)?;
    }
    // Drain what follows the end marker so the blob's digest and size are checked.
    let Streaming(mut capped) = tar.into_inner();
    io::copy(&mut capped, &mut io::sink()).map_err(|e| Error::from_io(e, what))?;
    budget.decompressed += capped.layer_bytes;
    let actual = capped.hasher.finish();
    if let Some(expected) = &ctx.diff_id {
        if expected.algorithm() == Algorithm::Sha256 && &actual != expected {
            return Err(Error::new(ErrorKind::DiffIdMismatch {
                layer: ctx.index,
                expected: expected.clone(),
                actual,
            }));
        }
    }
    Ok(())
}

/// Reads an entry's data, which `size` says fits under the per-file cap.
fn read_content(tar: &mut LayerTar<'_>, size: u64) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
    let mut filled = 0;
    while filled < buf.len() {
        let n = tar.read_data(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(buf)
}

impl Vfs {
    /// Applies all layers of `source` in order, keeping the content `request` asks for.
    pub fn read_image(
        source: &dyn ImageSource,
        request: &ContentRequest,
        limits: &Limits,
    ) -> Result<Vfs> {
        Vfs::read_inner(source, request, limits).map_err(|e| e.with_origin(source.origin()))
    }

    fn read_inner(
        source: &dyn ImageSource,
        request: &ContentRequest,
        limits: &Limits,
    ) -> Result<Vfs> {
        let mut vfs = Vfs {
            nodes: BTreeMap::new(),
            hidden: Vec::new(),
            findings: Vec::new(),
            layers: source.manifest().layers.len(),
            content_total: 0,
            max_file_content: limits.max_file_content,
            max_total_content: limits.max_total_content,
        };
        vfs.nodes.insert("/".to_string(), Entry::dir("/", 0));
        let mut budget = Budget {
            decompressed: 0,
            entries: 0,
        };
        let ctxs: Vec<LayerCtx> = source
            .manifest()
            .layers
            .iter()
            .enumerate()
            .map(|(i, d)| LayerCtx {
                index: i,
                digest: d.digest.clone(),
                diff_id: source.config().rootfs.diff_ids.get(i).cloned(),
            })
            .collect();
        for ctx in &ctxs {
            let mut ordinal = 0u64;
            walk_layer(source, ctx, limits, &mut budget, &mut |h, tar| {
                ordinal += 1;
                vfs.apply(ctx.index, ordinal - 1, h, tar, request)
            })?;
        }
        // Requested paths reached through symlinks or hard links: read their targets.
        let mut needs: BTreeMap<usize, HashMap<String, Vec<String>>> = BTreeMap::new();
        for p in &request.paths {
            let Ok(real) = vfs.resolve(p) else { continue };
            let Some(node) = vfs.nodes.get(&real) else {
                continue;
            };
            if node.content != Content::NotRetained {
                continue;
            }
            if let Some(origin) = &node.origin {
                needs
                    .entry(origin.layer)
                    .or_default()
                    .entry(origin.path.clone())
                    .or_default()
                    .push(real.clone());
            }
        }
        for (layer, wanted) in needs {
            let mut found: HashMap<String, Content> = HashMap::new();
            let mut second = Budget {
                decompressed: 0,
                entries: 0,
            };
            let max = limits.max_file_content;
            walk_layer(source, &ctxs[layer], limits, &mut second, &mut |h, tar| {
                if h.kind != TarKind::Regular {
                    return Ok(());
                }
                let Some(p) = normalize(&h.path) else {
                    return Ok(());
                };
                if wanted.contains_key(&p) {
                    let c = if h.size > max {
                        Content::TooLarge
                    } else {
                        Content::Retained(read_content(tar, h.size)?)
                    };
                    found.insert(p, c);
                }
                Ok(())
            })?;
            for (tar_path, reals) in wanted {
                if let Some(c) = found.remove(&tar_path) {
                    for real in reals {
                        vfs.set_content(&real, c.clone())?;
                    }
                }
            }
        }
        vfs.read_hidden(source, &ctxs, request, limits)?;
        Ok(vfs)
    }

    /// The second pass for [`ContentRequest::with_hidden`]: reads each wanted hidden file
    /// from the layer that holds its bytes, finding it by its position in that layer.
    fn read_hidden(
        &mut self,
        source: &dyn ImageSource,
        ctxs: &[LayerCtx],
        request: &ContentRequest,
        limits: &Limits,
    ) -> Result<()> {
        let mut needs: BTreeMap<usize, HashMap<u64, Vec<usize>>> = BTreeMap::new();
        for (i, h) in self.hidden.iter().enumerate() {
            if !request.wants_hidden(&h.entry.path) {
                continue;
            }
            if let Some(origin) = &h.entry.origin {
                needs
                    .entry(origin.layer)
                    .or_default()
                    .entry(origin.ordinal)
                    .or_default()
                    .push(i);
            }
        }
        for (layer, wanted) in needs {
            let mut found: HashMap<u64, Content> = HashMap::new();
            let mut budget = Budget {
                decompressed: 0,
                entries: 0,
            };
            let max = limits.max_file_content;
            let mut ordinal = 0u64;
            walk_layer(source, &ctxs[layer], limits, &mut budget, &mut |h, tar| {
                ordinal += 1;
                if h.kind == TarKind::Regular && wanted.contains_key(&(ordinal - 1)) {
                    let c = if h.size > max {
                        Content::TooLarge
                    } else {
                        Content::Retained(read_content(tar, h.size)?)
                    };
                    found.insert(ordinal - 1, c);
                }
                Ok(())
            })?;
            for (ordinal, indexes) in wanted {
                let Some(c) = found.remove(&ordinal) else {
                    continue;
                };
                for i in indexes {
                    let add = match &c {
                        Content::Retained(v) => v.len() as u64,
                        _ => 0,
                    };
                    if self.content_total + add > self.max_total_content {
                        return Err(Error::new(ErrorKind::LimitExceeded {
                            limit: Limit::TotalContent,
                            max: self.max_total_content,
                            layer: Some(layer),
                            digest: None,
                        }));
                    }
                    self.content_total += add;
                    self.hidden[i].entry.content = c.clone();
                }
            }
        }
        Ok(())
    }

    fn set_content(&mut self, path: &str, content: Content) -> Result<()> {
        let add = match &content {
            Content::Retained(v) => v.len() as u64,
            _ => 0,
        };
        if self.content_total + add > self.max_total_content {
            return Err(Error::new(ErrorKind::LimitExceeded {
                limit: Limit::TotalContent,
                max: self.max_total_content,
                layer: None,
                digest: None,
            }));
        }
        if let Some(node) = self.nodes.get_mut(path) {
            if let Content::Retained(old) = &node.content {
                self.content_total -= old.len() as u64;
            }
            node.content = content;
            self.content_total += add;
        }
        Ok(())
    }

    fn finding(&mut self, layer: usize, entry: &str, kind: FindingKind) {
        self.findings.push(Finding {
            layer,
            entry: entry.to_string(),
            kind,
        });
    }

    /// Removes `path`, recording a regular file or hard link as [`Hidden`] (without its
    /// content, which [`Vfs::read_hidden`] reads when asked).
    fn remove(&mut self, path: &str, by_layer: usize, by: HiddenBy) {
        if let Some(mut old) = self.nodes.remove(path) {
            if let Content::Retained(v) = &old.content {
                self.content_total -= v.len() as u64;
            }
            if matches!(old.kind, EntryKind::File | EntryKind::Hardlink) {
                old.content = Content::NotRetained;
                self.hidden.push(Hidden {
                    entry: old,
                    by_layer,
                    by,
                });
            }
        }
    }

    /// Removes everything under `dir` (not `dir` itself) written by a layer below `below`
    /// (all layers when `None`); `layer` and `by` say what hid them.
    fn remove_descendants(&mut self, dir: &str, below: Option<usize>, layer: usize, by: HiddenBy) {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, n)| k.as_str() != "/" && below.is_none_or(|b| n.layer < b))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.remove(&k, layer, by);
        }
    }

    /// Makes sure every parent of `path` is a directory, creating missing ones; `false`
    /// (and a finding) when one is something else.
    fn ensure_parents(&mut self, path: &str, layer: usize, raw: &str) -> bool {
        let mut ancestors = Vec::new();
        let mut p = parent_of(path);
        while p != "/" {
            ancestors.push(p.to_string());
            p = parent_of(p);
        }
        for a in ancestors.iter().rev() {
            match self.nodes.get(a) {
                Some(n) if n.kind == EntryKind::Dir => {}
                Some(_) => {
                    self.finding(
                        layer,
                        raw,
                        FindingKind::ParentNotDirectory { parent: a.clone() },
                    );
                    return false;
                }
                None => {
                    self.nodes.insert(a.clone(), Entry::dir(a, layer));
                }
            }
        }
        true
    }

    fn apply(
        &mut self,
        layer: usize,
        ordinal: u64,
        h: &TarHeader,
        tar: &mut LayerTar<'_>,
        request: &ContentRequest,
    ) -> Result<()> {
        let raw = h.path.as_str();
        let Some(path) = normalize(raw) else {
            self.finding(layer, raw, FindingKind::EscapesRoot);
            return Ok(());
        };
        if raw.starts_with('/') {
            self.finding(layer, raw, FindingKind::AbsoluteName);
        }
        let base = &path[path.rfind('/').map_or(0, |i| i + 1)..];
        if let Some(hidden) = base.strip_prefix(".wh.") {
            // Whiteouts match paths literally: one under a symlinked parent hides nothing.
            let dir = parent_of(&path).to_string();
            if hidden == ".wh..opq" {
                // Opaque directory: hide everything lower layers put in it.
                if !self.ensure_parents(&path, layer, raw) {
                    return Ok(());
                }
                if !self.nodes.contains_key(&dir) {
                    self.nodes.insert(dir.clone(), Entry::dir(&dir, layer));
                }
                self.remove_descendants(&dir, Some(layer), layer, HiddenBy::OpaqueDirectory);
            } else if hidden.starts_with(".wh.") {
                // Other `.wh..wh.` names are AUFS bookkeeping, not whiteouts.
            } else {
                let target = join(&dir, hidden);
                if self.nodes.get(&target).is_some_and(|n| n.layer < layer) {
                    self.remove(&target, layer, HiddenBy::Whiteout);
                }
                self.remove_descendants(&target, Some(layer), layer, HiddenBy::Whiteout);
            }
            return Ok(());
        }
        let mut entry = Entry {
            path: path.clone(),
            kind: EntryKind::File,
            mode: h.mode,
            uid: h.uid,
            gid: h.gid,
            size: h.size,
            mtime: h.mtime,
            link_target: None,
            layer,
            implicit: false,
            content: Content::NotRetained,
            origin: None,
        };
        match h.kind {
            TarKind::Dir => entry.kind = EntryKind::Dir,
            TarKind::Regular => {
                entry.origin = Some(Origin {
                    layer,
                    path: path.clone(),
                    ordinal,
                });
                if request.wants(&path) {
                    entry.content = if h.size > self.max_file_content {
                        Content::TooLarge
                    } else {
                        Content::Retained(read_content(tar, h.size)?)
                    };
                }
            }
            TarKind::Symlink => {
                entry.kind = EntryKind::Symlink;
                entry.size = 0;
                entry.link_target = h.link.clone();
            }
            TarKind::Hardlink => {
                let target_raw = h.link.clone().unwrap_or_default();
                let Some(target) = normalize(&target_raw) else {
                    self.finding(
                        layer,
                        raw,
                        FindingKind::HardlinkEscapes { target: target_raw },
                    );
                    return Ok(());
                };
                match self.nodes.get(&target) {
                    None => {
                        self.finding(layer, raw, FindingKind::HardlinkTargetMissing { target });
                        return Ok(());
                    }
                    Some(t) if t.kind == EntryKind::Dir => {
                        self.finding(layer, raw, FindingKind::HardlinkToDirectory { target });
                        return Ok(());
                    }
                    Some(t) => {
                        let t = t.clone();
                        entry.kind = match t.kind {
                            EntryKind::File | EntryKind::Hardlink => EntryKind::Hardlink,
                            other => other,
                        };
                        entry.mode = t.mode;
                        entry.uid = t.uid;
                        entry.gid = t.gid;
                        entry.size = t.size;
                        entry.link_target = if entry.kind == EntryKind::Symlink {
                            t.link_target.clone()
                        } else {
                            Some(target)
                        };
                        entry.origin = t.origin.clone();
                        entry.content = t.content.clone();
                    }
                }
            }
            TarKind::CharDevice => entry.kind = EntryKind::CharDevice,
            TarKind::BlockDevice => entry.kind = EntryKind::BlockDevice,
            TarKind::Fifo => entry.kind = EntryKind::Fifo,
            TarKind::Other(t) => entry.kind = EntryKind::Other(t),
        }
        if path == "/" {
            if entry.kind == EntryKind::Dir {
                if let Some(root) = self.nodes.get_mut("/") {
                    root.mode = entry.mode;
                    root.uid = entry.uid;
                    root.gid = entry.gid;
                    root.mtime = entry.mtime;
                    root.implicit = false;
                }
            }
            return Ok(());
        }
        if !self.ensure_parents(&path, layer, raw) {
            return Ok(());
        }
        if let Some(old) = self.nodes.get_mut(&path) {
            if old.kind == EntryKind::Dir && entry.kind == EntryKind::Dir {
                old.mode = entry.mode;
                old.uid = entry.uid;
                old.gid = entry.gid;
                old.mtime = entry.mtime;
                old.layer = layer;
                old.implicit = false;
                return Ok(());
            }
            if old.kind == EntryKind::Dir {
                self.remove_descendants(&path, None, layer, HiddenBy::Replaced);
            }
            self.remove(&path, layer, HiddenBy::Replaced);
        }
        if let Content::Retained(v) = &entry.content {
            let add = v.len() as u64;
            if self.content_total + add > self.max_total_content {
                return Err(Error::new(ErrorKind::LimitExceeded {
                    limit: Limit::TotalContent,
                    max: self.max_total_content,
                    layer: Some(layer),
                    digest: None,
                }));
            }
            self.content_total += add;
        }
        self.nodes.insert(path, entry);
        Ok(())
    }

    /// Resolves every symlink in `path` inside the image: absolute targets start again at
    /// the image root and `..` stops at the root. The result is a normalised path; its last
    /// component may not exist.
    pub fn resolve(&self, path: &str) -> Result<String> {
        self.resolve_inner(path, true)
    }

    fn resolve_inner(&self, path: &str, follow_last: bool) -> Result<String> {
        let mut queue: VecDeque<String> = path.split('/').map(str::to_string).collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = queue.pop_front() {
            match c.as_str() {
                "" | "." => continue,
                ".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            let p = format!("/{}", cur.join("/"));
            let last = queue.iter().all(|c| c.is_empty() || c == ".");
            match self.nodes.get(&p) {
                Some(n) if n.kind == EntryKind::Symlink && (follow_last || !last) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(Error::new(ErrorKind::SymlinkLoop {
                            path: path.to_string(),
                        }));
                    }
                    cur.pop();
                    let target = n.link_target.as_deref().unwrap_or("");
                    if target.starts_with('/') {
                        cur.clear();
                    }
                    for t in target.split('/').rev() {
                        queue.push_front(t.to_string());
                    }
                }
                Some(n) if !last && n.kind != EntryKind::Dir => {
                    return Err(Error::new(ErrorKind::NotFound {
                        path: format!("{path} ({p} is not a directory)"),
                    }));
                }
                None if !last => {
                    return Err(Error::new(ErrorKind::NotFound {
                        path: format!("{path} ({p} does not exist)"),
                    }));
                }
                _ => {}
            }
        }
        Ok(format!("/{}", cur.join("/")))
    }

    /// The entry at `path` itself, without following a final symlink (like `lstat`).
    pub fn lstat(&self, path: &str) -> Result<&Entry> {
        let real = self.resolve_inner(path, false)?;
        self.nodes.get(&real).ok_or_else(|| {
            Error::new(ErrorKind::NotFound {
                path: path.to_string(),
            })
        })
    }

    /// The entry `path` leads to, following symlinks inside the image (like `stat`).
    pub fn stat(&self, path: &str) -> Result<&Entry> {
        let real = self.resolve(path)?;
        self.nodes.get(&real).ok_or_else(|| {
            Error::new(ErrorKind::NotFound {
                path: path.to_string(),
            })
        })
    }

    /// Whether `path` leads to an entry.
    pub fn exists(&self, path: &str) -> bool {
        self.stat(path).is_ok()
    }

    /// The content of the regular file `path` leads to. Fails unless that content was
    /// requested (and fit under the per-file cap).
    pub fn read(&self, path: &str) -> Result<&[u8]> {
        let e = self.stat(path)?;
        if !matches!(e.kind, EntryKind::File | EntryKind::Hardlink) {
            return Err(Error::new(ErrorKind::NotAFile {
                path: path.to_string(),
            }));
        }
        match &e.content {
            Content::Retained(v) => Ok(v),
            Content::TooLarge => Err(Error::new(ErrorKind::ContentNotRetained {
                path: path.to_string(),
                reason: format!(
                    "{} bytes is over the per-file cap of {} (Limits::max_file_content)",
                    e.size, self.max_file_content
                ),
            })),
            Content::NotRetained => Err(Error::new(ErrorKind::ContentNotRetained {
                path: path.to_string(),
                reason: "not named in the ContentRequest".to_string(),
            })),
        }
    }

    /// The entries directly inside the directory `dir` leads to, sorted by name.
    pub fn list(&self, dir: &str) -> Result<Vec<&Entry>> {
        let e = self.stat(dir)?;
        if e.kind != EntryKind::Dir {
            return Err(Error::new(ErrorKind::NotFound {
                path: format!("{dir} (not a directory)"),
            }));
        }
        let prefix = if e.path == "/" {
            "/".to_string()
        } else {
            format!("{}/", e.path)
        };
        Ok(self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains('/'))
            .map(|(_, v)| v)
            .collect())
    }

    /// Every entry, sorted by path, the root first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.nodes.values()
    }

    /// The regular files and hard links that later entries deleted or replaced, in the
    /// order they were hidden. Their bytes are still in the image's layers.
    pub fn hidden(&self) -> &[Hidden] {
        &self.hidden
    }

    /// What was not applied as written, in reading order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The number of layers applied.
    pub fn layer_count(&self) -> usize {
        self.layers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_inside_root() {
        assert_eq!(normalize("./a//b/./c").as_deref(), Some("/a/b/c"));
        assert_eq!(normalize("/abs").as_deref(), Some("/abs"));
        assert_eq!(normalize("a/../b").as_deref(), Some("/b"));
        assert_eq!(normalize("../../x"), None);
        assert_eq!(normalize("a/../../x"), None);
        assert_eq!(normalize("./").as_deref(), Some("/"));
    }
}
