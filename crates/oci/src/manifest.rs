//! Descriptors, image manifests and image indexes, in their OCI and Docker schema 2 forms.
//!
//! One Rust type serves both forms of each document: the OCI and Docker formats share field
//! names and differ only in media types, which are kept as strings and classified here.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// The media types this crate knows, from the OCI image spec and Docker's registry API.
pub mod media_type {
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// OCI uncompressed layer.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// OCI gzip layer.
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// OCI zstd layer.
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    /// OCI non-distributable uncompressed layer (deprecated by the spec, still read).
    pub const OCI_LAYER_NONDIST_TAR: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar";
    /// OCI non-distributable gzip layer (deprecated by the spec, still read).
    pub const OCI_LAYER_NONDIST_GZIP: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    /// OCI non-distributable zstd layer (deprecated by the spec).
    pub const OCI_LAYER_NONDIST_ZSTD: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    /// Docker schema 2 manifest.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker gzip layer.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// Docker uncompressed layer (what classic `docker save` archives hold).
    pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
    /// Docker foreign (Windows base) gzip layer.
    pub const DOCKER_LAYER_FOREIGN_GZIP: &str =
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    /// Docker schema 2 manifest with zstd layers, as BuildKit writes it.
    pub const DOCKER_LAYER_ZSTD: &str = "application/vnd.docker.image.rootfs.diff.tar.zstd";
}

/// What kind of document or blob a media type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaKind {
    /// An image manifest (OCI or Docker schema 2).
    Manifest,
    /// An image index or Docker manifest list.
    Index,
    /// An image config.
    Config,
    /// A layer; the compression is detected from the bytes, not trusted from the type.
    Layer,
    /// Anything else (attestations, artifacts, unknown types).
    Other,
}

/// Classifies a media type.
pub fn media_kind(media_type: &str) -> MediaKind {
    use media_type::*;
    match media_type {
        OCI_MANIFEST | DOCKER_MANIFEST => MediaKind::Manifest,
        OCI_INDEX | DOCKER_MANIFEST_LIST => MediaKind::Index,
        OCI_CONFIG | DOCKER_CONFIG => MediaKind::Config,
        OCI_LAYER_TAR
        | OCI_LAYER_GZIP
        | OCI_LAYER_ZSTD
        | OCI_LAYER_NONDIST_TAR
        | OCI_LAYER_NONDIST_GZIP
        | OCI_LAYER_NONDIST_ZSTD
        | DOCKER_LAYER_GZIP
        | DOCKER_LAYER_TAR
        | DOCKER_LAYER_FOREIGN_GZIP
        | DOCKER_LAYER_ZSTD => MediaKind::Layer,
        _ => MediaKind::Other,
    }
}

/// A platform, as in an index's `platform` field: `os/architecture[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture in Go's `GOARCH` terms (`amd64`, `arm64`, ...).
    pub architecture: String,
    /// Operating system in Go's `GOOS` terms (`linux`, ...).
    pub os: String,
    /// OS version (Windows).
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    /// OS features (Windows).
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<Vec<String>>,
    /// CPU variant (`v7`, `v8`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/amd64`, the default platform chosen from indexes.
    pub fn linux_amd64() -> Platform {
        Platform::new("linux", "amd64", None)
    }

    /// A platform from its parts.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            architecture: architecture.to_string(),
            os: os.to_string(),
            os_version: None,
            os_features: None,
            variant: variant.map(str::to_string),
        }
    }

    /// Parses `os/arch` or `os/arch/variant`, e.g. `linux/arm64/v8`.
    pub fn parse(s: &str) -> Option<Platform> {
        let mut parts = s.split('/');
        let os = parts.next().filter(|p| !p.is_empty())?;
        let arch = parts.next().filter(|p| !p.is_empty())?;
        let variant = parts.next().filter(|p| !p.is_empty());
        if parts.next().is_some() {
            return None;
        }
        Some(Platform::new(os, arch, variant))
    }

    /// Whether an index entry for `self` satisfies a request for `wanted`: OS and
    /// architecture must be equal; a variant is compared only when `wanted` names one.
    /// As in containerd, a missing variant means the architecture's default (`v8` for
    /// `arm64`, `v7` for `arm`).
    pub fn satisfies(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && match &wanted.variant {
                None => true,
                Some(v) => self.effective_variant() == Some(v.as_str()),
            }
    }

    fn effective_variant(&self) -> Option<&str> {
        match (self.variant.as_deref(), self.architecture.as_str()) {
            (Some(v), _) => Some(v),
            (None, "arm64") => Some("v8"),
            (None, "arm") => Some("v7"),
            (None, _) => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A content descriptor: what a blob is, its digest and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The blob's media type.
    pub media_type: String,
    /// The blob's digest.
    pub digest: Digest,
    /// The blob's size in bytes.
    pub size: u64,
    /// Alternative download locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    /// Annotations (e.g. `org.opencontainers.image.ref.name`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The platform, for entries of an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The artifact type, for artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

/// The annotation holding a tag in an OCI layout's `index.json`.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd and Docker 25+ put on `index.json` entries: the full image name.
pub const ANNOTATION_CONTAINERD_NAME: &str = "io.containerd.image.name";
/// The annotation marking BuildKit attestation manifests in an index.
pub const ANNOTATION_DOCKER_REFERENCE_TYPE: &str = "vnd.docker.reference.type";

impl Descriptor {
    /// A descriptor of `size` bytes of `media_type` with digest `digest`, and nothing else (no
    /// URLs, annotations, platform or artifact type).
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: None,
            annotations: BTreeMap::new(),
            platform: None,
            artifact_type: None,
        }
    }

    /// The `org.opencontainers.image.ref.name` annotation, if any.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations
            .get(ANNOTATION_REF_NAME)
            .map(String::as_str)
    }

    /// The `io.containerd.image.name` annotation, if any.
    pub fn image_name(&self) -> Option<&str> {
        self.annotations
            .get(ANNOTATION_CONTAINERD_NAME)
            .map(String::as_str)
    }

    /// Whether this is a BuildKit attestation manifest (never an image to run).
    pub fn is_attestation(&self) -> bool {
        self.annotations
            .contains_key(ANNOTATION_DOCKER_REFERENCE_TYPE)
    }
}

