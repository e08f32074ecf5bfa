//! The builder's one error type: a [`ErrorKind`] saying what went wrong, and the context (what,
//! where, what was expected) as one line. Only the binary turns it into a message.

use std::fmt;

/// What kind of thing went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A host file could not be read, listed, created or written.
    Io,
    /// The binary is not an executable this builder can package (not ELF, an unsupported
    /// machine, a library it needs is missing).
    Executable,
    /// An input (the build spec, a flag, an environment variable, the output's place) is not
    /// what was expected.
    InvalidInput,
    /// No version object could be made (no commit, no source URL).
    Version,
    /// The output transport cannot be written here.
    Unsupported,
    /// The base image cannot be used.
    Base,
    /// `cargo build` failed.
    Cargo,
    /// The image could not be encoded (a layer, the config, the manifest).
    Encode,
    /// A worker thread failed.
    Internal,
}

/// Why an image could not be built, written or described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    context: String,
}

impl Error {
    /// An error of `kind`; `context` says what, where and what was expected.
    pub fn new(kind: ErrorKind, context: impl Into<String>) -> Error {
        Error {
            kind,
            context: context.into(),
        }
    }

    /// What kind of thing went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The one-line context: what, where, what was expected.
    pub fn context(&self) -> &str {
        &self.context
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for Error {}

/// Why a file is not an executable this builder can package (an [`Error`] of kind
/// [`ErrorKind::Executable`] or [`ErrorKind::Io`]).
pub type ElfError = Error;
/// Why an image could not be built.
pub type BuildError = Error;
/// Why no version object could be written.
pub type VersionError = Error;
/// Why an image could not be written.
pub type WriteError = Error;
