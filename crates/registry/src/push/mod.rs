//! Pushing an image from any [`ImageSource`], or a whole index from any [`IndexSource`], to
//! a registry: blobs first (skipped when the registry has them, else uploaded in chunks:
//! `POST`, `PATCH` with `Content-Range`, `PUT ?digest=`), the manifest last (an index's
//! images by digest, then the index), so a failed push never leaves a tag pointing at a
//! half-uploaded image. A manifest the source holds goes up as its exact bytes.
//!
//! A classic `docker save` archive holds no manifest and uncompressed layers: each layer is
//! gzipped deterministically (no name, no time, one compression level) into a temporary
//! file while its digest is computed, and a Docker schema 2 manifest is built from them.
//!
//! The rooms: `plan` decides what to send (blobs, the layers to gzip); `compress` gzips
//! layers on worker threads and keeps the blob cache; `target` asks the registry what it
//! has, mounts, and puts manifests; `upload` is one blob's chunked upload session;
//! `index` pushes a whole index. This file orchestrates one image.

use std::path::PathBuf;

use dockerflow_oci::manifest::media_type;
use dockerflow_oci::{Descriptor, Digest, ImageManifest, ImageSource, RegistryRef};

use crate::client::Client;
use crate::error::{Error, Result};
use compress::{BlobCache, Compressions};
use plan::{BlobBody, ImagePlan};
use target::Target;

pub use index::push_index;

mod compress;
mod index;
mod plan;
mod target;
mod upload;

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Bytes per `PATCH` request (and the most a blob upload holds in memory). Default 16 MiB.
    pub chunk_size: usize,
    /// A repository on the destination registry that holds the source's blobs (the source
    /// is an image there): missing blobs are mounted from it instead of uploaded.
    pub mount_from: Option<String>,
    /// A file remembering, for each layer gzipped here, the digest and size of its gzip
    /// (lines `UNCOMPRESSED GZIPPED SIZE`), so a later push of the same uncompressed layer
    /// asks the registry for it before compressing anything. `None`: no file is kept.
    pub blob_cache: Option<PathBuf>,
}

impl Default for PushOptions {
    fn default() -> PushOptions {
        PushOptions {
            chunk_size: 16 << 20,
            mount_from: None,
            blob_cache: None,
        }
    }
}

/// What happens during a push, for progress displays and logs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A layer is being compressed (classic `docker save` archives).
    Compressing {
        /// `layer N`.
        what: String,
    },
    /// The registry already has this blob: nothing sent.
    BlobExists {
        /// `config` or `layer N`.
        what: String,
        /// Its digest.
        digest: Digest,
        /// Its size.
        size: u64,
    },
    /// The registry linked the blob from another repository: nothing sent.
    BlobMounted {
        /// `config` or `layer N`.
        what: String,
        /// Its digest.
        digest: Digest,
        /// The repository it came from.
        from: String,
    },
    /// A blob upload starts.
    BlobStart {
        /// `config` or `layer N`.
        what: String,
        /// Its size.
        size: u64,
    },
    /// Bytes of the current blob accepted by the registry so far.
    BlobProgress {
        /// `config` or `layer N`.
        what: String,
        /// Bytes sent and accepted.
        sent: u64,
        /// The blob's size.
        size: u64,
    },
    /// A blob is uploaded and verified.
    BlobDone {
        /// `config` or `layer N`.
        what: String,
        /// Its digest.
        digest: Digest,
        /// Its size.
        size: u64,
    },
    /// A transient failure; the step is tried again after a pause.
    Retry {
        /// The step.
        what: String,
        /// The attempt about to be made (2 is the first retry).
        attempt: u32,
        /// The error (never holding a credential).
        error: String,
    },
    /// One of an index's manifests (or nested indexes) is stored by digest, before the
    /// index itself.
    EntryPushed {
        /// Its platform, e.g. `linux/arm64`, or its digest when it names none.
        what: String,
        /// Its digest.
        digest: Digest,
    },
    /// The manifest (or index) is stored under the destination's tag.
    ManifestPushed {
        /// The manifest's digest.
        digest: Digest,
        /// Where it went.
        reference: String,
    },
}

impl Event {
    /// The [`Event::Retry`] for attempt `attempt` of `what` after `error`.
    fn retry(what: impl Into<String>, attempt: u32, error: &Error) -> Event {
        Event::Retry {
            what: what.into(),
            attempt,
            error: error.to_string(),
        }
    }
}

/// The `on_retry` callback of [`Client::send_retry`](crate::client::Client::send_retry) for
/// the step `what`: reports the retry as an [`Event::Retry`].
fn on_retry<'a>(
    progress: &'a mut dyn FnMut(&Event),
    what: &'a str,
) -> impl FnMut(&Error, u32) + 'a {
    move |e, attempt| progress(&Event::retry(what, attempt + 1, e))
}

