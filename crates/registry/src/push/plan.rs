//! What one image's push sends: its blobs in order (config first), each with a way to read
//! it again, and which layers must be gzipped first (a classic `docker save` archive).

use dockerflow_oci::manifest::media_type;
use dockerflow_oci::{BlobRole, Descriptor, ImageSource, IndexSource};

use super::compress::BlobCache;
use super::target::Target;
use super::Event;
use crate::error::Result;

/// A blob to push and how to read it again (a retry re-reads from the start).
pub(super) enum BlobBody<'a> {
    Bytes(&'a [u8]),
    /// Layer `n` of an image.
    Layer(&'a dyn ImageSource, usize),
    /// A blob of an index's images, opened by its descriptor.
    Stored(&'a dyn IndexSource),
    File(std::path::PathBuf),
    /// Already in the destination repository (checked): never read.
    Present,
    /// Being gzipped: the `k`th compression asked for.
    Pending(usize),
}

pub(super) struct Blob<'a> {
    pub(super) what: String,
    pub(super) role: BlobRole,
    pub(super) desc: Descriptor,
    pub(super) body: BlobBody<'a>,
}

pub(super) fn gzip_descriptor(digest: dockerflow_oci::Digest, size: u64) -> Descriptor {
    Descriptor::new(media_type::DOCKER_LAYER_GZIP, digest, size)
}

/// Whether layer `desc` is stored uncompressed (and must be gzipped to build a manifest).
fn is_uncompressed(desc: &Descriptor) -> bool {
    desc.media_type == media_type::DOCKER_LAYER_TAR || desc.media_type == media_type::OCI_LAYER_TAR
}

/// One image's blobs, in the order they go up.
pub(super) struct ImagePlan<'a> {
    /// The config, then the layers.
    pub(super) blobs: Vec<Blob<'a>>,
    /// The layers to gzip, in the order [`BlobBody::Pending`] numbers them.
    pub(super) to_compress: Vec<usize>,
    /// Whether the source has no manifest of its own (one is written here).
    pub(super) synthesised: bool,
}

impl<'a> ImagePlan<'a> {
    /// Plans the push of `source`. A layer compressed by an earlier push (the cache says to
    /// what) that the registry has needs no compressing now.
    pub(super) fn new(
        source: &'a dyn ImageSource,
        target: &Target<'_>,
        cache: &BlobCache,
        progress: &mut dyn FnMut(&Event),
    ) -> Result<ImagePlan<'a>> {
        let manifest = source.manifest();
        let synthesised = source.manifest_digest().is_none();
        let mut known = std::collections::HashMap::new();
        for (i, l) in manifest.layers.iter().enumerate() {
            if !(synthesised && is_uncompressed(l)) {
                continue;
            }
            if let Some((digest, size)) = cache.get(&l.digest) {
                if target.blob_exists(digest, &format!("layer {i}"), progress)? {
                    known.insert(i, (digest.clone(), *size));
                }
            }
        }
        let to_compress: Vec<usize> = (0..manifest.layers.len())
            .filter(|i| {
                synthesised && is_uncompressed(&manifest.layers[*i]) && !known.contains_key(i)
            })
            .collect();
        for i in &to_compress {
            progress(&Event::Compressing {
                what: format!("layer {i}"),
            });
        }
        let mut blobs = vec![Blob {
            what: "config".to_string(),
            role: BlobRole::Config,
            desc: manifest.config.clone(),
            body: BlobBody::Bytes(source.raw_config()),
        }];
        for (i, l) in manifest.layers.iter().enumerate() {
            let (desc, body) = if let Some((digest, size)) = known.get(&i) {
                (gzip_descriptor(digest.clone(), *size), BlobBody::Present)
            } else if let Some(k) = to_compress.iter().position(|c| *c == i) {
                // The descriptor is known once compressed.
                (l.clone(), BlobBody::Pending(k))
            } else {
                (l.clone(), BlobBody::Layer(source, i))
            };
            blobs.push(Blob {
                what: format!("layer {i}"),
                role: BlobRole::Layer(i),
                desc,
                body,
            });
        }
        Ok(ImagePlan {
            blobs,
            to_compress,
            synthesised,
        })
    }
}
