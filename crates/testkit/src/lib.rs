//! Test support for the workspace's suites, written once instead of copied into each (the
//! modules, several behind features so each suite builds only what it uses):
//!
//! - `process`: a child process on a free loopback port with its output captured line by
//!   line; `service` (feature `schema`): a service under test whose stdout is checked as
//!   mozlog;
//! - `http` (feature `http`): a tiny HTTP/1.1 client that shows exactly what came back;
//! - `platform` (features `http` and `schema`): the trace-context and Cloud Logging suite,
//!   written once and run against every server (the tower example, the actix-web example);
//! - `schema` (feature `schema`): validation against the JSON Schemas in `contract/`;
//! - real components started or found by the tests: `postgres`, `registry`, `engine`;
//! - fixtures: `tar` (a tar writer that can also write what no good writer would),
//!   `oci` (feature `oci`: gzip, digests, descriptors) and `image` (feature `oci`: whole
//!   images from layers of nodes, in every local transport).
//!
//! A real component that is missing skips its test with a message, except under `CI=true`,
//! where it fails the test ([`require`], [`skip`]).
//!
//! Test-only: a `[dev-dependencies]` entry, never a product crate's dependency (xtask's
//! table checks it). It depends on no workspace crate: a suite that used it through the crate
//! under test would compile that crate twice, and a fixture computed by the library under
//! test (a digest, a schema) could hide the library's own bug.

use std::fmt::Display;

pub mod engine;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "oci")]
pub mod image;
#[cfg(feature = "oci")]
pub mod oci;
#[cfg(all(feature = "http", feature = "schema"))]
pub mod platform;
pub mod postgres;
pub mod process;
pub mod registry;
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
#[track_caller]
pub fn skip(why: impl Display) {
    if ci() {
        panic!("CI=true and {why} (.ci/run sets it up)");
    }
    eprintln!("SKIPPED: {why} (this fails instead of skipping when CI=true)");
}

/// Whether a real component is there; when it is not, [`skip`]s with a message naming it.
#[track_caller]
pub fn require(component: &str, present: bool) -> bool {
    if !present {
        skip(format_args!("{component} is not installed on this machine"));
    }
    present
}
