//! Where a push goes: the registry and repository, the token scope, and what the push has
//! done so far. Asks whether a blob is there, mounts one from another repository, hands
//! the rest to an upload, and puts manifests.

use dockerflow_oci::{Algorithm, Digest, RegistryRef};

use super::plan::{Blob, BlobBody};
use super::{on_retry, upload, Event, PushOptions, Pushed};
use crate::client::{header, query_escape, status_error, Client, Payload, Request};
use crate::error::{Error, Result};

/// Where a push goes, and what it has done so far.
pub(super) struct Target<'a> {
    pub(super) client: &'a Client,
    pub(super) repo: &'a str,
    /// The token scope: push to the repository, and pull from `mount_from`.
    pub(super) scope: String,
    pub(super) options: &'a PushOptions,
    pub(super) uploaded: usize,
    pub(super) skipped: usize,
    pub(super) mounted: usize,
}

impl<'a> Target<'a> {
    pub(super) fn new(
        client: &'a Client,
        dest: &'a RegistryRef,
        options: &'a PushOptions,
    ) -> Result<Self> {
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

    /// The result of a push of one image whose tagged manifest is `digest`: the counts so
    /// far, no manifests pushed by digest, the manifest not rewritten.
    pub(super) fn pushed(&self, digest: Digest, media_type: String, reference: String) -> Pushed {
        Pushed {
            digest,
            media_type,
            reference,
            uploaded: self.uploaded,
            skipped: self.skipped,
            mounted: self.mounted,
            manifests: 0,
            manifest_rewritten: false,
        }
    }

    /// Makes sure the registry has `blob`: skipped when it has it, else mounted from
    /// [`PushOptions::mount_from`], else uploaded from `origin`.
    pub(super) fn send_blob(
        &mut self,
        blob: &Blob<'_>,
        origin: &str,
        progress: &mut dyn FnMut(&Event),
    ) -> Result<()> {
        if matches!(blob.body, BlobBody::Present)
            || self.blob_exists(&blob.desc.digest, &blob.what, progress)?
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
            if self.mount(from, &blob.desc.digest)? {
                progress(&Event::BlobMounted {
                    what: blob.what.clone(),
                    digest: blob.desc.digest.clone(),
                    from: from.clone(),
                });
                self.mounted += 1;
                return Ok(());
            }
        }
        upload::upload_blob(self, origin, blob, progress)?;
        self.uploaded += 1;
        Ok(())
    }

    /// Whether the repository has the blob `digest` (`HEAD`), for the step `what`.
    pub(super) fn blob_exists(
        &self,
        digest: &Digest,
        what: &str,
        progress: &mut dyn FnMut(&Event),
    ) -> Result<bool> {
        let url = self.client.url(&format!("{}/blobs/{digest}", self.repo));
        let resp = self.client.send_retry(
            Request {
                method: "HEAD",
                url: &url,
                headers: &[],
                body: Payload::None,
                scope: &self.scope,
                ok: &[200, 404],
                expected: "200 or 404",
            },
            &mut on_retry(progress, what),
        )?;
        Ok(resp.status().as_u16() == 200)
    }

    /// Asks the registry to link `digest` from repository `from`; `false` when it would
    /// rather have an upload (the session it opened is cancelled).
    fn mount(&self, from: &str, digest: &Digest) -> Result<bool> {
        let url = self.client.url(&format!(
            "{}/blobs/uploads/?mount={}&from={}",
            self.repo,
            query_escape(&digest.to_string()),
            query_escape(from)
        ));
        let resp = self
            .client
            .send("POST", &url, &[], Payload::None, &self.scope)?;
        match resp.status().as_u16() {
            201 => Ok(true),
            202 => {
                if let Ok(location) =
                    upload::upload_location(self.client, &resp, &format!("POST {url}"))
                {
                    let _ = self
                        .client
                        .send("DELETE", &location, &[], Payload::None, &self.scope);
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

    /// PUTs a manifest (or index) under `reference` (a tag or its digest); returns its digest.
    pub(super) fn put_manifest(
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
        let resp = self.client.send_retry(
            Request {
                method: "PUT",
                url: &url,
                headers: &[],
                body: Payload::Bytes(bytes, media),
                scope: &self.scope,
                ok: &[200, 201],
                expected: "201 Created for the manifest",
            },
            &mut on_retry(progress, "manifest"),
        )?;
        check_digest_header(&resp, &digest, &format!("PUT {url}"))?;
        Ok(digest)
    }

    /// PUTs the manifest that names the whole push under the destination's tag (or digest).
    pub(super) fn put_tagged(
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

/// Fails when the registry says it stored a digest other than the one sent.
pub(super) fn check_digest_header(
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
