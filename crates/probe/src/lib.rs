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
//! Depends on `dockerflow-check` (the model it fills) and `dockerflow-engine` (the engine and
//! HTTP client).
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

/// The label on every container the checker starts (`docker ps -a --filter label=...`).
pub const LABEL: &str = "io.github.dockerflow-rs.check";

/// Why a probe could not run at all (exit status 2): engine missing, bad option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<dockerflow_engine::Error> for Error {
    fn from(e: dockerflow_engine::Error) -> Error {
        Error(e.to_string())
    }
}

/// Converts the HTTP client's exchange into the checker's.
pub(crate) fn exchange(x: dockerflow_engine::http::Exchange) -> dockerflow_check::Exchange {
    dockerflow_check::Exchange {
        status: x.status,
        headers: x.headers,
        body: x.body,
        elapsed: x.elapsed,
    }
}