/// An image manifest: OCI (`application/vnd.oci.image.manifest.v1+json`) or Docker schema 2
/// (`application/vnd.docker.distribution.manifest.v2+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The media type (required by Docker, optional in OCI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type, for artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, bottom first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (referrers API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (`application/vnd.oci.image.index.v1+json`) or Docker manifest list
/// (`application/vnd.docker.distribution.manifest.list.v2+json`); also the shape of an OCI
/// layout's `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// The media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The entries. `null` (written by some Docker versions, moby#47210) reads as empty.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One entry of a `docker save` archive's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerSaveEntry {
    /// The config's path in the archive (`<hex>.json`, or `blobs/sha256/<hex>` since Docker 25).
    #[serde(rename = "Config")]
    pub config: String,
    /// The tags saved (`name:tag`); `null` when saved by id.
    #[serde(rename = "RepoTags", default, deserialize_with = "null_as_empty")]
    pub repo_tags: Vec<String>,
    /// The layers' paths in the archive, bottom first.
    #[serde(rename = "Layers", default, deserialize_with = "null_as_empty")]
    pub layers: Vec<String>,
    /// Descriptors of foreign layers, keyed by digest.
    #[serde(
        rename = "LayerSources",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub layer_sources: Option<BTreeMap<String, Descriptor>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let p = |s| Platform::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert!(p("linux/arm64").satisfies(&p("linux/arm64/v8")));
        assert!(p("linux/arm64/v8").satisfies(&p("linux/arm64")));
        assert!(!p("linux/arm/v6").satisfies(&p("linux/arm/v7")));
        assert!(!p("linux/amd64").satisfies(&p("windows/amd64")));
        assert_eq!(p("linux/arm/v7").to_string(), "linux/arm/v7");
        assert!(Platform::parse("linux").is_none() && Platform::parse("a/b/c/d").is_none());
        assert_eq!(
            media_kind(media_type::DOCKER_MANIFEST_LIST),
            MediaKind::Index
        );
        assert_eq!(media_kind("application/vnd.in-toto+json"), MediaKind::Other);
    }

    #[test]
    fn docker_quirks_parse() {
        // moby#47210: `manifests: null` when saved by digest; RepoTags null when saved by id.
        let i: Result<ImageIndex, _> =
            serde_json::from_str(r#"{"schemaVersion":2,"manifests":null}"#);
        assert!(i.is_ok_and(|i| i.manifests.is_empty()));
        let m: Result<Vec<DockerSaveEntry>, _> = serde_json::from_str(
            r#"[{"Config":"a.json","RepoTags":null,"Layers":["l/layer.tar"]}]"#,
        );
        assert!(m.is_ok_and(|m| m[0].repo_tags.is_empty() && m[0].layers.len() == 1));
    }
}
