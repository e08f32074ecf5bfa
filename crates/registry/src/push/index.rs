//! Pushing a whole index: every manifest it reaches is read and verified first (nested
//! indexes included, each digest once), then the blobs of every image (a shared blob goes
//! up once), each manifest by digest, and the index's exact bytes under the tag last.

use std::collections::HashSet;

use dockerflow_oci::manifest::{media_kind, MediaKind};
use dockerflow_oci::{
    BlobRole, Descriptor, Digest, ImageIndex, ImageManifest, IndexSource, RegistryRef,
};

use super::plan::{Blob, BlobBody};
use super::target::Target;
use super::{Event, PushOptions, Pushed};
use crate::client::Client;
use crate::error::{Error, Result};

/// One document of an index to push by digest before the index: an image manifest (with
/// the blobs it names) or a nested index.
struct Entry {
    /// `linux/arm64`, or the digest of an entry without a platform.
    label: String,
    desc: Descriptor,
    bytes: Vec<u8>,
    /// The config and layers of an image manifest; empty for a nested index.
    blobs: Vec<(String, BlobRole, Descriptor)>,
}

fn entry_label(d: &Descriptor) -> String {
    let short = &d.digest.hex()[..12.min(d.digest.hex().len())];
    match &d.platform {
        Some(p) if d.is_attestation() => format!("{p} attestation {short}"),
        Some(p) => p.to_string(),
        None => format!("{}:{short}", d.digest.algorithm().name()),
    }
}

/// Reads every manifest `index` reaches, children before the index that lists them, each
/// digest once.
fn plan_index(
    source: &dyn IndexSource,
    index: &ImageIndex,
    depth: u64,
    seen: &mut HashSet<Digest>,
    out: &mut Vec<Entry>,
) -> Result<()> {
    let parse_error = |what: String| {
        move |e: serde_json::Error| Error::Invalid {
            reason: format!("invalid JSON in {what} of {}: {e}", source.origin()),
        }
    };
    for d in &index.manifests {
        if !seen.insert(d.digest.clone()) {
            continue;
        }
        let label = entry_label(d);
        match media_kind(&d.media_type) {
            MediaKind::Manifest => {
                let bytes = source.read_manifest(d, BlobRole::Manifest)?;
                let m: ImageManifest = serde_json::from_slice(&bytes)
                    .map_err(parse_error(format!("manifest {}", d.digest)))?;
                let mut blobs = vec![(format!("{label} config"), BlobRole::Config, m.config)];
                for (i, l) in m.layers.into_iter().enumerate() {
                    blobs.push((format!("{label} layer {i}"), BlobRole::Layer(i), l));
                }
                out.push(Entry {
                    label,
                    desc: d.clone(),
                    bytes,
                    blobs,
                });
            }
            MediaKind::Index => {
                let max = dockerflow_oci::Limits::default().max_index_depth;
                if depth + 1 >= max {
                    return Err(Error::Image(dockerflow_oci::Error::new(
                        dockerflow_oci::ErrorKind::LimitExceeded {
                            limit: dockerflow_oci::Limit::IndexDepth,
                            max,
                            layer: None,
                            digest: Some(d.digest.clone()),
                        },
                    )));
                }
                let bytes = source.read_manifest(d, BlobRole::Index)?;
                let nested: ImageIndex = serde_json::from_slice(&bytes)
                    .map_err(parse_error(format!("index {}", d.digest)))?;
                plan_index(source, &nested, depth + 1, seen, out)?;
                out.push(Entry {
                    label,
                    desc: d.clone(),
                    bytes,
                    blobs: vec![],
                });
            }
            _ => {
                return Err(Error::Image(
                    dockerflow_oci::Error::new(dockerflow_oci::ErrorKind::UnsupportedMediaType {
                        role: BlobRole::Manifest,
                        media_type: format!("{} (entry {})", d.media_type, d.digest),
                    })
                    .with_origin(source.origin()),
                ))
            }
        }
    }
    Ok(())
}

/// Pushes the index `source` holds, whole, to `dest`: the blobs of every image it lists
/// (nested indexes included; a blob shared by several images goes up once), then each
/// manifest by digest, then the index's exact bytes under the destination's tag, so the
/// pushed digest is the source index's.
///
/// Every manifest is read and verified before anything is sent: a missing or damaged one
/// fails the push with nothing sent. Whatever fails later, the tag is written last, after
/// everything it names.
pub fn push_index(
    client: &Client,
    source: &dyn IndexSource,
    dest: &RegistryRef,
    options: &PushOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<Pushed> {
    let mut target = Target::new(client, dest, options)?;
    let mut entries = Vec::new();
    plan_index(source, source.index(), 0, &mut HashSet::new(), &mut entries)?;
    let mut sent = HashSet::new();
    for entry in &entries {
        for (what, role, desc) in &entry.blobs {
            if !sent.insert(desc.digest.clone()) {
                continue;
            }
            let blob = Blob {
                what: what.clone(),
                role: role.clone(),
                desc: desc.clone(),
                body: BlobBody::Stored(source),
            };
            target.send_blob(&blob, source.origin(), progress)?;
        }
    }
    for entry in &entries {
        let digest = target.put_manifest(
            &entry.desc.digest.to_string(),
            &entry.bytes,
            &entry.desc.media_type,
            progress,
        )?;
        progress(&Event::EntryPushed {
            what: entry.label.clone(),
            digest,
        });
    }
    let media = source.descriptor().media_type.clone();
    let (digest, shown) = target.put_tagged(dest, source.raw_index(), &media, progress)?;
    Ok(Pushed {
        manifests: entries.len(),
        ..target.pushed(digest, media, shown)
    })
}
