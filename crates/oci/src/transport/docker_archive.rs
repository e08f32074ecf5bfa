//! `docker save` archives (`docker-archive:FILE[:REF]`) in all their variants:
//!
//! - classic: `manifest.json`, `<id>/layer.tar` (uncompressed), `<config hex>.json`;
//! - Docker 25+: the same `manifest.json`, pointing into an OCI layout
//!   (`oci-layout`, `index.json`, `blobs/sha256/...`) stored in the same tar;
//! - containerd image store: `index.json` points to a nested index whose entries include
//!   other platforms (whose blobs are absent) and attestation manifests; layers are gzip.
//!
//! `manifest.json` is authoritative (it is what `docker load` reads and it names exactly the
//! blobs present); the real manifest is then looked up in the OCI part by config digest, and
//! synthesised when there is none (classic archives). Without a usable `manifest.json`, the
//! archive is read as an OCI layout.

use std::path::Path;

use crate::digest::Digest;
use crate::error::{BlobRole, Error, ErrorKind, Result};
use crate::manifest::{media_type, Descriptor, DockerSaveEntry, ImageIndex, ImageManifest};
use crate::reference::{normalize_name, ArchiveImage};
use crate::transport::oci_layout::select_in_layout;
use crate::transport::{
    archive_name, find_manifest_by_config, impl_image_source, parse_json, read_small, ArchiveStore,
    BlobStore, Loaded, OpenOptions,
};

/// A `docker save` archive, read in place.
#[derive(Debug)]
pub struct DockerArchive(Loaded<ArchiveStore>);

impl DockerArchive {
    /// Opens the image `image` names (or the only image) in the archive at `file`.
    pub fn open(
        file: &Path,
        image: Option<&ArchiveImage>,
        options: &OpenOptions,
    ) -> Result<DockerArchive> {
        let origin = match image {
            Some(i) => format!("docker-archive:{}:{i}", file.display()),
            None => format!("docker-archive:{}", file.display()),
        };
        open_inner(file, image, options, &origin)
            .map(DockerArchive)
            .map_err(|e| e.with_origin(&origin))
    }
}

impl_image_source!(DockerArchive);

