//! Test support for the workspace's suites, written once instead of copied into each (the
//! modules, several behind features so each suite builds only what it uses):
//!
//! - `process`: a child process on a free loopback port with its output captured line by
//!   line; `service` (feature `schema`): a service under test whose stdout is checked as
//!   mozlog;
//! - `http` (feature `http`): an async HTTP/1.1 client that shows exactly what came back
//!   (written and parsed by `dockerflow-http`, the workspace's one client);
//! - `platform` (features `http` and `schema`): the trace-context and Cloud Logging suite,
//!   written once and run against every server (the tower example, the actix-web example);
//! - `capture` (feature `capture`): an in-memory writer for a `tracing-subscriber` layer, read
//!   back as text or JSON lines;
//! - `metrics` (feature `metrics`): a `metrics` recorder installed in the test binary, read
//!   back as counters and histogram samples;
//! - `schema` (feature `schema`): validation against the contract's JSON Schemas (`dockerflow-contract`);
//! - real components started or found by the tests: `postgres`, `registry`, `engine`,
//!   `browser` (headless Chromium and where a test keeps its screenshot);
//! - fixtures: `tar` (a tar writer that can also write what no good writer would),
//!   `oci` (feature `oci`: gzip, digests, descriptors) and `image` (feature `oci`: whole
//!   images from layers of nodes, in every local transport), `kubernetes` (the compliant
//!   Deployment that the checker's suite and the CLI's both judge);
//! - `rng`: a small deterministic random generator, for suites that generate their inputs.
//!
//! A real component that is missing skips its test with a message, except under `CI=true`,
//! where it fails the test ([`require`], [`skip`]).
//!
//! Test-only: a `[dev-dependencies]` entry, never a product crate's dependency (xtask's
//! table checks it). It depends on no workspace crate but two neutral ones, the contract's
//! schemas and the HTTP client (`dockerflow-http`, feature `http`), which the suites that use
//! it (the service library's, the adapter's, the demo's) do not test: a suite that used the
//! test kit through the crate under test would compile that crate twice, and a fixture
//! computed by the library under test (a digest, a schema) could hide the library's own bug.

use std::fmt::Display;
use std::io::Write;

pub mod browser;
#[cfg(feature = "capture")]
pub mod capture;
pub mod engine;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "oci")]
pub mod image;
pub mod kubernetes;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "oci")]
pub mod oci;
#[cfg(all(feature = "http", feature = "schema"))]
pub mod platform;
pub mod postgres;
pub mod process;
pub mod registry;
pub mod rng;
#[cfg(feature = "schema")]
pub mod schema;
#[cfg(feature = "schema")]
pub mod service;
pub mod tar;
mod temp;

pub use temp::TempDir;

/// Whether the tests run under `CI=true`, where every real component must be there.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Says why a test cannot run, for it to return early; under `CI=true`, fails it instead.
///
/// The line goes to the process's stderr directly, not through `eprintln!`, which libtest
/// captures (a skipped test would show only `ok`), and is added to the run's skip log
/// ([`SKIP_LOG_DIR`]), which `scripts/test` counts and names at the end of the run.
#[track_caller]
pub fn skip(why: impl Display) {
    if ci() {
        panic!("CI=true and {why} (.ci/run sets it up)");
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let line = format!("SKIPPED {test}: {why} (this fails instead of skipping when CI=true)\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(dir) = skip_log_dir() {
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!("{}.log", std::process::id()));
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

/// Where skips are logged, under the cargo target directory: one file per test process.
pub const SKIP_LOG_DIR: &str = "test-skips";

/// `<target>/test-skips`, from the test binary's place (`<target>/<profile>/deps/<binary>`).
fn skip_log_dir() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let target = exe.parent()?.parent()?.parent()?;
    Some(target.join(SKIP_LOG_DIR))
}

/// Whether a real component is there; when it is not, [`skip`]s with a message naming it.
#[track_caller]
pub fn require(component: &str, present: bool) -> bool {
    if !present {
        skip(format_args!("{component} is not installed on this machine"));
    }
    present
}
