//! What the filesystem holds: an [`Entry`] per path, the [`Finding`]s about entries not
//! applied as written, and the [`Hidden`] files later entries deleted or replaced.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};

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
    pub(super) content: Content,
    /// Where this file's bytes are: the layer and the entry's position in that layer.
    pub(super) origin: Option<Origin>,
}

/// A tar entry's place: layer `layer`, entry number `ordinal` (0-based, headers counted as
/// the tar reader returns them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Origin {
    pub(super) layer: usize,
    pub(super) ordinal: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Content {
    NotRetained,
    Retained(Vec<u8>),
    TooLarge,
}

impl Entry {
    /// Whether content was retained for this file.
    pub fn has_content(&self) -> bool {
        matches!(self.content, Content::Retained(_))
    }

    pub(super) fn dir(path: &str, layer: usize) -> Entry {
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
    /// A whiteout with an empty name (`.wh.`): read literally it would delete the directory
    /// that holds it (at the layer root, the whole image); not applied.
    EmptyWhiteout,
}

impl FindingKind {
    /// Heap bytes held by the kind, for the memory budget.
    pub(super) fn heap_len(&self) -> usize {
        match self {
            FindingKind::HardlinkEscapes { target }
            | FindingKind::HardlinkTargetMissing { target }
            | FindingKind::HardlinkToDirectory { target } => target.len(),
            FindingKind::ParentNotDirectory { parent } => parent.len(),
            _ => 0,
        }
    }
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
            FindingKind::EmptyWhiteout => {
                f.write_str("whiteout with an empty name would delete its directory; skipped")
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
    /// The hidden file's bytes. Fails unless [`ContentRequest::with_hidden`](super::ContentRequest::with_hidden) asked for them
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
