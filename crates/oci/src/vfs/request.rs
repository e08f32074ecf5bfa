//! [`ContentRequest`]: which regular files' bytes a read keeps.

use std::collections::BTreeSet;
use std::fmt;

use super::normalize;

/// Which regular files to keep the content of.
pub struct ContentRequest {
    pub(super) paths: BTreeSet<String>,
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
    /// `/etc/passwd` and `/etc/group`, which [`Vfs::resolve_user`](super::Vfs::resolve_user) needs.
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

    /// Also keeps the content of every [`Hidden`](super::Hidden) file whose normalised path satisfies `f`.
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

    pub(super) fn wants_hidden(&self, path: &str) -> bool {
        self.hidden.as_ref().is_some_and(|f| f(path))
    }

    pub(super) fn wants(&self, path: &str) -> bool {
        self.paths.contains(path) || self.predicate.as_ref().is_some_and(|f| f(path))
    }
}
