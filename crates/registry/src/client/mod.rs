//! The HTTP side of the distribution API: one [`Client`] per registry, with the scheme
//! chosen per host, authentication from the registry's `WWW-Authenticate` challenge
//! (anonymous, Basic, or Bearer tokens cached per scope: `auth.rs`), and bounded retries with
//! backoff.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ureq::http::{self, Response};
use ureq::Body;

use crate::credentials::{CredentialSources, Credentials};
use crate::error::{Error, Result};
use auth::AuthState;

mod auth;

/// How a [`Client`] connects and retries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Where credentials come from.
    pub credentials: CredentialSources,
    /// Registry hosts (`host[:port]`) spoken to over plain HTTP, like Docker's
    /// `insecure-registries`. Loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) always are.
    pub insecure: Vec<String>,
    /// Attempts per request (or per blob upload) before giving up on transient errors.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, capped at 8 s.
    pub backoff: Duration,
    /// Connection and per-read/write timeout.
    pub timeout: Duration,
    /// Told of every retry of the first contact and of a pull's requests (a push reports its
    /// retries as [`crate::Event::Retry`] instead).
    pub on_retry: Option<RetryHook>,
}

/// A callback told `(what, attempt, error)` before a request is tried again: `what` in words
/// (`reaching the registry`, `reading the manifest`), `attempt` the one about to be made (2 is
/// the first retry).
#[derive(Clone)]
pub struct RetryHook(pub Arc<RetryFn>);

/// The function a [`RetryHook`] calls.
pub type RetryFn = dyn Fn(&str, u32, &Error) + Send + Sync;

impl fmt::Debug for RetryHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetryHook")
    }
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            credentials: CredentialSources::from_env(),
            insecure: insecure_from_env(),
            max_attempts: 6,
            backoff: Duration::from_millis(250),
            timeout: Duration::from_secs(60),
            on_retry: None,
        }
    }
}

/// `DOCKERFLOW_INSECURE_REGISTRIES`, comma-separated hosts reached over plain HTTP.
pub const ENV_INSECURE: &str = "DOCKERFLOW_INSECURE_REGISTRIES";

fn insecure_from_env() -> Vec<String> {
    std::env::var(ENV_INSECURE)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The API host for a registry name: Docker Hub's `docker.io` is served by
/// `registry-1.docker.io`.
pub fn api_host(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" => "registry-1.docker.io",
        r => r,
    }
}

/// Whether `host[:port]` is a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A client for one registry.
pub struct Client {
    registry: String,
    base: String,
    agent: ureq::Agent,
    credentials: Option<Credentials>,
    auth: Mutex<AuthState>,
    pub(crate) max_attempts: u32,
    backoff: Duration,
    requests: AtomicU64,
    /// Whether the registry ever answered: a refused connection after that is a restart, worth
    /// retrying; before it, nothing is there.
    answered: AtomicBool,
    /// Set when the first contact gave up after its own retries: requests waiting on it are
    /// not retried again (that would multiply the tries).
    gave_up: AtomicBool,
    insecure: Vec<String>,
    on_retry: Option<RetryHook>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("registry", &self.registry)
            .field("base", &self.base)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// A request body: nothing, or bytes that can be sent again on a retry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    None,
    Bytes(&'a [u8], &'a str),
}

impl Client {
    /// A client for `registry` (as written in a reference: `docker.io`, `host:port`).
    pub fn new(registry: &str, options: &ClientOptions) -> Result<Client> {
        let host = api_host(registry);
        let plain =
            is_loopback(host) || options.insecure.iter().any(|h| h == host || h == registry);
        let base = format!("{}://{host}", if plain { "http" } else { "https" });
        let credentials = options.credentials.lookup(registry)?;
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("dockerflow/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(options.timeout))
            .timeout_per_read(Some(options.timeout))
            .timeout_per_write(Some(options.timeout))
            // Registries send blobs as they are; never ask for a transfer encoding.
            .accept_encoding("identity");
        if is_loopback(host) {
            config = config.proxy(None);
        }
        Ok(Client {
            registry: registry.to_string(),
            base,
            agent: config.build().new_agent(),
            credentials,
            auth: Mutex::new(AuthState::default()),
            max_attempts: options.max_attempts.max(1),
            backoff: options.backoff,
            requests: AtomicU64::new(0),
            answered: AtomicBool::new(false),
            gave_up: AtomicBool::new(false),
            insecure: options.insecure.clone(),
            on_retry: options.on_retry.clone(),
        })
    }

    /// The registry name this client talks to.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The base URL, e.g. `http://127.0.0.1:5000`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many HTTP requests this client has sent (retries and token fetches included).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A URL under `/v2/`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/v2/{path}", self.base)
    }

