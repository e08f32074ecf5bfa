//! The I/O behind the checker's runtime rules: runs an image on the Docker engine (host
//! network, a free loopback port in `PORT`), or reaches a service already running at a URL,
//! probes every behaviour of CONTRACT.md section 1 from outside, and returns a
//! [`RuntimeModel`] for `dockerflow-check`'s pure judges.
//!
//! - [`run_image`]: the up run (endpoints with GET and HEAD, logs, the process's uid from
//!   `/proc/<pid>/status` on the host, SIGTERM), one run per dependency taken down (its
//!   variable's host and port rewritten to a closed loopback port), and optionally a run
//!   with a read-only root filesystem.
//! - [`probe_url`]: the endpoints of a running service.
//!
//! Depends on `dockerflow-check` (the model it fills), `dockerflow-engine` (the engine) and
//! `dockerflow-http` (the HTTP client). It prints nothing and never ends the process: its
//! errors are typed ([`Error`]), and on Ctrl-C it calls the caller's function once the
//! containers are removed.
//!
//! **Architecture Invariants:** every container this crate starts carries the
//! [`LABEL`] label and is removed when its run ends, on every error path, and on Ctrl-C
//! ([`install_interrupt_cleanup`]). Traffic goes to the loopback only (`127.0.0.1`, the
//! port the checker chose) or to the URL the user gave. Every wait is bounded.

mod interrupt;
mod run;
mod url;

pub use interrupt::install_interrupt_cleanup;
pub use run::{rewrite_host_port, run_image, ImageFacts, RunOptions};
pub use url::{probe_url, UrlOptions};

pub use dockerflow_check::RuntimeModel;
// The HTTP client's errors, which `Error` carries.
pub use dockerflow_http::{FetchError, FetchErrorKind, UrlError};

/// The label on every container the checker starts (`docker ps -a --filter label=...`).
pub const LABEL: &str = "io.github.dockerflow-rs.check";

/// Why a probe could not run at all (exit status 2), by kind, with the context to say so.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The Docker engine is missing or failed a request.
    Engine(dockerflow_engine::Error),
    /// No free loopback port to give the container (why).
    NoFreePort(String),
    /// A `--dependency-env` variable cannot be taken down.
    DependencyEnv {
        /// The variable.
        var: String,
        /// Why not, and what was expected.
        why: String,
    },
    /// The URL is not a plain `http://HOST[:PORT][/PATH]` URL.
    BadUrl(UrlError),
    /// Nothing answered at the URL: the host does not resolve, nothing listens at its port,
    /// or the first request got no answer in time.
    Unreachable {
        /// The URL probed.
        url: String,
        /// What the HTTP client saw.
        source: FetchError,
    },
    /// Ctrl-C was pressed: the containers are being removed and the process is ending.
    Interrupted,
    /// The Ctrl-C handler could not be installed.
    Signals(std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Engine(e) => write!(f, "{e}"),
            Error::NoFreePort(why) => f.write_str(why),
            Error::DependencyEnv { var, why } => write!(f, "--dependency-env {var}: {why}"),
            Error::BadUrl(e) => write!(f, "{e}"),
            Error::Unreachable { url, source } => write!(f, "{url}: {source}"),
            Error::Interrupted => f.write_str("interrupted"),
            Error::Signals(e) => write!(f, "cannot install the Ctrl-C handler: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Engine(e) => Some(e),
            Error::BadUrl(e) => Some(e),
            Error::Unreachable { source, .. } => Some(source),
            Error::Signals(e) => Some(e),
            _ => None,
        }
    }
}

impl From<dockerflow_engine::Error> for Error {
    fn from(e: dockerflow_engine::Error) -> Error {
        Error::Engine(e)
    }
}
