//! Pushing an image from any [`ImageSource`], or a whole index from any [`IndexSource`], to
//! a registry: blobs first (skipped when the registry has them, else uploaded in chunks:
//! `POST`, `PATCH` with `Content-Range`, `PUT ?digest=`), the manifest last (an index's
//! images by digest, then the index), so a failed push never leaves a tag pointing at a
//! half-uploaded image. A manifest the source holds goes up as its exact bytes.
//!
//! A classic `docker save` archive holds no manifest and uncompressed layers: each layer is
//! gzipped deterministically (no name, no time, one compression level) into a temporary
//! file while its digest is computed, and a Docker schema 2 manifest is built from them.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use dockerflow_oci::digest::Hasher;
use dockerflow_oci::manifest::{media_kind, media_type, MediaKind};
use dockerflow_oci::{
    Algorithm, Descriptor, Digest, ImageIndex, ImageManifest, ImageSource, IndexSource, RegistryRef,
};
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

use crate::client::{header, status_error, Client, Payload};
use crate::error::{Error, Result};

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

/// A temporary file removed on drop.
#[derive(Debug)]
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A gzipped layer: its temporary file, digest and size.
type Compressed = (TempFile, Digest, u64);

/// A blob to push and how to read it again (a retry re-reads from the start).
enum BlobBody<'a> {
    Bytes(&'a [u8]),
    /// Layer `n` of an image.
    Layer(&'a dyn ImageSource, usize),
    /// A blob of an index's images, opened by its descriptor.
    Stored(&'a dyn IndexSource),
    File(PathBuf),
    /// Already in the destination repository (checked): never read.
    Present,
    /// Being gzipped: the `k`th compression asked for.
    Pending(usize),
}

struct Blob<'a> {
    what: String,
    role: dockerflow_oci::BlobRole,
    desc: Descriptor,
    body: BlobBody<'a>,
}

struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn gzip_descriptor(digest: Digest, size: u64) -> Descriptor {
    Descriptor {
        media_type: media_type::DOCKER_LAYER_GZIP.to_string(),
        digest,
        size,
        urls: None,
        annotations: Default::default(),
        platform: None,
        artifact_type: None,
    }
}

/// Uncompressed layer digest to the digest and size of its gzip, as compressed here before.
#[derive(Debug, Default)]
struct BlobCache(std::collections::HashMap<Digest, (Digest, u64)>);

impl BlobCache {
    /// Reads the file (missing, unreadable or over 8 MiB: empty); bad lines are skipped.
    fn read(path: &std::path::Path) -> BlobCache {
        let mut map = std::collections::HashMap::new();
        let text = match std::fs::metadata(path) {
            Ok(m) if m.len() <= 8 << 20 => std::fs::read_to_string(path).unwrap_or_default(),
            _ => String::new(),
        };
        for line in text.lines() {
            let mut parts = line.split(' ');
            if let (Some(a), Some(b), Some(n), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                if let (Ok(a), Ok(b), Ok(n)) = (Digest::parse(a), Digest::parse(b), n.parse()) {
                    map.insert(a, (b, n));
                }
            }
        }
        BlobCache(map)
    }

    fn get(&self, uncompressed: &Digest) -> Option<&(Digest, u64)> {
        self.0.get(uncompressed)
    }

    /// Appends entries, one write per line; a failure only costs a later compression.
    fn append(path: &std::path::Path, entries: &[(Digest, Digest, u64)]) {
        if entries.is_empty() {
            return;
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            for (a, b, n) in entries {
                let _ = f.write_all(format!("{a} {b} {n}\n").as_bytes());
            }
        }
    }
}

/// Whether layer `desc` is stored uncompressed (and must be gzipped to build a manifest).
fn is_uncompressed(desc: &Descriptor) -> bool {
    desc.media_type == media_type::DOCKER_LAYER_TAR || desc.media_type == media_type::OCI_LAYER_TAR
}

/// Gzips layer `index` of `source` into a temporary file, deterministically.
fn compress_layer(source: &dyn ImageSource, index: usize) -> Result<Compressed> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "dockerflow-push-{}-{}.gz",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let io = |what: String| move |e: std::io::Error| Error::Io { what, source: e };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io(format!("creating {}", path.display())))?;
    let temp = TempFile(path.clone());
    let sink = HashingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Hasher::new(Algorithm::Sha256),
        written: 0,
    };
    // Level 6 with no name and mtime 0: the same layer always gives the same bytes.
    let mut gz: GzEncoder<_> = GzBuilder::new().mtime(0).write(sink, Compression::new(6));
    let mut layer = source.open_layer(index)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = layer.read(&mut buf).map_err(|e| {
            Error::from_read(e, || {
                format!("reading layer {index} of {}", source.origin())
            })
        })?;
        if n == 0 {
            break;
        }
        gz.write_all(&buf[..n])
            .map_err(io(format!("writing {}", path.display())))?;
    }
    let mut sink = gz
        .finish()
        .map_err(io(format!("writing {}", path.display())))?;
    sink.flush()
        .map_err(io(format!("writing {}", path.display())))?;
    Ok((temp, sink.hasher.finish(), sink.written))
}

