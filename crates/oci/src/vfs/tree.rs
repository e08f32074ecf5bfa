//! The image's directory tree: an arena of nodes in which each directory maps a child's
//! name to the child. Finding a path costs one small-map lookup per component (never a
//! rebuilt ancestor path), and a directory level stores only its component name; the full
//! path lives once, on the public [`Entry`].

use std::collections::BTreeMap;

use super::entry::Entry;

/// A node's index in the arena.
pub(super) type NodeId = usize;

/// The root directory, which is never removed.
pub(super) const ROOT: NodeId = 0;

#[derive(Debug)]
struct Node {
    entry: Entry,
    parent: NodeId,
    children: BTreeMap<Box<str>, NodeId>,
}

/// Bytes a node costs beyond its strings: the node itself and its slot in the parent's map.
pub(super) const NODE_OVERHEAD: u64 = (std::mem::size_of::<Node>() + 64) as u64;

#[derive(Debug)]
pub(super) struct Tree {
    slots: Vec<Option<Node>>,
    free: Vec<NodeId>,
}

impl Tree {
    pub(super) fn new(root: Entry) -> Tree {
        Tree {
            slots: vec![Some(Node {
                entry: root,
                parent: ROOT,
                children: BTreeMap::new(),
            })],
            free: Vec::new(),
        }
    }

    fn node(&self, id: NodeId) -> &Node {
        match self.slots.get(id) {
            Some(Some(n)) => n,
            _ => unreachable!("node {id} is not in the tree"),
        }
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        match self.slots.get_mut(id) {
            Some(Some(n)) => n,
            _ => unreachable!("node {id} is not in the tree"),
        }
    }

    pub(super) fn entry(&self, id: NodeId) -> &Entry {
        &self.node(id).entry
    }

    pub(super) fn entry_mut(&mut self, id: NodeId) -> &mut Entry {
        &mut self.node_mut(id).entry
    }

    pub(super) fn parent(&self, id: NodeId) -> NodeId {
        self.node(id).parent
    }

    pub(super) fn child(&self, id: NodeId, name: &str) -> Option<NodeId> {
        self.node(id).children.get(name).copied()
    }

    /// The children of `id`, sorted by name.
    pub(super) fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.node(id).children.values().copied()
    }

    pub(super) fn has_children(&self, id: NodeId) -> bool {
        !self.node(id).children.is_empty()
    }

    /// The node at the normalised `path`, taken literally (no symlink is followed).
    pub(super) fn lookup(&self, path: &str) -> Option<NodeId> {
        path.split('/')
            .filter(|c| !c.is_empty())
            .try_fold(ROOT, |id, c| self.child(id, c))
    }

    /// Adds `entry` as the child `name` of `parent`, which must not have one yet.
    pub(super) fn insert(&mut self, parent: NodeId, name: &str, entry: Entry) -> NodeId {
        let node = Node {
            entry,
            parent,
            children: BTreeMap::new(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id] = Some(node);
                id
            }
            None => {
                self.slots.push(Some(node));
                self.slots.len() - 1
            }
        };
        self.node_mut(parent).children.insert(name.into(), id);
        id
    }

    /// Takes `id` out of the tree. Its children go with it: callers remove them first (or
    /// in the same batch, see [`Tree::descendants`]).
    pub(super) fn take(&mut self, id: NodeId) -> Entry {
        let Some(node) = self.slots.get_mut(id).and_then(Option::take) else {
            unreachable!("node {id} is not in the tree");
        };
        self.free.push(id);
        let name = node.entry.path.rsplit('/').next().unwrap_or_default();
        if let Some(Some(parent)) = self.slots.get_mut(node.parent) {
            parent.children.remove(name);
        }
        node.entry
    }

    /// Every node below `id` (not `id` itself), parents before their children.
    pub(super) fn descendants(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self.children(id).collect();
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.children(n));
        }
        out
    }

    /// Every entry, in no particular order.
    pub(super) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten().map(|n| &n.entry)
    }
}
