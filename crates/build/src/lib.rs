//! Dockerflow's pipeline pieces, as a library the `dockerflow` command (`version`, `build`,
//! `publish`, `ci`) calls: `version.json` from the CI and git ([`version`]).
//!
//! **Architecture Invariant:** depends on `dockerflow-oci` only (never on the service library
//! or the checker: what it builds is judged by the checker, not by itself).
#![deny(missing_docs)]

pub mod version;

pub use version::{
    check_version_json, generate, CheckResult, Generated, Provider, VersionError, VersionObject,
    VersionOptions,
};