/// Layers being gzipped on worker threads, collected in order by the uploading thread, so
/// a layer goes up while the next ones are still compressing.
struct Compressions {
    slots: std::sync::Mutex<Vec<Option<Result<Compressed>>>>,
    ready: std::sync::Condvar,
    next: std::sync::atomic::AtomicUsize,
    stop: std::sync::atomic::AtomicBool,
}

impl Compressions {
    fn new(count: usize) -> Compressions {
        Compressions {
            slots: std::sync::Mutex::new((0..count).map(|_| None).collect()),
            ready: std::sync::Condvar::new(),
            next: std::sync::atomic::AtomicUsize::new(0),
            stop: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A worker: compresses the next layer not taken, until none is left or `stop`.
    fn work(&self, source: &dyn ImageSource, indexes: &[usize]) {
        use std::sync::atomic::Ordering::Relaxed;
        while !self.stop.load(Relaxed) {
            let k = self.next.fetch_add(1, Relaxed);
            let Some(i) = indexes.get(k) else { break };
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                compress_layer(source, *i)
            }))
            .unwrap_or_else(|_| {
                Err(Error::Invalid {
                    reason: format!("compressing layer {i} panicked"),
                })
            });
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots[k] = Some(r);
            self.ready.notify_all();
        }
    }

    /// Waits for the `k`th layer asked for.
    fn take(&self, k: usize) -> Result<Compressed> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(r) = slots.get_mut(k).and_then(Option::take) {
                return r;
            }
            slots = self.ready.wait(slots).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Where a push goes, and what it has done so far.
struct Target<'a> {
    client: &'a Client,
    repo: &'a str,
    /// The token scope: push to the repository, and pull from `mount_from`.
    scope: String,
    options: &'a PushOptions,
    uploaded: usize,
    skipped: usize,
    mounted: usize,
}

impl<'a> Target<'a> {
    fn new(client: &'a Client, dest: &'a RegistryRef, options: &'a PushOptions) -> Result<Self> {
        if client.registry() != dest.registry {
            return Err(Error::Invalid {
                reason: format!(
                    "the client is for {}, the destination is {}",
                    client.registry(),
                    dest.registry
                ),
            });
        }
        let repo = &dest.repository;
        let scope = match &options.mount_from {
            Some(from) if from != repo => {
                format!("repository:{repo}:pull,push repository:{from}:pull")
            }
            _ => format!("repository:{repo}:pull,push"),
        };
        Ok(Target {
            client,
            repo,
            scope,
            options,
            uploaded: 0,
            skipped: 0,
            mounted: 0,
        })
    }

    /// Makes sure the registry has `blob`: skipped when it has it, else mounted from
    /// [`PushOptions::mount_from`], else uploaded from `origin`.
    fn send_blob(
        &mut self,
        blob: &Blob<'_>,
        origin: &str,
        progress: &mut dyn FnMut(&Event),
    ) -> Result<()> {
        if matches!(blob.body, BlobBody::Present)
            || blob_exists(
                self.client,
                self.repo,
                &blob.desc.digest,
                &self.scope,
                progress,
                &blob.what,
            )?
        {
            progress(&Event::BlobExists {
                what: blob.what.clone(),
                digest: blob.desc.digest.clone(),
                size: blob.desc.size,
            });
            self.skipped += 1;
            return Ok(());
        }
        if let Some(from) = self.options.mount_from.as_ref().filter(|f| *f != self.repo) {
            if mount(self.client, self.repo, from, &blob.desc.digest, &self.scope)? {
                progress(&Event::BlobMounted {
                    what: blob.what.clone(),
                    digest: blob.desc.digest.clone(),
                    from: from.clone(),
                });
                self.mounted += 1;
                return Ok(());
            }
        }
        upload_blob(
            self.client,
            origin,
            self.repo,
            blob,
            &self.scope,
            self.options,
            progress,
        )?;
        self.uploaded += 1;
        Ok(())
    }

