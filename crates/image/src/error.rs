//! The crate's one error type: what went wrong (the kind, holding the library error it came
//! from), and which reference it was about.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What went wrong opening an image. The variants keep the error of the crate that failed
/// (`dockerflow-oci`, `dockerflow-registry`, `dockerflow-engine`), so a caller can match on it
/// and word its own message.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The reference does not parse (`dockerflow_oci::ErrorKind::InvalidReference`).
    InvalidReference(dockerflow_oci::Error),
    /// Reading the image failed: a local archive or layout, or an image's documents and
    /// blobs as a registry sent them (digests, caps, documents, I/O).
    Image(dockerflow_oci::Error),
    /// The registry failed (unreachable, refused, an unexpected answer).
    Registry(dockerflow_registry::Error),
    /// No usable Docker engine: `DOCKER_HOST` is malformed or nothing answers its ping.
    NoEngine(dockerflow_engine::Error),
    /// The engine answers but has no image by this name.
    NotInEngine {
        /// The name asked for.
        name: String,
        /// The engine's address.
        host: String,
    },
    /// Asking the engine about the image failed.
    Inspect {
        /// The name asked for.
        name: String,
        /// The engine's error.
        source: dockerflow_engine::Error,
    },
    /// The engine could not export the image (`docker save` through its API).
    Export {
        /// The name asked for.
        name: String,
        /// The engine's error.
        source: dockerflow_engine::Error,
    },
    /// The engine refused to load an archive.
    Load {
        /// The engine's error.
        source: dockerflow_engine::Error,
    },
    /// A temporary file for an export could not be created.
    CreateTemp {
        /// The temporary directory.
        dir: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// Writing an export to its temporary file failed.
    WriteTemp {
        /// The temporary file.
        path: PathBuf,
        /// The bytes written before the failure.
        written: u64,
        /// The error.
        source: io::Error,
    },
    /// A local file could not be opened (an archive to load into the engine).
    Open {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The engine cannot run an image from this transport (only `docker-daemon:` and
    /// `docker-archive:` can be run).
    NotRunnable,
}

/// An error of this crate: its [`ErrorKind`] and the reference it was about, when there is
/// one (as the caller wrote it, e.g. `docker-daemon:app:v1`).
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
    reference: Option<String>,
}

/// Shorthand for `Result<T, dockerflow_image::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` about no particular reference.
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
            reference: None,
        }
    }

    /// Sets the reference the error is about.
    pub(crate) fn about(mut self, reference: impl fmt::Display) -> Error {
        self.reference = Some(reference.to_string());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Takes the kind, for a caller that keeps the library error it holds.
    pub fn into_kind(self) -> ErrorKind {
        *self.kind
    }

    /// The reference the error is about, as the caller wrote it.
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::InvalidReference(e) | ErrorKind::Image(e) => write!(f, "{e}"),
            ErrorKind::Registry(e) => write!(f, "{e}"),
            ErrorKind::NoEngine(e) => write!(f, "{e}"),
            ErrorKind::NotInEngine { name, host } => write!(
                f,
                "the Docker engine at {host} has no image {name}; expected a local image name (see `docker images`)"
            ),
            ErrorKind::Inspect { name, source } => write!(f, "cannot inspect {name}: {source}"),
            ErrorKind::Export { name, source } => write!(f, "cannot export {name}: {source}"),
            ErrorKind::Load { source } => write!(f, "cannot load into the engine: {source}"),
            ErrorKind::CreateTemp { dir, source } => write!(
                f,
                "cannot create a temporary file in {}: {source}; expected a writable TMPDIR",
                dir.display()
            ),
            ErrorKind::WriteTemp {
                path,
                written,
                source,
            } => write!(
                f,
                "cannot write {} ({written} bytes): {source}; expected room in TMPDIR",
                path.display()
            ),
            ErrorKind::Open { path, source } => write!(f, "cannot open {}: {source}", path.display()),
            ErrorKind::NotRunnable => f.write_str(
                "the Docker engine cannot run this image; expected docker-daemon:NAME, a bare NAME or docker-archive:FILE",
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reference {
            Some(r) => write!(f, "{r}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.kind.as_ref() {
            ErrorKind::InvalidReference(e) | ErrorKind::Image(e) => Some(e),
            ErrorKind::Registry(e) => Some(e),
            ErrorKind::NoEngine(e)
            | ErrorKind::Inspect { source: e, .. }
            | ErrorKind::Export { source: e, .. }
            | ErrorKind::Load { source: e } => Some(e),
            ErrorKind::CreateTemp { source, .. }
            | ErrorKind::WriteTemp { source, .. }
            | ErrorKind::Open { source, .. } => Some(source),
            ErrorKind::NotInEngine { .. } | ErrorKind::NotRunnable => None,
        }
    }
}

impl From<dockerflow_registry::Error> for ErrorKind {
    /// A registry error; one that is about the image's content is an [`ErrorKind::Image`].
    fn from(e: dockerflow_registry::Error) -> ErrorKind {
        match e {
            dockerflow_registry::Error::Image(e) => ErrorKind::Image(e),
            other => ErrorKind::Registry(other),
        }
    }
}