/// The result of a push.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The pushed manifest's digest (what `docker-image-shasum256.txt` holds).
    pub digest: Digest,
    /// The manifest's media type.
    pub media_type: String,
    /// Where it went, e.g. `127.0.0.1:5000/app:v1`.
    pub reference: String,
    /// Blobs uploaded.
    pub uploaded: usize,
    /// Blobs the registry already had.
    pub skipped: usize,
    /// Blobs mounted from [`PushOptions::mount_from`].
    pub mounted: usize,
    /// Manifests pushed by digest before the tagged one: an index's images (and nested
    /// indexes); 0 for one image.
    pub manifests: usize,
    /// Whether the manifest was built or re-encoded here (so its digest differs from the
    /// source's, or the source had none).
    pub manifest_rewritten: bool,
}

/// Pushes `source` to `dest`, calling `progress` for each step.
///
/// The source's manifest bytes ([`ImageSource::raw_manifest`]) go up unchanged, so the
/// pushed digest is the source's, whenever the blobs pushed are the ones they name; a
/// manifest is written here only for a classic `docker save` archive (whose layers are
/// gzipped first) or a source that has no bytes to give.
pub fn push(
    client: &Client,
    source: &dyn ImageSource,
    dest: &RegistryRef,
    options: &PushOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Pushed> {
    let mut target = Target::new(client, dest, options)?;
    let cache = options
        .blob_cache
        .as_deref()
        .map(BlobCache::read)
        .unwrap_or_default();
    let mut plan = ImagePlan::new(source, &target, &cache, progress)?;
    let learned = send_blobs(&mut target, source, &mut plan, progress);
    if let Some(path) = &options.blob_cache {
        BlobCache::append(path, &learned.1);
    }
    learned.0?;
    let (bytes, media, rewritten) = manifest_to_push(source, &plan)?;
    let (digest, shown) = target.put_tagged(dest, &bytes, &media, progress)?;
    Ok(Pushed {
        manifest_rewritten: rewritten,
        ..target.pushed(digest, media, shown)
    })
}

/// Sends the plan's blobs in order while worker threads gzip the layers that need it, so a
/// layer goes up while the next ones are still compressing. Returns the outcome and the
/// compressions learned (uncompressed digest, gzip digest, gzip size) for the blob cache,
/// which are worth keeping even when the push fails.
fn send_blobs(
    target: &mut Target<'_>,
    source: &dyn ImageSource,
    plan: &mut ImagePlan<'_>,
    progress: &mut dyn FnMut(&Event),
) -> (Result<()>, Vec<(Digest, Digest, u64)>) {
    let compressions = Compressions::new(plan.to_compress.len());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(plan.to_compress.len());
    let mut learned = Vec::new();
    let to_compress = &plan.to_compress;
    let sent = std::thread::scope(|threads| {
        for _ in 0..workers {
            threads.spawn(|| compressions.work(source, to_compress));
        }
        let mut send = || -> Result<()> {
            for blob in &mut plan.blobs {
                // Held until the blob is sent: dropping it removes the file.
                let _temp = if let BlobBody::Pending(k) = blob.body {
                    let (temp, digest, size) = compressions.take(k)?;
                    learned.push((blob.desc.digest.clone(), digest.clone(), size));
                    blob.desc = plan::gzip_descriptor(digest, size);
                    blob.body = BlobBody::File(temp.path().to_path_buf());
                    Some(temp)
                } else {
                    None
                };
                target.send_blob(blob, source.origin(), progress)?;
            }
            Ok(())
        };
        let result = send();
        compressions.stop();
        result
    });
    (sent, learned)
}

/// The manifest to put under the tag: the source's exact bytes when the blobs sent are the
/// ones they name, else one written here. Returns the bytes, the media type and whether
/// they were written here.
fn manifest_to_push(
    source: &dyn ImageSource,
    plan: &ImagePlan<'_>,
) -> Result<(Vec<u8>, String, bool)> {
    let manifest = source.manifest();
    let layers: Vec<Descriptor> = plan.blobs[1..].iter().map(|b| b.desc.clone()).collect();
    let media = manifest
        .media_type
        .clone()
        .unwrap_or_else(|| media_type::OCI_MANIFEST.to_string());
    match source.raw_manifest() {
        Some(raw) if layers == manifest.layers => {
            if let Some(d) = source.manifest_digest() {
                let actual = Digest::of(d.algorithm(), raw);
                if actual != *d {
                    return Err(Error::Invalid {
                        reason: format!(
                            "the manifest bytes of {} hash to {actual}, not to its digest {d}",
                            source.origin()
                        ),
                    });
                }
            }
            Ok((raw.to_vec(), media, false))
        }
        _ => {
            let mut m: ImageManifest = manifest.clone();
            m.layers = layers;
            if plan.synthesised {
                m.media_type = Some(media_type::DOCKER_MANIFEST.to_string());
                m.config.media_type = media_type::DOCKER_CONFIG.to_string();
            }
            let media = m
                .media_type
                .clone()
                .unwrap_or_else(|| media_type::OCI_MANIFEST.to_string());
            let bytes = serde_json::to_vec(&m).map_err(|e| Error::Invalid {
                reason: format!("cannot encode the manifest: {e}"),
            })?;
            Ok((bytes, media, true))
        }
    }
}
