//! Reads OCI and Docker container images safely: the image model, local transports, and a
//! confined, layered, read-only virtual filesystem.
#![deny(missing_docs)]

pub mod config;
pub mod digest;
pub mod error;
pub mod limits;
pub mod manifest;
pub mod reference;
mod tar;
pub mod transport;

pub use config::{ContainerConfig, Field, History, ImageConfig, RootFs};
pub use digest::{Algorithm, Digest, VerifyingReader};
pub use error::{BlobRole, Error, ErrorKind, Result};
pub use limits::{Limit, Limits};
pub use manifest::{Descriptor, ImageIndex, ImageManifest, Platform};
pub use reference::{ArchiveImage, ImageRef, RegistryRef};
pub use transport::{open, DockerArchive, ImageSource, OciArchive, OciLayout, OpenOptions};
pub mod vfs;
pub use vfs::{ContentRequest, Entry, EntryKind, Finding, FindingKind, Vfs};
pub mod passwd;
pub use passwd::{GroupEntry, PasswdEntry, ResolvedUser, UserResolution};
