//! Overlay semantics: applying one tar entry of a layer onto the tree. Names are confined
//! to the root, whiteouts and opaque markers hide what lower layers wrote, a later entry
//! replaces an earlier one, and what is not applied as written becomes a [`Finding`].

use super::entry::{Content, Entry, EntryKind, Finding, FindingKind, HiddenBy, Origin};
use super::stream::{entry_content, LayerTar};
use super::tree::{NodeId, NODE_OVERHEAD, ROOT};
use super::{normalize, parent_of, ContentRequest, Hidden, Vfs};
use crate::error::Result;
use crate::tar::TarHeader;

/// Which entries a removal takes: all of them, or only those written below a layer (a
/// whiteout or opaque marker hides lower layers only).
#[derive(Clone, Copy)]
enum Scope {
    All,
    Below(usize),
}

impl Vfs {
    /// Applies the tar entry `h`, number `ordinal` of `layer`, whose data `tar` is at.
    pub(super) fn apply(
        &mut self,
        layer: usize,
        ordinal: u64,
        h: &TarHeader,
        tar: &mut LayerTar<'_>,
        request: &ContentRequest,
    ) -> Result<()> {
        let raw = h.path.as_str();
        let Some(path) = self.confine(layer, raw)? else {
            return Ok(());
        };
        let base = &path[path.rfind('/').map_or(0, |i| i + 1)..];
        if let Some(hidden) = base.strip_prefix(".wh.") {
            return self.whiteout(layer, raw, &path, hidden);
        }
        let origin = Origin { layer, ordinal };
        let Some(entry) = self.entry_from(origin, &path, raw, h, tar, request)? else {
            return Ok(());
        };
        if path == "/" {
            self.update_root(&entry);
            return Ok(());
        }
        let Some(parent) = self.ensure_parents(&path, layer, raw)? else {
            return Ok(());
        };
        self.place(parent, base, entry, layer)
    }

    /// The tar name as a path inside the root, or `None` (and a finding) when it climbs out.
    fn confine(&mut self, layer: usize, raw: &str) -> Result<Option<String>> {
        let Some(path) = normalize(raw) else {
            self.finding(layer, raw, FindingKind::EscapesRoot)?;
            return Ok(None);
        };
        if raw.starts_with('/') {
            self.finding(layer, raw, FindingKind::AbsoluteName)?;
        }
        Ok(Some(path))
    }

    /// A `.wh.NAME` entry: `hidden` is NAME. Whiteouts match paths literally, so one under a
    /// symlinked parent hides nothing.
    fn whiteout(&mut self, layer: usize, raw: &str, path: &str, hidden: &str) -> Result<()> {
        if hidden == ".wh..opq" {
            // Opaque directory: hide everything lower layers put in it. The parents of the
            // marker include the directory itself.
            if let Some(dir) = self.ensure_parents(path, layer, raw)? {
                self.remove_below(dir, Scope::Below(layer), layer, HiddenBy::OpaqueDirectory)?;
            }
        } else if hidden.starts_with(".wh.") {
            // Other `.wh..wh.` names are AUFS bookkeeping, not whiteouts.
        } else if hidden.is_empty() {
            self.finding(layer, raw, FindingKind::EmptyWhiteout)?;
        } else {
            let target = super::join(parent_of(path), hidden);
            if let Some(id) = self.tree.lookup(&target) {
                self.remove_below(id, Scope::Below(layer), layer, HiddenBy::Whiteout)?;
                if self.tree.entry(id).layer < layer {
                    self.remove_node(id, layer, HiddenBy::Whiteout)?;
                }
            }
        }
        Ok(())
    }

    /// The entry the header describes, or `None` (and a finding) for a hard link that cannot
    /// be applied.
    fn entry_from(
        &mut self,
        origin: Origin,
        path: &str,
        raw: &str,
        h: &TarHeader,
        tar: &mut LayerTar<'_>,
        request: &ContentRequest,
    ) -> Result<Option<Entry>> {
        let mut entry = Entry {
            path: path.to_string(),
            kind: EntryKind::File,
            mode: h.mode,
            uid: h.uid,
            gid: h.gid,
            size: h.size,
            mtime: h.mtime,
            link_target: None,
            layer: origin.layer,
            implicit: false,
            content: Content::NotRetained,
            origin: None,
        };
        match h.kind {
            EntryKind::File => {
                entry.origin = Some(origin);
                if request.wants(path) {
                    entry.content = entry_content(tar, h.size, self.max_file_content)?;
                }
            }
            EntryKind::Symlink => {
                entry.kind = EntryKind::Symlink;
                entry.size = 0;
                entry.link_target = h.link.clone();
            }
            EntryKind::Hardlink => return self.hardlink(entry, raw, h),
            // Directories, devices, FIFOs and other types: the kind as read.
            kind => entry.kind = kind,
        }
        Ok(Some(entry))
    }

