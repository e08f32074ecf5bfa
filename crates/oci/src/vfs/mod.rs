//! The confined, layered, read-only virtual filesystem of an image.
//!
//! Layers are applied in order into a tree of entries; no byte is ever written to the host.
//! Content is kept only for the regular files a [`ContentRequest`] names, up to
//! [`Limits::max_file_content`] each; everything kept is charged to one budget
//! ([`Limits::max_total_content`] for content, [`Limits::max_memory`] for the whole tree).
//!
//! The rooms: `stream` reads a layer blob as verified tar entries; `overlay` applies one
//! entry (whiteouts, replacement, confinement); `tree` holds the entries; `resolve`
//! follows symlinks; `budget` is the one budget; `entry` and `request` are the public types.
//! This file reads an image (the named steps of [`Vfs::read_image`]) and answers queries.

mod budget;
mod entry;
mod overlay;
mod request;
mod resolve;
mod stream;
mod tree;

use std::collections::{BTreeMap, BTreeSet};

pub use entry::{Entry, EntryKind, Finding, FindingKind, Hidden, HiddenBy};
pub use request::ContentRequest;

use budget::Budget;
use entry::Content;
use resolve::Resolved;
use stream::{reread_layer, walk_layer, Counters, LayerCtx};
use tree::{NodeId, Tree};

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::transport::ImageSource;

/// Symlink hops allowed while resolving one path (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINK_HOPS: usize = 40;

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
    tree: Tree,
    hidden: Vec<Hidden>,
    findings: Vec<Finding>,
    layers: usize,
    budget: Budget,
    max_file_content: u64,
    /// The directory the last applied entry went into, and its node (see
    /// `ensure_parents`); forgotten whenever a node is removed.
    last_parent: Option<(String, NodeId)>,
    /// Every node sorted by path, made on the first [`Vfs::entries`] (the tree is complete
    /// by then).
    sorted: std::sync::OnceLock<Vec<NodeId>>,
}

