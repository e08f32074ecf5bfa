//! Reading an image from a registry as an [`ImageSource`]: the manifest by tag or digest
//! (an index is resolved to the wanted platform), the config, and each layer streamed and
//! verified as it is read; or an index whole, as an [`IndexSource`], for copying every
//! platform.

use std::io::Read;
use std::sync::Arc;

use dockerflow_oci::manifest::{media_kind, media_type, MediaKind};
use dockerflow_oci::{
    Algorithm, BlobRole, Descriptor, Digest, ErrorKind, ImageConfig, ImageIndex, ImageManifest,
    ImageSource, IndexSource, Limit, OpenOptions, Opened, Platform, RegistryRef, VerifyingReader,
};

use crate::client::{header, read_small, status_error, Client, ClientOptions, Payload, Request};
use crate::error::{Error, Result};

/// The manifest types asked for, best first.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json";

/// An image in a registry, with its manifest and config read and verified.
#[derive(Debug)]
pub struct RegistryImage {
    origin: String,
    client: Arc<Client>,
    repository: String,
    manifest: ImageManifest,
    raw_manifest: Vec<u8>,
    manifest_digest: Digest,
    config: ImageConfig,
    raw_config: Vec<u8>,
}

impl RegistryImage {
    /// Opens `reference` with a new client.
    pub fn open(
        reference: &RegistryRef,
        options: &OpenOptions,
        client_options: &ClientOptions,
    ) -> Result<RegistryImage> {
        let client = Arc::new(Client::new(&reference.registry, client_options)?);
        RegistryImage::open_with(client, reference, options)
    }

    /// Opens `reference` through `client` (which must be for its registry).
    pub fn open_with(
        client: Arc<Client>,
        reference: &RegistryRef,
        options: &OpenOptions,
    ) -> Result<RegistryImage> {
        let root = fetch_root(&client, reference, options)?;
        RegistryImage::resolve(client, reference, root, options)
    }

    /// Follows `root` (fetched for `reference`) through indexes to the platform's manifest,
    /// and reads the config.
    fn resolve(
        client: Arc<Client>,
        reference: &RegistryRef,
        root: Fetched,
        options: &OpenOptions,
    ) -> Result<RegistryImage> {
        let origin = format!("docker://{reference}");
        let repo = reference.repository.clone();
        let scope = format!("repository:{repo}:pull");
        let limits = &options.limits;
        let Fetched {
            mut kind,
            mut bytes,
            mut digest,
            ..
        } = root;
        let mut depth = 0;
        let manifest = loop {
            match kind {
                MediaKind::Manifest => {
                    let m: ImageManifest = parse(&bytes, &format!("manifest {digest}"))?;
                    break m;
                }
                MediaKind::Index => {
                    if depth >= limits.max_index_depth {
                        return Err(Error::Image(dockerflow_oci::Error::new(
                            ErrorKind::LimitExceeded {
                                limit: Limit::IndexDepth,
                                max: limits.max_index_depth,
                                layer: None,
                                digest: Some(digest),
                            },
                        )));
                    }
                    let index: ImageIndex = parse(&bytes, &format!("index {digest}"))?;
                    let chosen = choose_platform(&index.manifests, &options.platform)?.clone();
                    let f = fetch_child(
                        &client,
                        &repo,
                        &chosen,
                        BlobRole::Manifest,
                        &scope,
                        limits.max_json_bytes,
                    )?;
                    (kind, bytes, digest) = (f.kind, f.bytes, f.digest);
                    depth += 1;
                }
                _ => {
                    return Err(Error::Image(dockerflow_oci::Error::new(
                        ErrorKind::UnsupportedMediaType {
                            role: BlobRole::Manifest,
                            media_type: "(not an image manifest or index)".into(),
                        },
                    )))
                }
            }
        };
        if manifest.config.size > limits.max_json_bytes {
            return Err(Error::Image(dockerflow_oci::Error::new(
                ErrorKind::LimitExceeded {
                    limit: Limit::JsonBytes,
                    max: limits.max_json_bytes,
                    layer: None,
                    digest: Some(manifest.config.digest.clone()),
                },
            )));
        }
        let mut raw_config = Vec::new();
        let config_desc = manifest.config.clone();
        open_blob(&client, &repo, &config_desc, BlobRole::Config)?
            .read_to_end(&mut raw_config)
            .map_err(|e| Error::from_read(e, || format!("reading the config of {origin}")))?;
        let config: ImageConfig = parse(&raw_config, &format!("config {}", config_desc.digest))?;
        for (i, l) in manifest.layers.iter().enumerate() {
            if media_kind(&l.media_type) != MediaKind::Layer {
                return Err(Error::Image(dockerflow_oci::Error::new(
                    ErrorKind::UnsupportedMediaType {
                        role: BlobRole::Layer(i),
                        media_type: l.media_type.clone(),
                    },
                )));
            }
        }
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(Error::Invalid {
                reason: format!(
                    "invalid config {} of {origin}: rootfs.diff_ids lists {} layers, the manifest {}",
                    config_desc.digest,
                    config.rootfs.diff_ids.len(),
                    manifest.layers.len()
                ),
            });
        }
        Ok(RegistryImage {
            origin,
            client,
            repository: repo,
            manifest,
            raw_manifest: bytes,
            manifest_digest: digest,
            config,
            raw_config,
        })
    }

    /// The client used (for counting requests, or for a later push to the same registry).
    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The repository, e.g. `library/alpine`.
    pub fn repository(&self) -> &str {
        &self.repository
    }
}