    /// Resolves a `Location` header against the registry's base URL.
    pub(crate) fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            format!("{}/{location}", self.base)
        }
    }

    /// Whether the first contact gave up (see the field).
    pub(crate) fn gave_up(&self) -> bool {
        self.gave_up.load(Ordering::Relaxed)
    }

    /// Tells the retry hook, if any, that `what` is tried again.
    pub(crate) fn retrying(&self, what: &str, attempt: u32, e: &Error) {
        if let Some(RetryHook(hook)) = &self.on_retry {
            hook(what, attempt, e);
        }
    }

    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(6);
        (self.backoff * factor).min(Duration::from_secs(8))
    }

    fn raw(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        auth: Option<&str>,
        body: Payload<'_>,
    ) -> Result<Response<Body>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        // A URL of another origin (a redirect to storage) may carry a signature in its
        // query: errors show it without one.
        let shown = if url.starts_with(&self.base) {
            url
        } else {
            url.split('?').next().unwrap_or(url)
        };
        let what = || format!("{method} {shown}");
        let mut b = http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            b = b.header(*k, v.as_str());
        }
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        let bad = |e: http::Error| Error::Invalid {
            reason: format!("cannot build the request {}: {e}", what()),
        };
        let result = match body {
            Payload::None => self.agent.run(b.body(()).map_err(bad)?),
            Payload::Bytes(bytes, content_type) => self.agent.run(
                b.header("Content-Type", content_type)
                    .body(bytes)
                    .map_err(bad)?,
            ),
        };
        match result {
            Ok(r) => {
                self.answered.store(true, Ordering::Relaxed);
                Ok(r)
            }
            Err(e) => Err(transport(what(), e, self.answered.load(Ordering::Relaxed))),
        }
    }

    /// Sends one request with authentication: a 401 gets one fresh attempt (a new token, or
    /// Basic credentials), then a clear error.
    pub(crate) fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Payload<'_>,
        scope: &str,
    ) -> Result<Response<Body>> {
        if origin(url) != self.base {
            // A Location on another origin: it gets no credentials of ours.
            return self.raw(method, url, headers, None, body);
        }
        let auth = self.authorization(scope, false)?;
        let resp = self.raw(method, url, headers, auth.as_deref(), body)?;
        if resp.status().as_u16() != 401 {
            return Ok(resp);
        }
        self.learn_challenge(&resp);
        let fresh = self.authorization(scope, true)?;
        if fresh.is_none() {
            return Err(self.rejected(401));
        }
        let resp = self.raw(method, url, headers, fresh.as_deref(), body)?;
        if resp.status().as_u16() == 401 {
            return Err(self.rejected(401));
        }
        Ok(resp)
    }

    /// [`Client::send`] with retries on transient failures, for idempotent requests.
    /// Returns the response whose status is in `request.ok`, or an error saying
    /// `request.expected`.
    pub(crate) fn send_retry(
        &self,
        request: Request<'_>,
        on_retry: &mut dyn FnMut(&Error, u32),
    ) -> Result<Response<Body>> {
        let Request {
            method,
            url,
            headers,
            body,
            scope,
            ok,
            expected,
        } = request;
        let mut attempt = 0;
        loop {
            let result = self.send(method, url, headers, body, scope).and_then(|r| {
                if ok.contains(&r.status().as_u16()) {
                    Ok(r)
                } else {
                    Err(status_error(method, url, r, expected))
                }
            });
            match result {
                Err(e)
                    if e.is_transient()
                        && attempt + 1 < self.max_attempts
                        && !self.gave_up.load(Ordering::Relaxed) =>
                {
                    on_retry(&e, attempt + 1);
                    std::thread::sleep(self.delay(attempt));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// GETs a blob-like resource, following redirects (up to 5) without sending
    /// `Authorization` to any other origin.
    pub(crate) fn get_following(
        &self,
        url: &str,
        headers: &[(&str, String)],
        scope: &str,
    ) -> Result<Response<Body>> {
        let mut resp = self.send("GET", url, headers, Payload::None, scope)?;
        let mut current = url.to_string();
        for _ in 0..5 {
            let status = resp.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return Ok(resp);
            }
            let location = header(&resp, "location").ok_or_else(|| Error::Protocol {
                request: format!("GET {current}"),
                reason: format!("{status} redirect without a Location"),
            })?;
            let next = join_url(&current, &location);
            let same_origin = origin(&next) == origin(url);
            current = next;
            resp = if same_origin {
                self.send("GET", &current, headers, Payload::None, scope)?
            } else {
                self.raw("GET", &current, headers, None, Payload::None)?
            };
        }
        Err(Error::Protocol {
            request: format!("GET {url}"),
            reason: "more than 5 redirects".into(),
        })
    }
}

fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..].find('/').map_or(url.len(), |i| after + i);
    &url[..end]
}