    /// PUTs a manifest (or index) under `reference` (a tag or its digest); returns its digest.
    fn put_manifest(
        &self,
        reference: &str,
        bytes: &[u8],
        media: &str,
        progress: &mut dyn FnMut(&Event),
    ) -> Result<Digest> {
        let digest = Digest::of(Algorithm::Sha256, bytes);
        let url = self
            .client
            .url(&format!("{}/manifests/{reference}", self.repo));
        let what = "manifest".to_string();
        let resp = self.client.send_retry(
            "PUT",
            &url,
            &[],
            Payload::Bytes(bytes, media),
            &self.scope,
            &[200, 201],
            "201 Created for the manifest",
            &mut |e, attempt| {
                progress(&Event::Retry {
                    what: what.clone(),
                    attempt: attempt + 1,
                    error: e.to_string(),
                })
            },
        )?;
        check_digest_header(&resp, &digest, &format!("PUT {url}"))?;
        Ok(digest)
    }

    /// PUTs the manifest that names the whole push under the destination's tag (or digest).
    fn put_tagged(
        &self,
        dest: &RegistryRef,
        bytes: &[u8],
        media: &str,
        progress: &mut dyn FnMut(&Event),
    ) -> Result<(Digest, String)> {
        let digest = Digest::of(Algorithm::Sha256, bytes);
        if let Some(d) = &dest.digest {
            if *d != digest {
                return Err(Error::Invalid {
                    reason: format!(
                        "the destination names digest {d}, but the manifest to push hashes to {digest}"
                    ),
                });
            }
        }
        let reference = dest.tag.clone().unwrap_or_else(|| digest.to_string());
        self.put_manifest(&reference, bytes, media, progress)?;
        let shown = match &dest.tag {
            Some(t) => format!("{}/{}:{t}", dest.registry, self.repo),
            None => format!("{}/{}@{digest}", dest.registry, self.repo),
        };
        progress(&Event::ManifestPushed {
            digest: digest.clone(),
            reference: shown.clone(),
        });
        Ok((digest, shown))
    }
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
    let repo = &dest.repository;
    let manifest = source.manifest();
    let synthesised = source.manifest_digest().is_none();
    let mut blobs = vec![Blob {
        what: "config".to_string(),
        role: dockerflow_oci::BlobRole::Config,
        desc: manifest.config.clone(),
        body: BlobBody::Bytes(source.raw_config()),
    }];
    // A layer compressed by an earlier push (the cache says to what) that the registry has
    // needs no compressing now.
    let cache = options
        .blob_cache
        .as_deref()
        .map(BlobCache::read)
        .unwrap_or_default();
    let mut known = std::collections::HashMap::new();
    for (i, l) in manifest.layers.iter().enumerate() {
        if !(synthesised && is_uncompressed(l)) {
            continue;
        }
        if let Some((digest, size)) = cache.get(&l.digest) {
            if blob_exists(
                client,
                repo,
                digest,
                &target.scope,
                progress,
                &format!("layer {i}"),
            )? {
                known.insert(i, (digest.clone(), *size));
            }
        }
    }
    let to_compress: Vec<usize> = (0..manifest.layers.len())
        .filter(|i| synthesised && is_uncompressed(&manifest.layers[*i]) && !known.contains_key(i))
        .collect();
    for i in &to_compress {
        progress(&Event::Compressing {
            what: format!("layer {i}"),
        });
    }
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
            role: dockerflow_oci::BlobRole::Layer(i),
            desc,
            body,
        });
    }
    let compressions = Compressions::new(to_compress.len());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(to_compress.len());
    let mut learned = Vec::new();
    let sent = std::thread::scope(|threads| {
        for _ in 0..workers {
            threads.spawn(|| compressions.work(source, &to_compress));
        }
        let result = (|| -> Result<()> {
            for blob in &mut blobs {
                let _temp = if let BlobBody::Pending(k) = blob.body {
                    let (temp, digest, size) = compressions.take(k)?;
                    learned.push((blob.desc.digest.clone(), digest.clone(), size));
                    blob.desc = gzip_descriptor(digest, size);
                    blob.body = BlobBody::File(temp.0.clone());
                    Some(temp)
                } else {
                    None
                };
                target.send_blob(blob, source.origin(), progress)?;
            }
            Ok(())
        })();
        compressions
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        result
    });
    if let Some(path) = &options.blob_cache {
        BlobCache::append(path, &learned);
    }
    sent?;
    let layers: Vec<Descriptor> = blobs[1..].iter().map(|b| b.desc.clone()).collect();
    let unchanged = layers == manifest.layers;
    let media = manifest
        .media_type
        .clone()
        .unwrap_or_else(|| media_type::OCI_MANIFEST.to_string());
    let (manifest_bytes, media, rewritten) = match source.raw_manifest() {
        Some(raw) if unchanged => {
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
            (raw.to_vec(), media, false)
        }
        _ => {
            let mut m: ImageManifest = manifest.clone();
            m.layers = layers;
            if synthesised {
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
            (bytes, media, true)
        }
    };
    let (digest, shown) = target.put_tagged(dest, &manifest_bytes, &media, progress)?;
    Ok(Pushed {
        digest,
        media_type: media,
        reference: shown,
        uploaded: target.uploaded,
        skipped: target.skipped,
        mounted: target.mounted,
        manifests: 0,
        manifest_rewritten: rewritten,
    })
}