    /// A hard link takes its target's metadata, bytes and origin; it must point at an
    /// existing non-directory inside the root.
    fn hardlink(&mut self, mut entry: Entry, raw: &str, h: &TarHeader) -> Result<Option<Entry>> {
        let layer = entry.layer;
        let target_raw = h.link.clone().unwrap_or_default();
        let Some(target) = normalize(&target_raw) else {
            let kind = FindingKind::HardlinkEscapes { target: target_raw };
            self.finding(layer, raw, kind)?;
            return Ok(None);
        };
        let Some(t) = self
            .tree
            .lookup(&target)
            .map(|id| self.tree.entry(id).clone())
        else {
            self.finding(layer, raw, FindingKind::HardlinkTargetMissing { target })?;
            return Ok(None);
        };
        if t.kind == EntryKind::Dir {
            self.finding(layer, raw, FindingKind::HardlinkToDirectory { target })?;
            return Ok(None);
        }
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
        entry.origin = t.origin;
        entry.content = t.content;
        Ok(Some(entry))
    }

    /// A directory entry for `/` sets the root's metadata; anything else there is ignored.
    fn update_root(&mut self, entry: &Entry) {
        if entry.kind == EntryKind::Dir {
            let root = self.tree.entry_mut(ROOT);
            root.mode = entry.mode;
            root.uid = entry.uid;
            root.gid = entry.gid;
            root.mtime = entry.mtime;
            root.implicit = false;
        }
    }

    /// Makes sure every parent of `path` is a directory, creating missing ones, and returns
    /// the nearest; `None` (and a finding) when one is something else.
    ///
    /// Tar streams list a directory's entries together, so the walk starts from the last
    /// parent found, climbed up to where the two paths part: an entry costs the components
    /// that differ from its predecessor's, not its whole depth.
    fn ensure_parents(&mut self, path: &str, layer: usize, raw: &str) -> Result<Option<NodeId>> {
        // The parent without its trailing slash: "" for the root, so every component of
        // it is preceded by one '/'.
        let parent = match parent_of(path) {
            "/" => "",
            p => p,
        };
        let (mut id, mut end) = (ROOT, 0);
        if let Some((last, last_id)) = &self.last_parent {
            end = common_dirs(parent, last);
            id = *last_id;
            for _ in last[end..].split('/').filter(|c| !c.is_empty()) {
                id = self.tree.parent(id);
            }
        }
        while end < parent.len() {
            let rest = &parent[end + 1..];
            let name = rest.split('/').next().unwrap_or_default();
            end += 1 + name.len();
            let ancestor = &parent[..end];
            id = match self.tree.child(id, name) {
                Some(c) if self.tree.entry(c).kind == EntryKind::Dir => c,
                Some(_) => {
                    let kind = FindingKind::ParentNotDirectory {
                        parent: ancestor.to_string(),
                    };
                    self.finding(layer, raw, kind)?;
                    return Ok(None);
                }
                None => self.add(id, Entry::dir(ancestor, layer))?,
            };
        }
        self.last_parent = Some((parent.to_string(), id));
        Ok(Some(id))
    }

    /// Puts `entry`, named `name`, into the directory `parent`, replacing what is there.
    fn place(&mut self, parent: NodeId, name: &str, entry: Entry, layer: usize) -> Result<()> {
        if let Some(old) = self.tree.child(parent, name) {
            let o = self.tree.entry_mut(old);
            if o.kind == EntryKind::Dir && entry.kind == EntryKind::Dir {
                o.mode = entry.mode;
                o.uid = entry.uid;
                o.gid = entry.gid;
                o.mtime = entry.mtime;
                o.layer = layer;
                o.implicit = false;
                return Ok(());
            }
            if o.kind == EntryKind::Dir {
                self.remove_below(old, Scope::All, layer, HiddenBy::Replaced)?;
            }
            self.remove_node(old, layer, HiddenBy::Replaced)?;
        }
        if let Content::Retained(v) = &entry.content {
            self.budget.charge_content(v.len() as u64, Some(layer))?;
        }
        self.add(parent, entry)?;
        Ok(())
    }

