//! A synchronous client for the OCI distribution API: reads images from registries as an
//! [`ImageSource`](dockerflow_oci::ImageSource) and pushes images from any source.
//!
//! Depends on `dockerflow-oci` only, and knows nothing of Dockerflow's rules. The
//! `dockerflow-image` crate opens a `docker://` reference through it, beside every other
//! transport.
//!
//! - **Names** are normalised as Docker does (`alpine` is `docker.io/library/alpine:latest`,
//!   served by `registry-1.docker.io`). Loopback registries and hosts listed as insecure
//!   ([`ClientOptions::insecure`], `DOCKERFLOW_INSECURE_REGISTRIES`) are spoken to over plain
//!   HTTP, every other one over TLS (rustls, Mozilla's roots).
//! - **Authentication** follows the registry's `WWW-Authenticate` challenge: none, Basic, or
//!   Bearer tokens fetched from the realm and cached per scope. Credentials come from
//!   `DOCKERFLOW_REGISTRY_USER`/`DOCKERFLOW_REGISTRY_PASSWORD` or Docker's `config.json`
//!   (`auths`, `credHelpers`, `credsStore`), and never appear in an error, a log or `Debug`.
//! - **Pulls** verify everything: the manifest against the digest asked for (and the
//!   registry's `Docker-Content-Digest`), an index entry's size, the config, and each layer
//!   while it streams (never buffered). Blob redirects are followed without sending
//!   `Authorization` to another origin.
//! - **Pushes** send blobs first and the manifest last, so a failed push never tags a
//!   half-uploaded image; a manifest the source holds goes up as its exact bytes, and an
//!   index ([`push_index`]) after every manifest it lists, each shared blob sent once. Blobs the registry has are skipped (`HEAD`); others go up in chunks
//!   (`POST`, `PATCH` with `Content-Range`, `PUT ?digest=`). Transient failures (network
//!   errors, 5xx, 429) are retried with exponential backoff, a bounded number of times; an
//!   interrupted chunk resumes where the registry says the session stands, and a session the
//!   registry forgot (a restart with a new secret) starts the blob again in a new one.
#![deny(missing_docs)]

mod client;
pub mod credentials;
mod error;
mod pull;
mod push;

pub use client::{api_host, is_loopback, Client, ClientOptions, RetryFn, RetryHook, ENV_INSECURE};
pub use credentials::{CredentialSources, Credentials, Secret};
pub use error::{Error, Result};
pub use pull::{open_index_or_image, RegistryImage, RegistryIndex, MANIFEST_ACCEPT};
pub use push::{push, push_index, Event, PushOptions, Pushed};
