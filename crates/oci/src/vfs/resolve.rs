//! Symlink resolution inside the image: absolute targets start again at the image root,
//! `..` stops at the root, and at most [`MAX_SYMLINK_HOPS`] links are followed.

use std::collections::VecDeque;

use super::entry::EntryKind;
use super::tree::{NodeId, ROOT};
use super::{join, Vfs, MAX_SYMLINK_HOPS};
use crate::error::{Error, ErrorKind, Result};

/// Where a path leads.
pub(super) enum Resolved {
    /// To this node.
    Node(NodeId),
    /// To the name `name`, missing from the directory `parent`.
    Missing { parent: NodeId, name: String },
}

impl Vfs {
    /// Resolves every symlink in `path`, the last component's too when `follow_last`.
    pub(super) fn resolve_in(&self, path: &str, follow_last: bool) -> Result<Resolved> {
        let mut queue: VecDeque<String> = path.split('/').map(str::to_string).collect();
        let mut cur: Vec<NodeId> = Vec::new();
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
            let dir = cur.last().copied().unwrap_or(ROOT);
            let last = queue.iter().all(|c| c.is_empty() || c == ".");
            let Some(id) = self.tree.child(dir, &c) else {
                if last {
                    return Ok(Resolved::Missing {
                        parent: dir,
                        name: c,
                    });
                }
                let p = join(&self.tree.entry(dir).path, &c);
                return Err(Error::new(ErrorKind::NotFound {
                    path: format!("{path} ({p} does not exist)"),
                }));
            };
            let n = self.tree.entry(id);
            if n.kind == EntryKind::Symlink && (follow_last || !last) {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(Error::new(ErrorKind::SymlinkLoop {
                        path: path.to_string(),
                    }));
                }
                let target = n.link_target.as_deref().unwrap_or("");
                if target.starts_with('/') {
                    cur.clear();
                }
                for t in target.split('/').rev() {
                    queue.push_front(t.to_string());
                }
            } else if !last && n.kind != EntryKind::Dir {
                return Err(Error::new(ErrorKind::NotFound {
                    path: format!("{path} ({} is not a directory)", n.path),
                }));
            } else {
                cur.push(id);
            }
        }
        Ok(Resolved::Node(cur.last().copied().unwrap_or(ROOT)))
    }

    /// The normalised path `resolved` stands for.
    pub(super) fn resolved_path(&self, resolved: &Resolved) -> String {
        match resolved {
            Resolved::Node(id) => self.tree.entry(*id).path.clone(),
            Resolved::Missing { parent, name } => join(&self.tree.entry(*parent).path, name),
        }
    }
}
