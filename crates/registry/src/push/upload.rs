//! One blob's upload: an [`UploadSession`] (`POST`, then `PATCH` with `Content-Range` per
//! chunk, then `PUT ?digest=`), resumed inside a chunk after a dropped connection, and
//! started again from the beginning when the registry forgets the session.

use std::fs::File;
use std::io::{BufReader, Read};

use dockerflow_oci::digest::Hasher;
use dockerflow_oci::{Algorithm, ErrorKind};

use super::plan::{Blob, BlobBody};
use super::target::{check_digest_header, Target};
use super::Event;
use crate::client::{header, query_escape, status_error, Client, Payload};
use crate::error::{Error, Result};

/// Uploads one blob; a transient failure restarts it from the beginning (a new upload
/// session, the source read again), up to the client's attempt count.
pub(super) fn upload_blob(
    target: &Target<'_>,
    origin: &str,
    blob: &Blob<'_>,
    progress: &mut dyn FnMut(&Event),
) -> Result<()> {
    let client = target.client;
    let mut attempt = 0;
    loop {
        progress(&Event::BlobStart {
            what: blob.what.clone(),
            size: blob.desc.size,
        });
        match upload_once(target, origin, blob, progress) {
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
                progress(&Event::retry(blob.what.as_str(), attempt + 2, &e));
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

/// One attempt: the source is opened first (a blob it cannot give opens no session), then
/// sent chunk by chunk, then committed.
fn upload_once(
    target: &Target<'_>,
    origin: &str,
    blob: &Blob<'_>,
    progress: &mut dyn FnMut(&Event),
) -> Result<()> {
    let mut reader = open_body(blob)?;
    let mut session = UploadSession::start(target, blob.desc.digest.algorithm())?;
    let chunk = target
        .options
        .chunk_size
        .clamp(1 << 10, 1 << 30)
        .min(blob.desc.size.max(1) as usize);
    let mut buf = vec![0u8; chunk];
    loop {
        let sent = fill(&mut reader, &mut buf, blob, origin).and_then(|n| {
            if n > 0 {
                session.patch(&buf[..n], &blob.what, progress)?;
            }
            Ok(n)
        });
        let n = match sent {
            Ok(n) => n,
            Err(e) => {
                if !e.is_transient() {
                    session.abort();
                }
                return Err(e);
            }
        };
        if n == 0 {
            break;
        }
        progress(&Event::BlobProgress {
            what: blob.what.clone(),
            sent: session.offset,
            size: blob.desc.size,
        });
        if n < buf.len() {
            break;
        }
    }
    session.finish(blob, origin)
}

/// A reader of the blob's bytes from the start.
fn open_body<'a>(blob: &'a Blob<'_>) -> Result<Box<dyn Read + 'a>> {
    Ok(match &blob.body {
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
    })
}

/// Reads until `buf` is full or the blob ends; returns the bytes read.
fn fill(reader: &mut dyn Read, buf: &mut [u8], blob: &Blob<'_>, origin: &str) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let r = reader
            .read(&mut buf[n..])
            .map_err(|e| Error::from_read(e, || format!("reading {} of {origin}", blob.what)))?;
        if r == 0 {
            break;
        }
        n += r;
    }
    Ok(n)
}

/// An upload session the registry opened: where to send next, how many bytes it has
/// accepted, and the digest of those bytes.
struct UploadSession<'t> {
    target: &'t Target<'t>,
    location: String,
    offset: u64,
    hasher: Hasher,
}

impl<'t> UploadSession<'t> {
    /// Opens a session (`POST .../blobs/uploads/`).
    fn start(target: &'t Target<'t>, algorithm: Algorithm) -> Result<UploadSession<'t>> {
        let client = target.client;
        let url = client.url(&format!("{}/blobs/uploads/", target.repo));
        let resp = client.send("POST", &url, &[], Payload::None, &target.scope)?;
        if resp.status().as_u16() != 202 {
            return Err(status_error(
                "POST",
                &url,
                resp,
                "202 Accepted with a Location",
            ));
        }
        Ok(UploadSession {
            target,
            location: upload_location(client, &resp, &format!("POST {url}"))?,
            offset: 0,
            hasher: Hasher::new(algorithm),
        })
    }

    /// Sends the next chunk. The chunk is in memory: after a dropped connection or a 5xx,
    /// the upload resumes where the registry says it stands, when that is inside the chunk.
    fn patch(&mut self, chunk: &[u8], what: &str, progress: &mut dyn FnMut(&Event)) -> Result<()> {
        self.hasher.update(chunk);
        let n = chunk.len();
        let mut from = 0usize;
        let mut resumes = 0;
        loop {
            match self.send_chunk(&chunk[from..], self.offset + from as u64) {
                Ok(next) => {
                    self.location = next;
                    break;
                }
                Err(e) if e.is_transient() => {
                    let Some((stands, next)) = self.resume(&mut resumes) else {
                        return Err(e);
                    };
                    if stands < self.offset || stands > self.offset + n as u64 {
                        return Err(e);
                    }
                    let step = format!("{what} (resuming at byte {stands})");
                    progress(&Event::retry(step, resumes + 1, &e));
                    from = (stands - self.offset) as usize;
                    self.location = next;
                    if from == n {
                        break;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        self.offset += n as u64;
        Ok(())
    }

    /// `PATCH`es `bytes`, which start at byte `start` of the blob; returns the next location.
    fn send_chunk(&self, bytes: &[u8], start: u64) -> Result<String> {
        let (client, location) = (self.target.client, &self.location);
        let end = start + bytes.len() as u64 - 1;
        let resp = client.send(
            "PATCH",
            location,
            &[("Content-Range", format!("{start}-{end}"))],
            Payload::Bytes(bytes, "application/octet-stream"),
            &self.target.scope,
        )?;
        if resp.status().as_u16() != 202 {
            return Err(status_error("PATCH", location, resp, "202 Accepted"));
        }
        upload_location(client, &resp, &format!("PATCH {location}"))
    }

    /// Asks where the session stands, pausing between attempts while the registry is
    /// unreachable too; `None` when it cannot tell.
    fn resume(&self, resumes: &mut u32) -> Option<(u64, String)> {
        let client = self.target.client;
        while *resumes + 1 < client.max_attempts {
            std::thread::sleep(client.delay(*resumes));
            *resumes += 1;
            match upload_status(client, &self.location, &self.target.scope) {
                Ok(s) => return s,
                Err(e) if e.is_transient() => {}
                Err(_) => return None,
            }
        }
        None
    }

    /// Best effort: tells the registry to drop the session.
    fn abort(&self) {
        delete_session(self.target, &self.location);
    }

    /// Commits the session (`PUT ?digest=`) once the bytes sent are the blob's.
    fn finish(self, blob: &Blob<'_>, origin: &str) -> Result<()> {
        let UploadSession {
            target,
            location,
            offset,
            hasher,
        } = self;
        let sent = hasher.finish();
        if sent != blob.desc.digest || offset != blob.desc.size {
            delete_session(target, &location);
            return Err(Error::Image(dockerflow_oci::Error::new(
                ErrorKind::DigestMismatch {
                    role: blob.role.clone(),
                    expected: blob.desc.digest.clone(),
                    actual: sent,
                    path: format!("{} of {origin} ({offset} bytes)", blob.what),
                },
            )));
        }
        let sep = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{sep}digest={}", query_escape(&sent.to_string()));
        let resp = target.client.send(
            "PUT",
            &put_url,
            &[],
            Payload::Bytes(&[], "application/octet-stream"),
            &target.scope,
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
}

/// Best effort: tells the registry to drop the session at `location`.
fn delete_session(target: &Target<'_>, location: &str) {
    let _ = target
        .client
        .send("DELETE", location, &[], Payload::None, &target.scope);
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

/// The `Location` of an upload session, resolved against the registry.
pub(super) fn upload_location(
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
