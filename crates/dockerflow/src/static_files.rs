//! Static files (CONTRACT 1.10) on top of tower-http's `ServeDir`.
//!
//! `ServeDir` brings `Content-Type`, `Last-Modified` with 304, `Range`, HEAD and precompressed
//! `.br`/`.gz` variants. This service adds what it lacks:
//! - **confinement**: the request path is percent-decoded and any `..`, `.`, backslash or NUL
//!   segment is refused; the file (and any precompressed sibling) is resolved with
//!   `canonicalize` and refused unless it lies inside the canonical root, so a symlink cannot
//!   point out of it;
//! - **no directory listings**: a directory is served only through its `index.html`;
//! - a weak **`ETag`** from size and modification time, with 304 on `If-None-Match`;
//! - **caching**: `Cache-Control: public, max-age=31536000, immutable` for content-hashed
//!   names (`name.HASH.ext` or `name-HASH.ext`, HASH at least 8 hex digits), `no-cache`
//!   (always revalidate) for everything else.

use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::task::{Context, Poll};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use tower_http::services::fs::ServeFileSystemResponseBody;
use tower_http::services::ServeDir;
use tower_service::Service;

use crate::heartbeat::BoxFuture;

/// The body of a static-file response.
pub type StaticBody = Either<Full<Bytes>, ServeFileSystemResponseBody>;

/// Serves the files under one directory, confined to it.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
    serve_dir: ServeDir,
}

impl StaticFiles {
    /// Serves `dir`, which must exist.
    pub fn new(dir: impl AsRef<Path>) -> std::io::Result<StaticFiles> {
        let dir = dir.as_ref();
        let root = std::fs::canonicalize(dir).map_err(|e| {
            std::io::Error::new(e.kind(), format!("static directory {}: {e}", dir.display()))
        })?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("static directory {} is not a directory", dir.display()),
            ));
        }
        let serve_dir = ServeDir::new(&root).precompressed_br().precompressed_gzip();
        Ok(StaticFiles { root, serve_dir })
    }
}

impl<B> Service<Request<B>> for StaticFiles
where
    B: Send + 'static,
{
    type Response = Response<StaticBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.respond(req).await) })
    }
}

impl StaticFiles {
    async fn respond<B: Send + 'static>(mut self, req: Request<B>) -> Response<StaticBody> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut r = plain(StatusCode::METHOD_NOT_ALLOWED);
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        let Some(relative) = confined_relative_path(req.uri().path()) else {
            return plain(StatusCode::NOT_FOUND);
        };
        let Some(file) = self.resolve(&relative).await else {
            return plain(StatusCode::NOT_FOUND);
        };
        let etag = match tokio::fs::metadata(&file).await {
            Ok(meta) => {
                let mtime = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .unwrap_or_default();
                HeaderValue::from_str(&format!("W/\"{:x}-{:x}\"", meta.len(), mtime.as_nanos()))
                    .ok()
            }
            Err(_) => return plain(StatusCode::NOT_FOUND),
        };
        let cache = cache_control(&file);
        if let (Some(etag), Some(inm)) = (&etag, req.headers().get(http::header::IF_NONE_MATCH)) {
            if if_none_match(inm.as_bytes(), etag.as_bytes()) {
                let mut r = plain(StatusCode::NOT_MODIFIED);
                *r.body_mut() = Either::Left(Full::new(Bytes::new()));
                r.headers_mut().remove(CONTENT_TYPE);
                r.headers_mut().insert(http::header::ETAG, etag.clone());
                r.headers_mut().insert(http::header::CACHE_CONTROL, cache);
                return r;
            }
        }
        let Ok(mut response) = self.serve_dir.call(req).await;
        let headers = response.headers_mut();
        if let Some(etag) = etag {
            headers.insert(http::header::ETAG, etag);
        }
        headers.insert(http::header::CACHE_CONTROL, cache);
        headers.append(
            http::header::VARY,
            HeaderValue::from_static("accept-encoding"),
        );
        response.map(Either::Right)
    }

    /// The canonical file to serve for `relative`, or `None` when it does not exist, is a
    /// directory without `index.html`, or lies (or has a precompressed sibling that lies)
    /// outside the root.
    async fn resolve(&self, relative: &Path) -> Option<PathBuf> {
        let mut target = tokio::fs::canonicalize(self.root.join(relative))
            .await
            .ok()?;
        if !target.starts_with(&self.root) {
            return None;
        }
        if target.is_dir() {
            target = tokio::fs::canonicalize(target.join("index.html"))
                .await
                .ok()?;
            if !target.starts_with(&self.root) || !target.is_file() {
                return None;
            }
        }
        for suffix in ["br", "gz"] {
            let mut sibling = self.root.join(relative).into_os_string();
            sibling.push(".");
            sibling.push(suffix);
            if tokio::fs::symlink_metadata(&sibling).await.is_ok() {
                match tokio::fs::canonicalize(&sibling).await {
                    Ok(p) if p.starts_with(&self.root) => {}
                    _ => return None,
                }
            }
        }
        target.is_file().then_some(target)
    }
}

