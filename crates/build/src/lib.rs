//! Dockerflow's pipeline pieces, as a library the `dockerflow` command (`version`, `build`,
//! `publish`, `ci`) calls:
//!
//! - [`version`]: `version.json` from GitHub Actions, CircleCI, GitLab CI, Taskcluster or the
//!   git checkout, and its check against `contract/version.schema.json`;
//! - [`image`]: a daemonless, reproducible image build that is compliant by construction
//!   (`app` 10001, `/app`, exec-form `Entrypoint` and `Cmd`, `PORT`, labels), on a base image
//!   or on nothing but the binary's own shared libraries ([`elf`]);
//! - [`write`]: writers for OCI layouts, oci-archives and docker-archives from any
//!   [`dockerflow_oci::ImageSource`];
//! - [`cargo`]: the binary, from `cargo build --release`.
//!
//! **Architecture Invariant:** depends on `dockerflow-oci` only (never on the service library
//! or the checker: what it builds is judged by the checker, not by itself). Nothing here reads
//! the clock or the process environment except [`version::process_env`], which callers pass in:
//! the same inputs give the same bytes.
#![deny(missing_docs)]

pub mod cargo;
pub mod elf;
pub mod image;
mod tar;
pub mod version;
pub mod write;

pub use image::{build, Base, BuildError, BuildSpec, BuiltImage};
pub use version::{
    check_version_json, generate, CheckResult, Generated, Provider, VersionError, VersionObject,
    VersionOptions,
};
pub use write::{write_image, Destination, WriteError, Written};