/// Opens what `reference` names without choosing a platform: an index whole (its entries
/// are fetched by digest when read), else the image.
pub fn open_index_or_image(
    reference: &RegistryRef,
    options: &OpenOptions,
    client_options: &ClientOptions,
) -> Result<Opened> {
    let client = Arc::new(Client::new(&reference.registry, client_options)?);
    let root = fetch_root(&client, reference, options)?;
    if root.kind != MediaKind::Index {
        return Ok(Opened::Image(Box::new(RegistryImage::resolve(
            client, reference, root, options,
        )?)));
    }
    let index: ImageIndex = parse(&root.bytes, &format!("index {}", root.digest))?;
    Ok(Opened::Index(Box::new(RegistryIndex {
        origin: format!("docker://{reference}"),
        client,
        repository: reference.repository.clone(),
        descriptor: Descriptor::new(root.media_type, root.digest, root.bytes.len() as u64),
        index,
        raw_index: root.bytes,
        max_json_bytes: options.limits.max_json_bytes,
    })))
}

/// An image index (or Docker manifest list) in a registry, read and verified, for copying
/// whole.
#[derive(Debug)]
pub struct RegistryIndex {
    origin: String,
    client: Arc<Client>,
    repository: String,
    descriptor: Descriptor,
    index: ImageIndex,
    raw_index: Vec<u8>,
    max_json_bytes: u64,
}

impl RegistryIndex {
    /// The repository, e.g. `library/alpine`.
    pub fn repository(&self) -> &str {
        &self.repository
    }
}

impl IndexSource for RegistryIndex {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn index(&self) -> &ImageIndex {
        &self.index
    }

    fn raw_index(&self) -> &[u8] {
        &self.raw_index
    }

    fn read_manifest(&self, desc: &Descriptor, role: BlobRole) -> dockerflow_oci::Result<Vec<u8>> {
        let scope = format!("repository:{}:pull", self.repository);
        fetch_child(
            &self.client,
            &self.repository,
            desc,
            role,
            &scope,
            self.max_json_bytes,
        )
        .map(|f| f.bytes)
        .map_err(|e| e.into_oci().with_origin(&self.origin))
    }