    /// Inserts a node, charging its memory.
    fn add(&mut self, parent: NodeId, entry: Entry) -> Result<NodeId> {
        self.budget
            .charge_memory(node_cost(&entry), Some(entry.layer))?;
        Ok(self.tree.insert(parent, entry))
    }

    /// Removes the node `id` (which has no children left), recording a regular file or
    /// hard link as [`Hidden`] (without its content, which a second pass reads when asked).
    fn remove_node(&mut self, id: NodeId, by_layer: usize, by: HiddenBy) -> Result<()> {
        if self.tree.has_children(id) {
            // Entries of the hiding layer itself stay below it (a whiteout hides lower
            // layers only), so the directory stays too, as this layer's.
            let e = self.tree.entry_mut(id);
            e.layer = by_layer;
            e.implicit = true;
            return Ok(());
        }
        self.last_parent = None;
        let mut old = self.tree.take(id);
        self.budget.release_memory(node_cost(&old));
        if let Content::Retained(v) = &old.content {
            self.budget.release_content(v.len() as u64);
        }
        if matches!(old.kind, EntryKind::File | EntryKind::Hardlink) {
            old.content = Content::NotRetained;
            self.budget
                .charge_memory(hidden_cost(&old), Some(by_layer))?;
            self.hidden.push(Hidden {
                entry: old,
                by_layer,
                by,
            });
        }
        Ok(())
    }

    /// Removes what is below `dir` (not `dir` itself) within `scope`, in path order; `layer`
    /// and `by` say what hid them. A directory that keeps entries outside the scope stays.
    fn remove_below(
        &mut self,
        dir: NodeId,
        scope: Scope,
        layer: usize,
        by: HiddenBy,
    ) -> Result<()> {
        let below = self.tree.descendants(dir);
        let mut doomed: Vec<NodeId> = Vec::new();
        let mut kept = std::collections::HashSet::new();
        // Children come after their parents in `below`: deciding in reverse sees a
        // directory's children first.
        for &id in below.iter().rev() {
            let in_scope = match scope {
                Scope::All => true,
                Scope::Below(b) => self.tree.entry(id).layer < b,
            };
            if in_scope && !self.tree.children(id).any(|c| kept.contains(&c)) {
                doomed.push(id);
            } else {
                kept.insert(id);
            }
        }
        doomed.sort_by(|a, b| self.tree.entry(*a).path.cmp(&self.tree.entry(*b).path));
        // Deepest first, so each removed node has no children left; hidden files are then
        // recorded in path order, as a reader of the layer would meet them.
        let start = self.hidden.len();
        for &id in doomed.iter().rev() {
            self.remove_node(id, layer, by)?;
        }
        self.hidden[start..].reverse();
        Ok(())
    }

    pub(super) fn finding(&mut self, layer: usize, entry: &str, kind: FindingKind) -> Result<()> {
        let cost = std::mem::size_of::<Finding>() + entry.len() + kind.heap_len();
        self.budget.charge_memory(cost as u64, Some(layer))?;
        self.findings.push(Finding {
            layer,
            entry: entry.to_string(),
            kind,
        });
        Ok(())
    }
}

/// The byte length of the longest run of whole leading components `a` and `b` share
/// (`/x/y` and `/x/yz` share `/x`, length 2).
fn common_dirs(a: &str, b: &str) -> usize {
    let mut end = 0;
    for (ca, cb) in a.split('/').zip(b.split('/')).skip(1) {
        if ca != cb || ca.is_empty() {
            break;
        }
        end += 1 + ca.len();
    }
    end
}

fn node_cost(entry: &Entry) -> u64 {
    let link = entry.link_target.as_ref().map_or(0, String::len);
    NODE_OVERHEAD + (entry.path.len() + link) as u64
}

fn hidden_cost(entry: &Entry) -> u64 {
    let link = entry.link_target.as_ref().map_or(0, String::len);
    (std::mem::size_of::<Hidden>() + entry.path.len() + link) as u64
}