/// Who gets the bytes a second pass reads.
#[derive(Clone, Copy)]
enum Recipient {
    /// A visible entry reached through a symlink or a hard link.
    Node(NodeId),
    /// The [`Hidden`] file at this index.
    Hidden(usize),
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
        let layers = LayerCtx::all(source);
        let mut vfs = Vfs::empty(layers.len(), limits);
        vfs.apply_layers(source, &layers, request, limits)?;
        let wanted = vfs.second_pass_wants(request);
        vfs.read_second_pass(source, &layers, limits, wanted)?;
        Ok(vfs)
    }

    fn empty(layers: usize, limits: &Limits) -> Vfs {
        Vfs {
            tree: Tree::new(Entry::dir("/", 0)),
            hidden: Vec::new(),
            findings: Vec::new(),
            layers,
            budget: Budget::new(limits),
            max_file_content: limits.max_file_content,
            last_parent: None,
            sorted: std::sync::OnceLock::new(),
        }
    }

    /// The first pass: every entry of every layer, bottom first.
    fn apply_layers(
        &mut self,
        source: &dyn ImageSource,
        layers: &[LayerCtx],
        request: &ContentRequest,
        limits: &Limits,
    ) -> Result<()> {
        let mut counters = Counters::default();
        for ctx in layers {
            let mut ordinal = 0u64;
            walk_layer(source, ctx, limits, &mut counters, &mut |h, tar| {
                ordinal += 1;
                self.apply(ctx.index, ordinal - 1, h, tar, request)
            })?;
        }
        Ok(())
    }

    /// The bytes the first pass could not keep, by layer and entry position: requested paths
    /// reached through symlinks or hard links (known only once all layers are applied), and
    /// the hidden files [`ContentRequest::with_hidden`] asks for.
    fn second_pass_wants(
        &self,
        request: &ContentRequest,
    ) -> BTreeMap<usize, BTreeMap<u64, Vec<Recipient>>> {
        let mut wanted: BTreeMap<usize, BTreeMap<u64, Vec<Recipient>>> = BTreeMap::new();
        let mut want = |origin: Option<entry::Origin>, to: Recipient| {
            if let Some(o) = origin {
                let at = wanted.entry(o.layer).or_default();
                at.entry(o.ordinal).or_default().push(to);
            }
        };
        let mut seen = BTreeSet::new();
        for p in &request.paths {
            let Ok(Resolved::Node(id)) = self.resolve_in(p, true) else {
                continue;
            };
            let node = self.tree.entry(id);
            if node.content == Content::NotRetained && seen.insert(id) {
                want(node.origin, Recipient::Node(id));
            }
        }
        for (i, h) in self.hidden.iter().enumerate() {
            if request.wants_hidden(&h.entry.path) {
                want(h.entry.origin, Recipient::Hidden(i));
            }
        }
        wanted
    }

    /// Reads each layer that holds wanted bytes once more and hands the bytes out.
    fn read_second_pass(
        &mut self,
        source: &dyn ImageSource,
        layers: &[LayerCtx],
        limits: &Limits,
        wanted: BTreeMap<usize, BTreeMap<u64, Vec<Recipient>>>,
    ) -> Result<()> {
        for (layer, at) in wanted {
            let ordinals: BTreeSet<u64> = at.keys().copied().collect();
            let mut found = reread_layer(source, &layers[layer], limits, &ordinals)?;
            for (ordinal, recipients) in at {
                let Some(content) = found.remove(&ordinal) else {
                    continue;
                };
                for to in recipients {
                    self.give(to, content.clone(), layer)?;
                }
            }
        }
        Ok(())
    }

    /// Keeps `content`, read from `layer`, for `to`, charging it to the budget.
    fn give(&mut self, to: Recipient, content: Content, layer: usize) -> Result<()> {
        if let Content::Retained(v) = &content {
            self.budget.charge_content(v.len() as u64, Some(layer))?;
        }
        match to {
            Recipient::Node(id) => self.tree.entry_mut(id).content = content,
            Recipient::Hidden(i) => self.hidden[i].entry.content = content,
        }
        Ok(())
    }

    /// Resolves every symlink in `path` inside the image: absolute targets start again at
    /// the image root and `..` stops at the root. The result is a normalised path; its last
    /// component may not exist.
    pub fn resolve(&self, path: &str) -> Result<String> {
        Ok(self.resolved_path(&self.resolve_in(path, true)?))
    }

    fn entry_at(&self, path: &str, follow_last: bool) -> Result<&Entry> {
        match self.resolve_in(path, follow_last)? {
            Resolved::Node(id) => Ok(self.tree.entry(id)),
            Resolved::Missing { .. } => Err(Error::new(ErrorKind::NotFound {
                path: path.to_string(),
            })),
        }
    }

    /// The entry at `path` itself, without following a final symlink (like `lstat`).
    pub fn lstat(&self, path: &str) -> Result<&Entry> {
        self.entry_at(path, false)
    }

    /// The entry `path` leads to, following symlinks inside the image (like `stat`).
    pub fn stat(&self, path: &str) -> Result<&Entry> {
        self.entry_at(path, true)
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
        let Resolved::Node(id) = self.resolve_in(dir, true)? else {
            return Err(Error::new(ErrorKind::NotFound {
                path: dir.to_string(),
            }));
        };
        if self.tree.entry(id).kind != EntryKind::Dir {
            return Err(Error::new(ErrorKind::NotFound {
                path: format!("{dir} (not a directory)"),
            }));
        }
        Ok(self
            .tree
            .sorted_children(id)
            .into_iter()
            .map(|c| self.tree.entry(c))
            .collect())
    }

    /// Every entry, sorted by path, the root first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        let sorted = self.sorted.get_or_init(|| {
            let mut all = self.tree.ids();
            all.sort_unstable_by(|a, b| self.tree.entry(*a).path.cmp(&self.tree.entry(*b).path));
            all
        });
        sorted.iter().map(|id| self.tree.entry(*id))
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
