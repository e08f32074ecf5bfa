//! Temporary directories, removed on drop (the `tempfile` crate's, named for the test).

use std::path::Path;

/// A fresh, empty directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// `dockerflow-<tag>-<random>`, empty.
    pub fn new(tag: &str) -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("dockerflow-{tag}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("create a temporary directory for {tag}: {e}"));
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}