/// One document of an index to push by digest before the index: an image manifest (with
/// the blobs it names) or a nested index.
struct Entry {
    /// `linux/arm64`, or the digest of an entry without a platform.
    label: String,
    desc: Descriptor,
    bytes: Vec<u8>,
    /// The config and layers of an image manifest; empty for a nested index.
    blobs: Vec<(String, dockerflow_oci::BlobRole, Descriptor)>,
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
    seen: &mut std::collections::HashSet<Digest>,
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
                let bytes = source.read_manifest(d, dockerflow_oci::BlobRole::Manifest)?;
                let m: ImageManifest = serde_json::from_slice(&bytes)
                    .map_err(parse_error(format!("manifest {}", d.digest)))?;
                let mut blobs = vec![(
                    format!("{label} config"),
                    dockerflow_oci::BlobRole::Config,
                    m.config,
                )];
                for (i, l) in m.layers.into_iter().enumerate() {
                    blobs.push((
                        format!("{label} layer {i}"),
                        dockerflow_oci::BlobRole::Layer(i),
                        l,
                    ));
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
                let bytes = source.read_manifest(d, dockerflow_oci::BlobRole::Index)?;
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
                        role: dockerflow_oci::BlobRole::Manifest,
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
    plan_index(
        source,
        source.index(),
        0,
        &mut std::collections::HashSet::new(),
        &mut entries,
    )?;
    let mut sent = std::collections::HashSet::new();
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
        digest,
        media_type: media,
        reference: shown,
        uploaded: target.uploaded,
        skipped: target.skipped,
        mounted: target.mounted,
        manifests: entries.len(),
        manifest_rewritten: false,
    })
}

fn check_digest_header(
    resp: &ureq::http::Response<ureq::Body>,
    digest: &Digest,
    request: &str,
) -> Result<()> {
    if let Some(claimed) = header(resp, "docker-content-digest") {
        if claimed != digest.to_string() {
            return Err(Error::Protocol {
                request: request.to_string(),
                reason: format!("the registry stored {claimed}, but we sent {digest}"),
            });
        }
    }
    Ok(())
}

/// Asks the registry to link `digest` from repository `from`; `false` when it would rather
/// have an upload (the session it opened is cancelled).
fn mount(client: &Client, repo: &str, from: &str, digest: &Digest, scope: &str) -> Result<bool> {
    let url = client.url(&format!(
        "{repo}/blobs/uploads/?mount={}&from={}",
        crate::client::query_escape(&digest.to_string()),
        crate::client::query_escape(from)
    ));
    let resp = client.send("POST", &url, &[], Payload::None, scope)?;
    match resp.status().as_u16() {
        201 => Ok(true),
        202 => {
            if let Ok(location) = upload_location(client, &resp, &format!("POST {url}")) {
                let _ = client.send("DELETE", &location, &[], Payload::None, scope);
            }
            Ok(false)
        }
        _ => Err(status_error(
            "POST",
            &url,
            resp,
            "201 (mounted) or 202 (upload instead)",
        )),
    }
}

