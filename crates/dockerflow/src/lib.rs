//! Make any tower or axum web service Dockerflow-compliant in a few lines.
//!
//! Dockerflow is Mozilla Cloud Services' contract for web services in containers. This crate
//! gives a service everything in section 1 of the project's `CONTRACT.md`:
//!
//! - `/__version__`: version.json's bytes, read and validated once at start-up;
//! - `/__heartbeat__`: concurrent checks of backing services with time limits, single flight
//!   and reuse, in python-dockerflow's JSON shape, 200 below error and 500 (configurable) at
//!   error or above;
//! - `/__lbheartbeat__`: 200 with an empty body, never touching a backing service; 503 while
//!   draining after SIGTERM;
//! - `/__error__`: off unless a token is configured;
//! - mozlog JSON logging (through `dockerflow-mozlog`), request ids and `request.summary`;
//! - configuration from the environment, graceful shutdown, and static files.
//!
//! It depends on no other workspace crate than `dockerflow-mozlog` and `dockerflow-contract`
//! (its secret names alone, without the schema validators), and never on the checker: the
//! checker judges services from the contract, not from this crate's types.
//!
//! # Example
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use dockerflow::checks::TcpCheck;
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     dockerflow::main("my-service", |builder| async move {
//!         let app = Router::new().route("/", get(|| async { "hello" }));
//!         builder.check("database", TcpCheck::new("127.0.0.1:5432")).serve(app).await
//!     })
//!     .await
//! }
//! ```
//!
//! [`main`] sets up logging, reads the configuration (an invalid `PORT` is a one-line error
//! and exit status 1), and serves until SIGTERM, then drains and exits 0. The pieces are
//! plain tower layers too, for services that run their own server:
//! [`Dockerflow::layer`] wraps any `Service<Request<B>>`.
//!
//! # Configuration
//!
//! Every variable is in [`config::SETTINGS`], and in `docs/CONFIGURATION.md`.
//!
//! # Heartbeat message ids
//!
//! | id | level | meaning |
//! |---|---|---|
//! | `dockerflow.version.W001` | warning | version.json is missing or unreadable |
//! | `dockerflow.version.W002` | warning | version.json is not a JSON object with the four string keys |
//! | `dockerflow.version.W003` | warning | `commit` is not 7-64 hex digits, or `source`/`build` is not an absolute URL |
//! | `dockerflow.health.E100` | error | a check did not finish within its time limit |
//! | `dockerflow.health.E101` | error | a check panicked |
//! | `dockerflow.health.E102` | error | a check (or the whole run) was cancelled |
//!
//! The built-in checks add theirs: see [`checks`].
//!
//! # Feature flags
//!
//! | name | default | what it adds |
//! |---|---|---|
//! | `static-files` | yes | [`StaticFiles`], on tower-http's `ServeDir` |
//! | `http-check` | yes | [`checks::HttpCheck`] |
//! | `sqlite` | no | `checks::SqlCheck` for SQLite pools (sqlx) |
//! | `postgres` | no | `checks::SqlCheck` for PostgreSQL pools (sqlx) |
#![deny(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly): items behind a feature show the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter;
mod builder;
pub mod checks;
pub mod config;
pub mod endpoints;
mod healthcheck;
pub mod heartbeat;
pub mod metrics;
pub mod redact;
pub mod request_id;
pub mod request_summary;
mod serve;
pub mod shutdown;
#[cfg(feature = "static-files")]
pub mod static_files;
pub mod version;

pub use builder::{Builder, Dockerflow, DockerflowLayer};
pub use config::{Config, ConfigError};
pub use endpoints::NotFound;
pub use healthcheck::{healthcheck, probe_lbheartbeat, HealthcheckError, HEALTHCHECK_DEADLINE};
pub use request_id::{RequestId, Uid};
pub use serve::{main, App, AppBody, BoxError, Server, StartError};
pub use shutdown::Shutdown;
#[cfg(feature = "static-files")]
pub use static_files::StaticFiles;

/// The mozlog logging layer this crate sets up, re-exported for services that configure
/// tracing themselves.
pub use dockerflow_mozlog as mozlog;
