//! The crate's one error type: what went wrong, where, and what was expected.

use std::fmt;
use std::io;

use crate::digest::Digest;
use crate::limits::Limit;

/// The role a blob plays in an image, named in errors so a reader knows which one is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobRole {
    /// An image index or Docker manifest list.
    Index,
    /// An image manifest.
    Manifest,
    /// The image configuration.
    Config,
    /// Layer number `n` (0 is the bottom layer).
    Layer(usize),
}

impl fmt::Display for BlobRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlobRole::Index => f.write_str("index"),
            BlobRole::Manifest => f.write_str("manifest"),
            BlobRole::Config => f.write_str("config"),
            BlobRole::Layer(n) => write!(f, "layer {n}"),
        }
    }
}

/// What went wrong. Each variant carries the context needed to find the problem.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An I/O error while doing `what`.
    Io {
        /// What was being done, e.g. "opening /x/index.json".
        what: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A digest string that is not `sha256:<64 hex>` or `sha512:<128 hex>`.
    InvalidDigest {
        /// The text given.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An image reference that does not parse.
    InvalidReference {
        /// The text given.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Something valid that this version cannot do yet.
    Unsupported {
        /// What was asked for.
        what: String,
    },
    /// A JSON document that does not parse as the expected type.
    Json {
        /// Which document, e.g. "manifest.json" or "config sha256:...".
        what: String,
        /// The parser's error (line and column).
        source: serde_json::Error,
    },
    /// A JSON document with the right syntax but an unexpected content.
    InvalidDocument {
        /// Which document.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A blob named by a descriptor is not present.
    BlobMissing {
        /// What the blob is for.
        role: BlobRole,
        /// Its digest.
        digest: Digest,
        /// Where it was looked for.
        path: String,
    },
    /// A blob's content does not hash to its descriptor's digest.
    DigestMismatch {
        /// What the blob is for.
        role: BlobRole,
        /// The digest the descriptor promised.
        expected: Digest,
        /// The digest of the bytes read.
        actual: Digest,
        /// Where the bytes came from.
        path: String,
    },
    /// A blob's length differs from its descriptor's size.
    SizeMismatch {
        /// What the blob is for.
        role: BlobRole,
        /// Its digest.
        digest: Digest,
        /// The size the descriptor promised.
        expected: u64,
        /// The size found (for a blob longer than promised, at least this).
        actual: u64,
        /// Where the bytes came from.
        path: String,
    },
    /// A layer's uncompressed content does not hash to the config's `rootfs.diff_ids` entry.
    DiffIdMismatch {
        /// The layer index.
        layer: usize,
        /// The diff id in the config.
        expected: Digest,
        /// The digest of the uncompressed bytes.
        actual: Digest,
    },
    /// A path in a layout or archive that would leave its root.
    PathEscapesRoot {
        /// The offending path.
        path: String,
    },
    /// The image asked for is not in the source.
    ImageNotFound {
        /// What was asked for.
        wanted: String,
        /// What is there.
        available: Vec<String>,
    },
    /// The source holds several images and none was named.
    AmbiguousImage {
        /// What is there.
        available: Vec<String>,
    },
    /// No manifest in an index matches the wanted platform.
    PlatformNotFound {
        /// The platform wanted, e.g. `linux/amd64`.
        wanted: String,
        /// The platforms the index lists.
        available: Vec<String>,
    },
    /// A media type this crate does not read in this role.
    UnsupportedMediaType {
        /// What the blob is for.
        role: BlobRole,
        /// The media type found.
        media_type: String,
    },
    /// A zstd-compressed layer (not supported yet).
    ZstdNotSupported {
        /// The layer index.
        layer: usize,
        /// Its digest.
        digest: Digest,
    },
    /// A resource cap was exceeded.
    LimitExceeded {
        /// Which cap.
        limit: Limit,
        /// The cap's value.
        max: u64,
        /// The layer being read, if any.
        layer: Option<usize>,
        /// That layer's digest, if any.
        digest: Option<Digest>,
    },
    /// A malformed or truncated tar stream.
    Tar {
        /// Which stream: "layer 2 (sha256:...)" or the archive file.
        stream: String,
        /// The byte offset in the (uncompressed) tar stream.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// A malformed or truncated gzip stream.
    Decompress {
        /// The layer index.
        layer: usize,
        /// Its digest.
        digest: Digest,
        /// The decoder's error.
        source: io::Error,
    },
    /// A path does not exist in the image.
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// A path names something that is not a regular file.
    NotAFile {
        /// The path asked for.
        path: String,
    },
    /// A path names a file whose content was not retained on reading (not asked for, or over the cap).
    ContentNotRetained {
        /// The path asked for.
        path: String,
        /// Why.
        reason: String,
    },
    /// Symlink resolution met a loop or more than 40 hops.
    SymlinkLoop {
        /// The path being resolved.
        path: String,
    },
    /// A malformed line in `/etc/passwd` or `/etc/group`.
    Passwd {
        /// Which file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// The error type of this crate.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
    origin: Option<String>,
}

/// Shorthand for `Result<T, dockerflow_oci::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Makes an error of this kind.
    pub fn new(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
            origin: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The image source the error came from (e.g. `oci:/tmp/layout`), when known.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// Adds the image source, unless one is already set.
    pub fn with_origin(mut self, origin: &str) -> Error {
        if self.origin.is_none() {
            self.origin = Some(origin.to_string());
        }
        self
    }

    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Error {
        Error::new(ErrorKind::Io {
            what: what.into(),
            source,
        })
    }

    pub(crate) fn json(what: impl Into<String>, source: serde_json::Error) -> Error {
        Error::new(ErrorKind::Json {
            what: what.into(),
            source,
        })
    }

    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidDocument {
            what: what.into(),
            reason: reason.into(),
        })
    }

    /// Wraps this error in an `io::Error`, so it can cross a `Read` implementation and be
    /// recovered by [`Error::from_io`].
    pub(crate) fn into_io(self) -> io::Error {
        io::Error::other(self)
    }

    /// Recovers an error wrapped by `into_io`, or wraps a plain I/O error with `what`.
    pub(crate) fn from_io(err: io::Error, what: impl FnOnce() -> String) -> Error {
        if err.get_ref().is_some_and(|e| e.is::<Error>()) {
            if let Some(inner) = err.into_inner() {
                if let Ok(e) = inner.downcast::<Error>() {
                    return *e;
                }
            }
            // Unreachable in practice: checked above.
            return Error::io(what(), io::Error::other("lost error"));
        }
        Error::io(what(), err)
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io { what, source } => write!(f, "I/O error {what}: {source}"),
            ErrorKind::InvalidDigest { input, reason } => write!(
                f,
                "invalid digest {input:?}: {reason} (expected sha256:<64 hex> or sha512:<128 hex>)"
            ),
            ErrorKind::InvalidReference { input, reason } => {
                write!(f, "invalid image reference {input:?}: {reason}")
            }
            ErrorKind::Unsupported { what } => write!(f, "not supported yet: {what}"),
            ErrorKind::Json { what, source } => write!(f, "invalid JSON in {what}: {source}"),
            ErrorKind::InvalidDocument { what, reason } => write!(f, "invalid {what}: {reason}"),
            ErrorKind::BlobMissing { role, digest, path } => {
                write!(f, "{role} blob {digest} is missing (looked for {path})")
            }
            ErrorKind::DigestMismatch {
                role,
                expected,
                actual,
                path,
            } => write!(
                f,
                "{role} blob at {path} does not match its digest: expected {expected}, content hashes to {actual}"
            ),
            ErrorKind::SizeMismatch {
                role,
                digest,
                expected,
                actual,
                path,
            } => write!(
                f,
                "{role} blob {digest} at {path} has the wrong size: the descriptor says {expected} bytes, found {actual}"
            ),
            ErrorKind::DiffIdMismatch {
                layer,
                expected,
                actual,
            } => write!(
                f,
                "layer {layer}: uncompressed content hashes to {actual}, but the config's rootfs.diff_ids says {expected}"
            ),
            ErrorKind::PathEscapesRoot { path } => {
                write!(f, "path {path:?} leaves the root it must stay in")
            }
            ErrorKind::ImageNotFound { wanted, available } => write!(
                f,
                "image {wanted:?} not found; available: {}",
                list(available)
            ),
            ErrorKind::AmbiguousImage { available } => write!(
                f,
                "the source holds several images; name one of: {}",
                list(available)
            ),
            ErrorKind::PlatformNotFound { wanted, available } => write!(
                f,
                "no manifest for platform {wanted}; the index lists: {}",
                list(available)
            ),
            ErrorKind::UnsupportedMediaType { role, media_type } => {
                write!(f, "unsupported media type {media_type:?} for the {role}")
            }
            ErrorKind::ZstdNotSupported { layer, digest } => write!(
                f,
                "layer {layer} ({digest}) is zstd-compressed: zstd layers are not supported yet"
            ),
            ErrorKind::LimitExceeded {
                limit,
                max,
                layer,
                digest,
            } => {
                write!(f, "{} exceeded (cap {max})", limit.description())?;
                if let Some(layer) = layer {
                    write!(f, " in layer {layer}")?;
                }
                if let Some(digest) = digest {
                    write!(f, " ({digest})")?;
                }
                write!(f, "; raise Limits::{} to allow it", limit.field())
            }
            ErrorKind::Tar {
                stream,
                offset,
                reason,
            } => write!(f, "malformed tar in {stream} at byte offset {offset}: {reason}"),
            ErrorKind::Decompress {
                layer,
                digest,
                source,
            } => write!(f, "layer {layer} ({digest}): gzip stream is invalid or truncated: {source}"),
            ErrorKind::NotFound { path } => write!(f, "{path}: no such file in the image"),
            ErrorKind::NotAFile { path } => write!(f, "{path}: not a regular file"),
            ErrorKind::ContentNotRetained { path, reason } => {
                write!(f, "{path}: content not available: {reason}")
            }
            ErrorKind::SymlinkLoop { path } => write!(
                f,
                "{path}: too many levels of symbolic links (a loop, or more than 40 hops)"
            ),
            ErrorKind::Passwd { file, line, reason } => write!(f, "{file} line {line}: {reason}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(origin) = &self.origin {
            write!(f, " (in {origin})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            ErrorKind::Io { source, .. } | ErrorKind::Decompress { source, .. } => Some(source),
            ErrorKind::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}
