//! Reads container images of any origin safely: the OCI/Docker image model, local
//! transports, and a confined, layered, read-only virtual filesystem of the image.
//!
//! This crate depends on no other workspace crate and knows nothing of Dockerflow's rules;
//! it never writes to the host filesystem. To open any reference, including `docker://` and
//! images in the Docker engine, use the `dockerflow-image` crate, which reads local
//! transports through this one.
//!
//! # Example
//!
//! ```
//! use dockerflow_oci::{open, ContentRequest, Digest, Algorithm, ImageRef, Limits, OpenOptions, Vfs};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("dockerflow-oci-doc-{}", std::process::id()));
//! # let blob = |bytes: &[u8]| -> Result<String, std::io::Error> {
//! #     let d = Digest::of(Algorithm::Sha256, bytes);
//! #     std::fs::create_dir_all(dir.join("blobs/sha256"))?;
//! #     std::fs::write(dir.join(d.blob_path()), bytes)?;
//! #     Ok(format!(r#"{{"mediaType":"M","digest":"{d}","size":{}}}"#, bytes.len()))
//! # };
//! # let layer = vec![0u8; 1024]; // an empty tar
//! # let config = format!(r#"{{"config":{{"User":"app","Cmd":["serve"]}},"rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
//! #     Digest::of(Algorithm::Sha256, &layer));
//! # let manifest = format!(r#"{{"schemaVersion":2,"config":{},"layers":[{}]}}"#,
//! #     blob(config.as_bytes())?.replace("\"M\"", "\"application/vnd.oci.image.config.v1+json\""),
//! #     blob(&layer)?.replace("\"M\"", "\"application/vnd.oci.image.layer.v1.tar\""));
//! # let index = format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
//! #     blob(manifest.as_bytes())?.replace("\"M\"", "\"application/vnd.oci.image.manifest.v1+json\""));
//! # std::fs::write(dir.join("index.json"), index)?;
//! # std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
//! // `dir` holds an OCI image layout (as written by skopeo, buildx or jib).
//! let reference = ImageRef::parse(&format!("oci:{}", dir.display()))?;
//! let image = open(&reference, &OpenOptions::default())?;
//! let user = image.config().container().and_then(|c| c.user.value().cloned());
//! assert_eq!(user.as_deref(), Some("app"));
//!
//! // Apply the layers; keep the content of /etc/passwd and /etc/group only.
//! let vfs = Vfs::read_image(image.as_ref(), &ContentRequest::default(), &Limits::default())?;
//! assert!(vfs.stat("/etc/passwd").is_err()); // this tiny image has no files
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! - **One trait, several transports.** [`ImageSource`] yields the chosen manifest, the
//!   config and a verified stream per layer; [`DockerArchive`] (`docker save` in its classic,
//!   Docker 25+ and containerd-store forms), [`OciLayout`] and [`OciArchive`] implement it.
//!   Archives are indexed once (entry name to offset and size) and read in place by seeking;
//!   nothing is extracted. A manifest read from a source comes with its exact bytes
//!   ([`ImageSource::raw_manifest`]), so a copy can keep its digest; an index is read whole,
//!   without choosing a platform, as an [`IndexSource`] ([`open_index_or_image`]).
//! - **Every blob is verified while it streams**: size first (a blob longer than its
//!   descriptor fails as soon as it is), then digest at the end. A layer's uncompressed
//!   stream is also checked against the config's `rootfs.diff_ids`. Errors name the role
//!   (index, manifest, config, layer N), the digest and where the bytes came from.
//! - **Confinement.** [`Vfs`] is a map from normalised absolute path to metadata, never host
//!   files. `..` cannot climb above `/`: a tar entry that tries is skipped and recorded as a
//!   [`Finding`], as is an entry under a parent that is a symlink (the tar-slip pattern) and
//!   a hard link to a missing or escaping target; absolute names are applied under the root
//!   (and recorded). Symlinks resolve inside the image: absolute targets start at the image
//!   root, `..` stops at the root, more than 40 hops is an error. An OCI layout directory
//!   is opened only by relative paths whose real path stays under the layout's real path.
//! - **Whiteouts** follow the OCI image spec: `.wh.NAME` hides `NAME` and everything under
//!   it from lower layers; `.wh..wh..opq` hides what lower layers put in its directory;
//!   neither affects entries of its own layer. What they hide is not forgotten: the regular
//!   files deleted or replaced by a later entry are listed by [`Vfs::hidden`] (path, the
//!   layer that wrote them, the layer that hid them, how), since their bytes stay in the
//!   image; their content is read, on a second pass over only the layers that hold them,
//!   for the paths [`ContentRequest::with_hidden`] names.
//! - **Bounded memory.** Everything a read keeps (entries, names, findings, hidden files,
//!   content, an archive's member index) is charged to one budget before it is kept,
//!   512 MiB by default; content is kept only for the files a [`ContentRequest`] names (a
//!   requested path reached through symlinks or hard links is read on a second pass over
//!   the one layer that holds its target), each up to a per-file cap. Layers are streamed,
//!   never buffered.
//! - **Caps** ([`Limits`], defaults): decompressed bytes 8 GiB over all layers; 1,000,000
//!   entries; paths 4096 bytes; PAX headers 1 MiB; compression ratio 200:1 per layer,
//!   judged after 16 MiB; 1 MiB content per file and 64 MiB in all; JSON documents 8 MiB;
//!   nested indexes 4 deep; 512 MiB of memory. Exceeding one is [`ErrorKind::LimitExceeded`], naming the cap,
//!   the layer and its digest.
//! - **Layers** may be tar or gzip (detected from the bytes, not the media type); zstd is
//!   recognised and refused with [`ErrorKind::ZstdNotSupported`].
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
pub use transport::{
    choose_platform, open, open_index_or_image, DockerArchive, ImageSource, IndexSource,
    OciArchive, OciLayout, OpenOptions, Opened,
};
pub mod vfs;
pub use vfs::{ContentRequest, Entry, EntryKind, Finding, FindingKind, Hidden, HiddenBy, Vfs};
pub mod passwd;
pub use passwd::{GroupEntry, PasswdEntry, ResolvedUser, UserResolution};