fn open_inner(
    file: &Path,
    image: Option<&ArchiveImage>,
    options: &OpenOptions,
    origin: &str,
) -> Result<Loaded<ArchiveStore>> {
    let limits = &options.limits;
    let store = ArchiveStore::index(file, limits)?;
    let entries: Vec<DockerSaveEntry> = if store.exists("manifest.json") {
        parse_json(
            &read_small(&store, "manifest.json", limits)?,
            "manifest.json",
        )?
    } else {
        vec![]
    };
    if entries.is_empty() {
        if !store.exists("index.json") {
            return Err(Error::invalid(
                "docker-archive",
                "neither manifest.json nor index.json is in the archive: not a docker save archive",
            ));
        }
        // No usable manifest.json (moby#47065, #47210): read the OCI part.
        let tag = match image {
            None => None,
            Some(ArchiveImage::Name(n)) => Some(n.as_str()),
            Some(ArchiveImage::Index(_)) => {
                return Err(Error::invalid(
                    "docker-archive",
                    "@N selects from manifest.json, which this archive lacks; use a tag",
                ))
            }
        };
        let (desc, manifest, raw) = select_in_layout(&store, tag, options)?;
        let config_path = manifest.config.digest.blob_path();
        let layers = manifest
            .layers
            .iter()
            .map(|l| l.digest.blob_path())
            .collect();
        return Loaded::new(
            origin.to_string(),
            store,
            manifest,
            Some((desc, raw)),
            &config_path,
            layers,
            limits,
        );
    }
    let available = || -> Vec<String> {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                if e.repo_tags.is_empty() {
                    format!("@{i} (untagged, config {})", e.config)
                } else {
                    format!("@{i} {}", e.repo_tags.join(" "))
                }
            })
            .collect()
    };
    let entry = match image {
        None if entries.len() == 1 => &entries[0],
        None => {
            return Err(Error::new(ErrorKind::AmbiguousImage {
                available: available(),
            }))
        }
        Some(ArchiveImage::Index(i)) => entries.get(*i).ok_or_else(|| {
            Error::new(ErrorKind::ImageNotFound {
                wanted: format!("@{i}"),
                available: available(),
            })
        })?,
        Some(ArchiveImage::Name(n)) => {
            let wanted = normalize_name(n);
            entries
                .iter()
                .find(|e| e.repo_tags.iter().any(|t| normalize_name(t) == wanted))
                .ok_or_else(|| {
                    Error::new(ErrorKind::ImageNotFound {
                        wanted: n.clone(),
                        available: available(),
                    })
                })?
        }
    };
    let config_digest = digest_from_path(&entry.config).ok_or_else(|| {
        Error::invalid(
            "manifest.json",
            format!(
                "Config {:?} is neither <hex>.json nor blobs/<alg>/<hex>",
                entry.config
            ),
        )
    })?;
    let config_size = store
        .entries
        .get(&archive_name(&entry.config))
        .map(|e| e.size)
        .ok_or_else(|| {
            Error::new(ErrorKind::BlobMissing {
                role: BlobRole::Config,
                digest: config_digest.clone(),
                path: store.display(&entry.config),
            })
        })?;

    // Docker 25+ and containerd: the real manifest is in the OCI part.
    let real = if store.exists("index.json") {
        let index: ImageIndex =
            parse_json(&read_small(&store, "index.json", limits)?, "index.json")?;
        find_manifest_by_config(&store, &index, &config_digest, limits, 0)?
    } else {
        None
    };
    if let Some((desc, manifest, raw)) = real {
        if manifest.layers.len() != entry.layers.len() {
            return Err(Error::invalid(
                "manifest.json",
                format!(
                    "lists {} layers, but manifest {} has {}",
                    entry.layers.len(),
                    desc.digest,
                    manifest.layers.len()
                ),
            ));
        }
        return Loaded::new(
            origin.to_string(),
            store,
            manifest,
            Some((desc, raw)),
            &entry.config,
            entry.layers.clone(),
            limits,
        );
    }

    // Classic: synthesise a Docker schema 2 manifest. A layer's digest comes from its blob
    // path, or else is its diff id (classic layer.tar files are uncompressed, so the two are
    // the same bytes' digest); the config is read first for the diff ids.
    let config_desc = Descriptor::new(media_type::DOCKER_CONFIG, config_digest, config_size);
    let probe = ImageManifest {
        schema_version: 2,
        media_type: Some(media_type::DOCKER_MANIFEST.to_string()),
        artifact_type: None,
        config: config_desc.clone(),
        layers: vec![],
        subject: None,
        annotations: Default::default(),
    };
    let raw = crate::transport::read_blob(
        &store,
        &entry.config,
        &probe.config,
        BlobRole::Config,
        limits,
    )?;
    let config: crate::config::ImageConfig =
        parse_json(&raw, &format!("config {}", config_desc.digest))?;
    let mut layers = Vec::with_capacity(entry.layers.len());
    for (i, path) in entry.layers.iter().enumerate() {
        let digest = match digest_from_blob_path(path) {
            Some(d) => d,
            None => config.rootfs.diff_ids.get(i).cloned().ok_or_else(|| {
                Error::invalid(
                    "manifest.json",
                    format!("layer {i} ({path}) has no diff id in the config to verify it by"),
                )
            })?,
        };
        let size = store
            .entries
            .get(&archive_name(path))
            .map(|e| e.size)
            .ok_or_else(|| {
                Error::new(ErrorKind::BlobMissing {
                    role: BlobRole::Layer(i),
                    digest: digest.clone(),
                    path: store.display(path),
                })
            })?;
        layers.push(Descriptor::new(media_type::DOCKER_LAYER_TAR, digest, size));
    }
    let manifest = ImageManifest { layers, ..probe };
    Loaded::new(
        origin.to_string(),
        store,
        manifest,
        None,
        &entry.config,
        entry.layers.clone(),
        limits,
    )
}

/// `blobs/<alg>/<hex>` as a digest.
fn digest_from_blob_path(path: &str) -> Option<Digest> {
    let norm = archive_name(path);
    let mut parts = norm.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("blobs"), Some(alg), Some(hex), None) => Digest::parse(&format!("{alg}:{hex}")).ok(),
        _ => None,
    }
}

/// A config path as a digest: `blobs/<alg>/<hex>` or classic `<hex>.json`.
fn digest_from_path(path: &str) -> Option<Digest> {
    digest_from_blob_path(path).or_else(|| {
        let norm = archive_name(path);
        let hex = norm.strip_suffix(".json")?;
        Digest::parse(&format!("sha256:{hex}")).ok()
    })
}