    fn open_blob(
        &self,
        desc: &Descriptor,
        role: BlobRole,
    ) -> dockerflow_oci::Result<Box<dyn Read + '_>> {
        let r = open_blob(&self.client, &self.repository, desc, role)
            .map_err(|e| e.into_oci().with_origin(&self.origin))?;
        Ok(Box::new(r))
    }
}

impl ImageSource for RegistryImage {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn manifest(&self) -> &ImageManifest {
        &self.manifest
    }

    fn manifest_digest(&self) -> Option<&Digest> {
        Some(&self.manifest_digest)
    }

    /// The bytes the registry sent.
    fn raw_manifest(&self) -> Option<&[u8]> {
        Some(&self.raw_manifest)
    }

    fn config(&self) -> &ImageConfig {
        &self.config
    }

    fn raw_config(&self) -> &[u8] {
        &self.raw_config
    }

    fn open_layer(&self, index: usize) -> dockerflow_oci::Result<Box<dyn Read + '_>> {
        let desc = self.manifest.layers.get(index).ok_or_else(|| {
            Error::Invalid {
                reason: format!(
                    "layer {index} is past the {} layers",
                    self.manifest.layers.len()
                ),
            }
            .into_oci()
        })?;
        let r = open_blob(&self.client, &self.repository, desc, BlobRole::Layer(index))
            .map_err(|e| e.into_oci().with_origin(&self.origin))?;
        Ok(Box::new(r))
    }
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Invalid {
        reason: format!("invalid JSON in {what}: {e}"),
    })
}

/// A manifest or index as the registry sent it, verified.
#[derive(Debug)]
struct Fetched {
    kind: MediaKind,
    /// The registry's `Content-Type`, else the document's own `mediaType`, else the OCI type
    /// of its kind.
    media_type: String,
    bytes: Vec<u8>,
    digest: Digest,
}

/// GETs what `reference` names (by digest when it has one, else by tag).
fn fetch_root(client: &Client, reference: &RegistryRef, options: &OpenOptions) -> Result<Fetched> {
    let wanted = match (&reference.digest, &reference.tag) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.clone(),
        (None, None) => "latest".to_string(),
    };
    fetch_manifest(
        client,
        &reference.repository,
        &wanted,
        reference.digest.as_ref(),
        &format!("repository:{}:pull", reference.repository),
        options.limits.max_json_bytes,
    )
}

/// GETs an index entry by digest and checks its size too.
fn fetch_child(
    client: &Client,
    repo: &str,
    desc: &Descriptor,
    role: BlobRole,
    scope: &str,
    max: u64,
) -> Result<Fetched> {
    let f = fetch_manifest(
        client,
        repo,
        &desc.digest.to_string(),
        Some(&desc.digest),
        scope,
        max,
    )?;
    if f.bytes.len() as u64 != desc.size {
        return Err(Error::Image(dockerflow_oci::Error::new(
            ErrorKind::SizeMismatch {
                role,
                digest: desc.digest.clone(),
                expected: desc.size,
                actual: f.bytes.len() as u64,
                path: format!("{}/{repo}/manifests/{}", client.registry(), desc.digest),
            },
        )));
    }
    Ok(f)
}