fn blob_exists(
    client: &Client,
    repo: &str,
    digest: &Digest,
    scope: &str,
    progress: &mut dyn FnMut(&Event),
    what: &str,
) -> Result<bool> {
    let url = client.url(&format!("{repo}/blobs/{digest}"));
    let resp = client.send_retry(
        "HEAD",
        &url,
        &[],
        Payload::None,
        scope,
        &[200, 404],
        "200 or 404",
        &mut |e, attempt| {
            progress(&Event::Retry {
                what: what.to_string(),
                attempt: attempt + 1,
                error: e.to_string(),
            })
        },
    )?;
    Ok(resp.status().as_u16() == 200)
}

/// Uploads one blob; a transient failure restarts it from the beginning (a new upload
/// session, the source read again), up to the client's attempt count.
fn upload_blob(
    client: &Client,
    origin: &str,
    repo: &str,
    blob: &Blob<'_>,
    scope: &str,
    options: &PushOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<()> {
    let mut attempt = 0;
    loop {
        progress(&Event::BlobStart {
            what: blob.what.clone(),
            size: blob.desc.size,
        });
        match upload_once(client, origin, repo, blob, scope, options, progress) {
            Ok(()) => {
                progress(&Event::BlobDone {
                    what: blob.what.clone(),
                    digest: blob.desc.digest.clone(),
                    size: blob.desc.size,
                });
                return Ok(());
            }
            Err(e)
                if (e.is_transient() || session_lost(&e)) && attempt + 1 < client.max_attempts =>
            {
                progress(&Event::Retry {
                    what: blob.what.clone(),
                    attempt: attempt + 2,
                    error: e.to_string(),
                });
                std::thread::sleep(client.delay(attempt));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether the registry forgot an upload session (it restarted with a new secret, or
/// expired the session): the blob can start again in a new one.
fn session_lost(e: &Error) -> bool {
    match e {
        Error::Status {
            request, status, ..
        } => {
            (request.starts_with("PATCH ") || request.starts_with("PUT "))
                && matches!(status, 400 | 404 | 416)
        }
        _ => false,
    }
}

fn upload_once(
    client: &Client,
    origin: &str,
    repo: &str,
    blob: &Blob<'_>,
    scope: &str,
    options: &PushOptions,
    progress: &mut dyn FnMut(&Event),
) -> Result<()> {
    // The source first: a blob it cannot give opens no upload session.
    let mut reader: Box<dyn Read + '_> = match &blob.body {
        BlobBody::Bytes(b) => Box::new(*b),
        BlobBody::Layer(source, i) => source.open_layer(*i)?,
        BlobBody::Stored(source) => source.open_blob(&blob.desc, blob.role.clone())?,
        BlobBody::File(p) => Box::new(BufReader::new(File::open(p).map_err(|e| Error::Io {
            what: format!("opening {}", p.display()),
            source: e,
        })?)),
        BlobBody::Present | BlobBody::Pending(_) => {
            return Err(Error::Invalid {
                reason: format!(
                    "{} was in the registry a moment ago and is gone; push again",
                    blob.what
                ),
            })
        }
    };
    let start_url = client.url(&format!("{repo}/blobs/uploads/"));
    let resp = client.send("POST", &start_url, &[], Payload::None, scope)?;
    if resp.status().as_u16() != 202 {
        return Err(status_error(
            "POST",
            &start_url,
            resp,
            "202 Accepted with a Location",
        ));
    }
    let mut location = upload_location(client, &resp, &format!("POST {start_url}"))?;
    let mut hasher = Hasher::new(blob.desc.digest.algorithm());
    let mut buf = vec![
        0u8;
        options
            .chunk_size
            .clamp(1 << 10, 1 << 30)
            .min(blob.desc.size.max(1) as usize)
    ];
    let mut offset: u64 = 0;
    let result = (|| -> Result<()> {
        loop {
            let mut n = 0;
            while n < buf.len() {
                let r = reader.read(&mut buf[n..]).map_err(|e| {
                    Error::from_read(e, || format!("reading {} of {origin}", blob.what))
                })?;
                if r == 0 {
                    break;
                }
                n += r;
            }
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            // The chunk is in memory: after a dropped connection or a 5xx, the upload resumes
            // where the registry says it stands, when that is inside this chunk.
            let mut from = 0usize;
            let mut resumes = 0;
            loop {
                let start = offset + from as u64;
                let end = offset + n as u64 - 1;
                let sent = client
                    .send(
                        "PATCH",
                        &location,
                        &[("Content-Range", format!("{start}-{end}"))],
                        Payload::Bytes(&buf[from..n], "application/octet-stream"),
                        scope,
                    )
                    .and_then(|resp| {
                        if resp.status().as_u16() != 202 {
                            return Err(status_error("PATCH", &location, resp, "202 Accepted"));
                        }
                        upload_location(client, &resp, &format!("PATCH {location}"))
                    });
                match sent {
                    Ok(next) => {
                        location = next;
                        break;
                    }
                    Err(e) if e.is_transient() => {
                        // Ask where the session stands, while the registry is unreachable too.
                        let mut status = None;
                        while resumes + 1 < client.max_attempts {
                            std::thread::sleep(client.delay(resumes));
                            resumes += 1;
                            match upload_status(client, &location, scope) {
                                Ok(s) => {
                                    status = s;
                                    break;
                                }
                                Err(se) if se.is_transient() => {}
                                Err(_) => break,
                            }
                        }
                        let Some((stands, next)) = status else {
                            return Err(e);
                        };
                        if stands < offset || stands > offset + n as u64 {
                            return Err(e);
                        }
                        progress(&Event::Retry {
                            what: format!("{} (resuming at byte {stands})", blob.what),
                            attempt: resumes + 1,
                            error: e.to_string(),
                        });
                        from = (stands - offset) as usize;
                        location = next;
                        if from == n {
                            break;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            offset += n as u64;
            progress(&Event::BlobProgress {
                what: blob.what.clone(),
                sent: offset,
                size: blob.desc.size,
            });
            if n < buf.len() {
                break;
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        if !e.is_transient() {
            // Best effort: tell the registry to drop the session.
            let _ = client.send("DELETE", &location, &[], Payload::None, scope);
        }
        return Err(e);
    }
    let sent = hasher.finish();
    if sent != blob.desc.digest || offset != blob.desc.size {
        let _ = client.send("DELETE", &location, &[], Payload::None, scope);
        return Err(Error::Image(dockerflow_oci::Error::new(
            dockerflow_oci::ErrorKind::DigestMismatch {
                role: blob.role.clone(),
                expected: blob.desc.digest.clone(),
                actual: sent,
                path: format!("{} of {origin} ({offset} bytes)", blob.what),
            },
        )));
    }
    let sep = if location.contains('?') { '&' } else { '?' };
    let put_url = format!(
        "{location}{sep}digest={}",
        crate::client::query_escape(&sent.to_string())
    );
    let resp = client.send(
        "PUT",
        &put_url,
        &[],
        Payload::Bytes(&[], "application/octet-stream"),
        scope,
    )?;
    if !matches!(resp.status().as_u16(), 201 | 204) {
        return Err(status_error(
            "PUT",
            &put_url,
            resp,
            "201 Created for the blob",
        ));
    }
    check_digest_header(&resp, &sent, &format!("PUT {put_url}"))
}

/// Where an upload session stands (`GET` on it: 204 with `Range: 0-LAST`), and its next
/// location; `None` when the registry no longer knows it.
fn upload_status(client: &Client, location: &str, scope: &str) -> Result<Option<(u64, String)>> {
    let resp = client.send("GET", location, &[], Payload::None, scope)?;
    let status = resp.status().as_u16();
    if status >= 500 {
        return Err(status_error(
            "GET",
            location,
            resp,
            "204 with the upload's Range",
        ));
    }
    if status != 204 {
        return Ok(None);
    }
    let Some(last) = header(&resp, "range")
        .and_then(|r| r.strip_prefix("0-").and_then(|l| l.parse::<u64>().ok()))
    else {
        return Ok(None);
    };
    let Ok(next) = upload_location(client, &resp, "GET upload status") else {
        return Ok(None);
    };
    // distribution answers 0-0 for an empty session as for a one-byte one: take the safe
    // reading (nothing stored); a wrong guess is a 416, and the blob starts again.
    Ok(Some((if last == 0 { 0 } else { last + 1 }, next)))
}

fn upload_location(
    client: &Client,
    resp: &ureq::http::Response<ureq::Body>,
    request: &str,
) -> Result<String> {
    header(resp, "location")
        .map(|l| client.resolve(&l))
        .ok_or_else(|| Error::Protocol {
            request: request.to_string(),
            reason: "no Location header for the upload".into(),
        })
}
