//! Dockerflow's pipeline pieces, as a library the `dockerflow` command (`version`, `build`,
//! `publish`, `ci`) calls:
//!
//! - [`version`]: `version.json` from GitHub Actions, CircleCI, GitLab CI, Taskcluster or the
//!   git checkout, and its check against `crates/contract/schemas/version.schema.json`;
//! - [`image`]: a daemonless, reproducible image build that is compliant by construction
//!   (`app` 10001, `/app`, exec-form `Entrypoint` and `Cmd`, `PORT`, labels), on a base image
//!   or on nothing but the binary's own shared libraries ([`elf`]);
//! - [`write`](mod@write): writers for OCI layouts, oci-archives and docker-archives from any
//!   [`dockerflow_oci::ImageSource`];
//! - [`cargo`]: the binary, from `cargo build --release`.
//!
//! **Architecture Invariant:** depends on `dockerflow-oci` only (never on the service library
//! or the checker: what it builds is judged by the checker, not by itself). Nothing here reads
//! the clock or the process environment except [`version::process_env`], which callers pass in:
//! the same inputs give the same bytes.
//!
//! ```
//! use dockerflow_build::version::{check_version_json, generate, VersionOptions};
//! // A GitHub Actions branch build: `version` stays empty, never the branch name.
//! let env = |key: &str| match key {
//!     "GITHUB_ACTIONS" => Some("true".to_string()),
//!     "GITHUB_REPOSITORY" => Some("mozilla/app".to_string()),
//!     "GITHUB_SHA" => Some("4f2b8c1d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c".to_string()),
//!     "GITHUB_RUN_ID" => Some("42".to_string()),
//!     "GITHUB_REF_NAME" => Some("main".to_string()),
//!     _ => None,
//! };
//! let generated = generate(&env, &VersionOptions::default()).unwrap();
//! assert_eq!(generated.object.version, "");
//! assert_eq!(generated.object.build, "https://github.com/mozilla/app/actions/runs/42");
//! assert!(check_version_json(generated.object.to_json().as_bytes()).is_valid());
//! ```
#![deny(missing_docs)]

pub mod cargo;
pub mod elf;
mod error;
pub mod image;
mod inputs;
mod tar;
pub mod version;
pub mod write;

pub use error::{BuildError, ElfError, Error, ErrorKind, VersionError, WriteError};
pub use image::{build, Base, BuildSpec, BuiltImage};
pub use version::{
    check_version_json, generate, CheckResult, Generated, Provider, VersionObject, VersionOptions,
};
pub use write::{write_image, Destination, Written};