/// GETs a manifest, checks its digest (against `expected`, and the registry's
/// `Docker-Content-Digest`), and classifies it.
fn fetch_manifest(
    client: &Client,
    repo: &str,
    reference: &str,
    expected: Option<&Digest>,
    scope: &str,
    max: u64,
) -> Result<Fetched> {
    let url = client.url(&format!("{repo}/manifests/{reference}"));
    let accept = [("Accept", MANIFEST_ACCEPT.to_string())];
    let resp = client.send_retry(
        Request {
            method: "GET",
            url: &url,
            headers: &accept,
            body: Payload::None,
            scope,
            ok: &[200],
            expected: "200 with the manifest",
        },
        &mut |e, retry| client.retrying("reading the manifest", retry + 1, e),
    )?;
    let content_type = header(&resp, "content-type").unwrap_or_default();
    let claimed = header(&resp, "docker-content-digest");
    let bytes = read_small(resp, max, &format!("GET {url}"))?;
    let algorithm = expected.map_or(Algorithm::Sha256, Digest::algorithm);
    let actual = Digest::of(algorithm, &bytes);
    let path = format!("{}/{repo}:{reference}", client.registry());
    if let Some(e) = expected {
        if *e != actual {
            return Err(Error::Image(dockerflow_oci::Error::new(
                ErrorKind::DigestMismatch {
                    role: BlobRole::Manifest,
                    expected: e.clone(),
                    actual,
                    path,
                },
            )));
        }
    }
    if let Some(c) = claimed.and_then(|c| Digest::parse(&c).ok()) {
        if c.algorithm() == algorithm && c != actual {
            return Err(Error::Image(dockerflow_oci::Error::new(
                ErrorKind::DigestMismatch {
                    role: BlobRole::Manifest,
                    expected: c,
                    actual,
                    path,
                },
            )));
        }
    }
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let mut kind = media_kind(&ct);
    let mut media = ct.clone();
    if !matches!(kind, MediaKind::Manifest | MediaKind::Index) {
        // Some registries send a generic type: fall back on the document's own mediaType,
        // then on its shape.
        let v: serde_json::Value = parse(&bytes, &format!("manifest {actual}"))?;
        (kind, media) = match v.get("mediaType").and_then(|m| m.as_str()) {
            Some(m) => (media_kind(m), m.to_string()),
            None if v.get("manifests").is_some() => {
                (MediaKind::Index, media_type::OCI_INDEX.to_string())
            }
            None if v.get("config").is_some() => {
                (MediaKind::Manifest, media_type::OCI_MANIFEST.to_string())
            }
            None => (MediaKind::Other, String::new()),
        };
        if kind == MediaKind::Other {
            return Err(Error::Image(dockerflow_oci::Error::new(
                ErrorKind::UnsupportedMediaType {
                    role: BlobRole::Manifest,
                    media_type: if ct.is_empty() {
                        media_type::OCI_MANIFEST.into()
                    } else {
                        ct
                    },
                },
            )));
        }
    }
    Ok(Fetched {
        kind,
        media_type: media,
        bytes,
        digest: actual,
    })
}

/// Chooses an index entry for `platform` exactly as the local transports do.
fn choose_platform<'a>(entries: &'a [Descriptor], platform: &Platform) -> Result<&'a Descriptor> {
    dockerflow_oci::choose_platform(entries, platform).map_err(Error::Image)
}

/// Opens a blob as a verified stream.
fn open_blob(
    client: &Client,
    repository: &str,
    desc: &Descriptor,
    role: BlobRole,
) -> Result<VerifyingReader<Box<dyn Read + Send>>> {
    let url = client.url(&format!("{}/blobs/{}", repository, desc.digest));
    let scope = format!("repository:{}:pull", repository);
    let mut attempt = 0;
    let resp = loop {
        let r = client.get_following(&url, &[], &scope).and_then(|r| {
            if r.status().as_u16() == 200 {
                Ok(r)
            } else {
                Err(status_error("GET", &url, r, "200 with the blob"))
            }
        });
        match r {
            Err(e)
                if e.is_transient() && attempt + 1 < client.max_attempts && !client.gave_up() =>
            {
                client.retrying(&format!("reading blob {}", desc.digest), attempt + 2, &e);
                std::thread::sleep(client.delay(attempt));
                attempt += 1;
            }
            other => break other?,
        }
    };
    let (_, body) = resp.into_parts();
    let reader: Box<dyn Read + Send> = Box::new(body.into_reader());
    Ok(VerifyingReader::new(
        reader,
        desc.digest.clone(),
        desc.size,
        role,
        format!("{}/{}@{}", client.registry(), repository, desc.digest),
    ))
}
