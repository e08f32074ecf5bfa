//! The image's directory tree: an arena of nodes in which each directory maps the hash of a
//! child's name to the child. Finding a path costs one hash lookup per component (never a
//! rebuilt ancestor path), and a name is stored once: a node's name is the last component
//! of its public [`Entry::path`], which the map does not copy.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;

use super::entry::Entry;

/// A node's index in the arena.
pub(super) type NodeId = usize;

/// The root directory, which is never removed.
pub(super) const ROOT: NodeId = 0;

#[derive(Debug)]
struct Node {
    entry: Entry,
    parent: NodeId,
    /// Children by the hash of their name; children whose names share a hash are chained
    /// through `next`.
    children: HashMap<u64, NodeId>,
    /// The next sibling with the same name hash.
    next: Option<NodeId>,
}

fn name_of(entry: &Entry) -> &str {
    entry.path.rsplit('/').next().unwrap_or_default()
}

/// Bytes a node costs beyond its strings: the node itself and its slot in the parent's map.
pub(super) const NODE_OVERHEAD: u64 = (std::mem::size_of::<Node>() + 64) as u64;

#[derive(Debug)]
pub(super) struct Tree<S = RandomState> {
    slots: Vec<Option<Node>>,
    free: Vec<NodeId>,
    /// Seeded per process, so names cannot be chosen to collide.
    hasher: S,
}

impl Tree {
    pub(super) fn new(root: Entry) -> Tree {
        Tree::with_hasher(root, RandomState::new())
    }
}

impl<S: BuildHasher> Tree<S> {
    fn with_hasher(root: Entry, hasher: S) -> Tree<S> {
        Tree {
            slots: vec![Some(Node {
                entry: root,
                parent: ROOT,
                children: HashMap::new(),
                next: None,
            })],
            free: Vec::new(),
            hasher,
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
        let mut at = self
            .node(id)
            .children
            .get(&self.hasher.hash_one(name))
            .copied();
        while let Some(c) = at {
            let node = self.node(c);
            if name_of(&node.entry) == name {
                return Some(c);
            }
            at = node.next;
        }
        None
    }

    /// The children of `id`, in no particular order.
    pub(super) fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.node(id)
            .children
            .values()
            .flat_map(|&head| std::iter::successors(Some(head), |&c| self.node(c).next))
    }

    /// The children of `id`, sorted by name.
    pub(super) fn sorted_children(&self, id: NodeId) -> Vec<NodeId> {
        let mut all: Vec<NodeId> = self.children(id).collect();
        all.sort_unstable_by(|a, b| name_of(self.entry(*a)).cmp(name_of(self.entry(*b))));
        all
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

    /// Adds `entry` (whose path ends in its name) as a child of `parent`, which must not
    /// have one of that name yet.
    pub(super) fn insert(&mut self, parent: NodeId, entry: Entry) -> NodeId {
        let hash = self.hasher.hash_one(name_of(&entry));
        let next = self.node(parent).children.get(&hash).copied();
        let node = Node {
            entry,
            parent,
            children: HashMap::new(),
            next,
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
        self.node_mut(parent).children.insert(hash, id);
        id
    }

    /// Takes `id` out of the tree. Its children go with it: callers remove them first (or
    /// in the same batch, see [`Tree::descendants`]).
    pub(super) fn take(&mut self, id: NodeId) -> Entry {
        let Some(node) = self.slots.get_mut(id).and_then(Option::take) else {
            unreachable!("node {id} is not in the tree");
        };
        self.free.push(id);
        let hash = self.hasher.hash_one(name_of(&node.entry));
        let Some(Some(parent)) = self.slots.get(node.parent) else {
            // The parent went first, in the same batch.
            return node.entry;
        };
        // Unlink from the chain of names with this hash.
        if parent.children.get(&hash) == Some(&id) {
            let parent = self.node_mut(node.parent);
            match node.next {
                Some(n) => parent.children.insert(hash, n),
                None => parent.children.remove(&hash),
            };
        } else {
            let mut at = parent.children.get(&hash).copied();
            while let Some(c) = at {
                if self.node(c).next == Some(id) {
                    self.node_mut(c).next = node.next;
                    break;
                }
                at = self.node(c).next;
            }
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

    /// Every node, in no particular order.
    pub(super) fn ids(&self) -> Vec<NodeId> {
        (0..self.slots.len())
            .filter(|id| self.slots[*id].is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasherDefault, Hasher};

    use super::*;

    /// Every name hashes alike: each lookup walks the collision chain.
    #[derive(Default)]
    struct Collide;

    impl Hasher for Collide {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }

    #[test]
    fn names_sharing_a_hash_are_found_listed_and_removed() {
        let mut t = Tree::with_hasher(Entry::dir("/", 0), BuildHasherDefault::<Collide>::default());
        let ids: Vec<NodeId> = ["/b", "/a", "/c"]
            .iter()
            .map(|p| t.insert(ROOT, Entry::dir(p, 0)))
            .collect();
        let x = t.insert(ids[1], Entry::dir("/a/x", 0));
        assert_eq!(t.lookup("/a/x"), Some(x));
        assert_eq!(t.lookup("/c"), Some(ids[2]));
        assert_eq!(t.lookup("/d"), None);
        let names = |t: &Tree<_>| -> Vec<String> {
            t.sorted_children(ROOT)
                .into_iter()
                .map(|c| t.entry(c).path.clone())
                .collect()
        };
        assert_eq!(names(&t), ["/a", "/b", "/c"]);
        // Unlink the middle of the chain, then its head.
        t.take(ids[1]);
        assert_eq!(names(&t), ["/b", "/c"]);
        assert_eq!(t.lookup("/b"), Some(ids[0]));
        t.take(ids[2]);
        assert_eq!(names(&t), ["/b"]);
        assert_eq!(t.lookup("/c"), None);
    }
}