fn join_url(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else if location.starts_with('/') {
        format!("{}{location}", origin(base))
    } else {
        let dir = base.rsplit_once('/').map_or(base, |(d, _)| d);
        format!("{dir}/{location}")
    }
}

/// One idempotent request for [`Client::send_retry`]: its parts, and the statuses that
/// count as success with how to describe them in an error.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) headers: &'a [(&'a str, String)],
    pub(crate) body: Payload<'a>,
    pub(crate) scope: &'a str,
    pub(crate) ok: &'a [u16],
    pub(crate) expected: &'static str,
}

/// A header's value as text.
pub(crate) fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A failed request: [`Error::Unreachable`] when the registry never answered and its host
/// does not resolve or refuses the connection (failing at once), else a [`Error::Transport`]
/// that may be retried.
fn transport(request: String, e: ureq::Error, answered: bool) -> Error {
    let unreachable = !answered
        && match &e {
            ureq::Error::HostNotFound => true,
            // std's resolver reports an unknown host as an uncategorised error with this text.
            ureq::Error::Io(io) => {
                io.kind() == std::io::ErrorKind::ConnectionRefused
                    || io
                        .to_string()
                        .starts_with("failed to lookup address information")
            }
            _ => false,
        };
    let reason = e.to_string();
    if unreachable {
        Error::Unreachable { request, reason }
    } else {
        Error::Transport { request, reason }
    }
}

/// Reads a small body, failing past `max` bytes.
pub(crate) fn read_small(resp: Response<Body>, max: u64, what: &str) -> Result<Vec<u8>> {
    let (_, body) = resp.into_parts();
    body.into_with_config()
        .limit(max)
        .read_to_vec()
        .map_err(|e| Error::Transport {
            request: what.to_string(),
            reason: e.to_string(),
        })
}

/// An error for an unexpected status, with the registry's error codes.
pub(crate) fn status_error(
    method: &str,
    url: &str,
    resp: Response<Body>,
    expected: &'static str,
) -> Error {
    status_error_str(&format!("{method} {url}"), resp, expected)
}

fn status_error_str(request: &str, resp: Response<Body>, expected: &'static str) -> Error {
    let status = resp.status().as_u16();
    let body = read_small(resp, 64 << 10, request).unwrap_or_default();
    Error::Status {
        request: request.to_string(),
        status,
        detail: registry_errors(&body),
        expected,
    }
}

/// `{"errors":[{"code":...,"message":...}]}` as `CODE: message; ...`.
fn registry_errors(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<ErrorItem>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => e
            .errors
            .iter()
            .map(|i| {
                format!(
                    "{}: {}",
                    i.code,
                    i.message.chars().take(200).collect::<String>()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::from_utf8_lossy(body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(200)
            .collect(),
    }
}

/// Percent-encodes a query value.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_urls() {
        assert!(
            is_loopback("127.0.0.1:5000") && is_loopback("localhost") && is_loopback("[::1]:80")
        );
        assert!(!is_loopback("registry.example.com:5000") && !is_loopback("10.0.0.1"));
        assert_eq!(api_host("docker.io"), "registry-1.docker.io");
        assert_eq!(origin("http://a:1/v2/x?y"), "http://a:1");
        assert_eq!(join_url("http://a:1/v2/x", "/b"), "http://a:1/b");
        assert_eq!(join_url("http://a:1/v2/x", "http://c/d"), "http://c/d");
        assert_eq!(
            query_escape("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
    }

    #[test]
    fn registry_error_bodies_become_one_line() {
        let b = br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"x"}]}"#;
        assert_eq!(registry_errors(b), "BLOB_UNKNOWN: blob unknown to registry");
        assert_eq!(registry_errors(b"oops\nline"), "oops line");
    }
}
