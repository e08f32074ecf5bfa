//! The crate's error type: what failed, against which registry URL, and what was expected.
//! No variant ever holds a credential: URLs carry none, and helper output is never kept.

use std::fmt;

/// What went wrong talking to a registry.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Nothing can be reached: the host does not resolve, or nothing listens at its port.
    /// Never retried: waiting does not start a registry.
    Unreachable {
        /// `GET https://host/v2/...`
        request: String,
        /// The transport's error text.
        reason: String,
    },
    /// The network failed (reset, timed out, TLS) on `method url`.
    Transport {
        /// `GET https://host/v2/...`
        request: String,
        /// The transport's error text.
        reason: String,
    },
    /// The registry answered with an unexpected status.
    Status {
        /// `PUT http://host/v2/...`
        request: String,
        /// The status code.
        status: u16,
        /// The registry's error codes and messages, if it sent any.
        detail: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Authentication is needed and none was available, or the registry refused what we sent.
    Auth {
        /// The registry host.
        registry: String,
        /// Why (never containing a secret).
        reason: String,
    },
    /// Credentials could not be read (a config file or a credential helper failed).
    Credentials {
        /// Where they were looked for.
        source: String,
        /// Why it failed.
        reason: String,
    },
    /// The registry sent something that is not what the protocol says.
    Protocol {
        /// The request that got it.
        request: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading or checking the image failed (digest mismatch, bad document, caps, I/O).
    Image(dockerflow_oci::Error),
    /// Local I/O while pushing (a temporary file, for example).
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The request is not possible (bad reference, unsupported source).
    Invalid {
        /// Why.
        reason: String,
    },
}

/// Shorthand for `Result<T, dockerflow_registry::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether retrying the same request later may succeed (network errors, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            Error::Image(e) => matches!(e.kind(), dockerflow_oci::ErrorKind::Io { .. }),
            _ => false,
        }
    }

    /// Converts to the image reader's error type (for [`dockerflow_oci::ImageSource`]).
    pub fn into_oci(self) -> dockerflow_oci::Error {
        match self {
            Error::Image(e) => e,
            other => dockerflow_oci::Error::new(dockerflow_oci::ErrorKind::Io {
                what: "talking to the registry".to_string(),
                source: std::io::Error::other(other.to_string()),
            }),
        }
    }

    /// Recovers an image error carried through an `io::Error` by a verifying reader.
    pub(crate) fn from_read(e: std::io::Error, what: impl FnOnce() -> String) -> Error {
        if e.get_ref()
            .is_some_and(|inner| inner.is::<dockerflow_oci::Error>())
        {
            if let Some(inner) = e.into_inner() {
                if let Ok(oci) = inner.downcast::<dockerflow_oci::Error>() {
                    return Error::Image(*oci);
                }
            }
            return Error::Invalid { reason: what() };
        }
        Error::Transport {
            request: what(),
            reason: e.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport { request, reason } => {
                write!(f, "{request}: network error: {reason}")
            }
            Error::Unreachable { request, reason } => write!(
                f,
                "{request}: network error: {reason} (not retried: nothing to reach there)"
            ),
            Error::Status {
                request,
                status,
                detail,
                expected,
            } => {
                write!(f, "{request}: the registry answered {status}")?;
                if !detail.is_empty() {
                    write!(f, " ({detail})")?;
                }
                write!(f, "; expected {expected}")
            }
            Error::Auth { registry, reason } => {
                write!(f, "authentication with {registry} failed: {reason}")
            }
            Error::Credentials { source, reason } => {
                write!(
                    f,
                    "cannot read registry credentials from {source}: {reason}"
                )
            }
            Error::Protocol { request, reason } => {
                write!(f, "{request}: unexpected answer: {reason}")
            }
            Error::Image(e) => write!(f, "{e}"),
            Error::Io { what, source } => write!(f, "I/O error {what}: {source}"),
            Error::Invalid { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Image(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<dockerflow_oci::Error> for Error {
    fn from(e: dockerflow_oci::Error) -> Error {
        Error::Image(e)
    }
}