/// Decodes `path` and returns it relative to the root, or `None` when any segment could
/// climb out (`..`), is `.`, or holds a backslash or NUL, encoded or not.
fn confined_relative_path(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path)?;
    let mut out = PathBuf::new();
    for segment in decoded.split('/') {
        if segment.is_empty() {
            continue;
        }
        if segment == "." || segment == ".." || segment.contains('\\') || segment.contains('\0') {
            return None;
        }
        out.push(segment);
    }
    // Belt and braces: nothing but normal components may remain.
    out.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn if_none_match(header: &[u8], etag: &[u8]) -> bool {
    let Ok(header) = std::str::from_utf8(header) else {
        return false;
    };
    let ours = std::str::from_utf8(etag).unwrap_or_default();
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    header
        .split(',')
        .any(|t| t.trim() == "*" || strip(t) == strip(ours))
}

fn cache_control(file: &Path) -> HeaderValue {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if is_content_hashed(name) {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    }
}

/// `app.3f2a9c1b.js`, `app-3f2a9c1b.css`: a run of at least 8 hex digits between the stem and
/// the extension.
pub fn is_content_hashed(name: &str) -> bool {
    let hex = |s: &str| s.len() >= 8 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() >= 3 && parts[1..parts.len() - 1].iter().any(|p| hex(p)) {
        return true;
    }
    let stem = parts.first().copied().unwrap_or_default();
    parts.len() >= 2
        && stem
            .rsplit_once('-')
            .is_some_and(|(head, h)| !head.is_empty() && hex(h))
}

fn plain(status: StatusCode) -> Response<StaticBody> {
    let text = status.canonical_reason().unwrap_or("error");
    let mut r = Response::new(Either::Left(Full::new(Bytes::from(text.to_owned()))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confinement() {
        assert_eq!(
            confined_relative_path("/a/b.txt"),
            Some(PathBuf::from("a/b.txt"))
        );
        assert_eq!(confined_relative_path("/"), Some(PathBuf::new()));
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/%2E%2E/x",
            "/a/..%2fb",
            "/%2e/x",
            "/a\\..\\b",
            "/a%00b",
            "/%zz",
            "/%c3",
        ] {
            assert_eq!(confined_relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn hashed_names() {
        assert!(is_content_hashed("app.3f2a9c1b.js"));
        assert!(is_content_hashed("app-3f2a9c1b.css"));
        assert!(is_content_hashed("app.0123456789abcdef.min.js"));
        assert!(!is_content_hashed("app.js"));
        assert!(!is_content_hashed("jquery-1.12.4.js"));
        assert!(!is_content_hashed("deadbeef00.js"));
        assert!(!is_content_hashed("index.html"));
    }

    #[test]
    fn etags() {
        assert!(if_none_match(b"W/\"a-b\"", b"W/\"a-b\""));
        assert!(if_none_match(b"\"x\", W/\"a-b\"", b"W/\"a-b\""));
        assert!(if_none_match(b"*", b"W/\"a-b\""));
        assert!(!if_none_match(b"\"a-c\"", b"W/\"a-b\""));
    }
}
