//! One question to a plain-http server ([`HttpUrl`]), answered whole: [`fetch`] sends one
//! request over [`crate::write_request`] and [`crate::Response`] and returns the [`Exchange`]
//! the checker's runtime rules judge, or a [`FetchError`] saying why there was no whole answer.

use std::fmt;
use std::io;
use std::net::ToSocketAddrs;
use std::time::Duration;

use crate::{connect_tcp, write_request, Body, Response};

/// One HTTP exchange as a client saw it: what the checker's runtime rules judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The status code.
    pub status: u16,
    /// Headers as sent.
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty for HEAD).
    pub body: Vec<u8>,
    /// Time from connecting to the end of the body.
    pub elapsed: Duration,
}

impl Exchange {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed `http://host:port/base` URL (plain HTTP only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `host:port` to connect to (brackets kept for IPv6).
    pub authority: String,
    /// The path prefix without a trailing slash (empty for the root).
    pub base: String,
}

/// What is wrong with a URL given to [`HttpUrl::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlErrorKind {
    /// `https://`: this client speaks plain HTTP only.
    Https,
    /// Not an `http://` URL at all.
    NotHttp,
    /// No host, or credentials (`user@`), in the authority.
    BadAuthority,
}

/// A URL [`HttpUrl::parse`] refused: the URL and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    kind: UrlErrorKind,
    url: String,
}

impl UrlError {
    /// What is wrong.
    pub fn kind(&self) -> UrlErrorKind {
        self.kind
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        match self.kind {
            UrlErrorKind::Https => write!(
                f,
                "{url}: https is not supported; expected a plain http:// URL (probe the service behind TLS)"
            ),
            UrlErrorKind::NotHttp => write!(f, "{url}: expected an http://HOST[:PORT] URL"),
            UrlErrorKind::BadAuthority => write!(
                f,
                "{url}: expected an http://HOST[:PORT] URL with a host and no credentials"
            ),
        }
    }
}

impl std::error::Error for UrlError {}

impl HttpUrl {
    /// Parses `http://HOST[:PORT][/PATH]`.
    pub fn parse(url: &str) -> Result<HttpUrl, UrlError> {
        let fail = |kind| UrlError {
            kind,
            url: url.to_string(),
        };
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            fail(if url.starts_with("https://") {
                UrlErrorKind::Https
            } else {
                UrlErrorKind::NotHttp
            })
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(fail(UrlErrorKind::BadAuthority));
        }
        let has_port = match authority.rfind(']') {
            Some(i) => authority[i..].contains(':'),
            None => authority.contains(':'),
        };
        let authority = if has_port {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(HttpUrl {
            authority,
            base: path.trim_end_matches('/').to_string(),
        })
    }
}

/// Why a server gave no whole answer: the one classification `check url`, deploy verification
/// and the probe share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchErrorKind {
    /// The host does not resolve.
    Unresolved,
    /// Nothing listens at the address (connection refused).
    Refused,
    /// No connection or no answer within the timeout.
    TimedOut,
    /// Something answered, but not a whole HTTP response (reset, not HTTP, too large, cut
    /// short): an answer for the rules to judge as broken.
    Broken,
}

/// A request that got no whole answer: the kind, where (`host:port`), the time limit, and the
/// I/O error underneath.
#[derive(Debug)]
pub struct FetchError {
    kind: FetchErrorKind,
    authority: String,
    timeout: Duration,
    source: io::Error,
}

impl FetchError {
    fn new(authority: &str, timeout: Duration, kind: FetchErrorKind, source: io::Error) -> Self {
        FetchError {
            kind,
            authority: authority.to_string(),
            timeout,
            source,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> FetchErrorKind {
        self.kind
    }

    /// Whether nothing answered at all (unresolved, refused, timed out), as opposed to a
    /// broken answer.
    pub fn is_unreachable(&self) -> bool {
        self.kind != FetchErrorKind::Broken
    }

    /// The `host:port` asked.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The time limit the request had.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The I/O error underneath, as the operating system or the response reader said it.
    pub fn io(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.authority;
        match self.kind {
            FetchErrorKind::Unresolved => write!(f, "cannot resolve {a}: {}", self.source),
            FetchErrorKind::Refused => write!(f, "nothing listens at {a} (connection refused)"),
            FetchErrorKind::TimedOut => write!(
                f,
                "no answer within {} s from {a}",
                self.timeout.as_secs_f64()
            ),
            FetchErrorKind::Broken => write!(f, "{}", self.source),
        }
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Sends one request to a plain-http server and reads the whole answer (body up to
/// `limit` bytes). Redirects are answers, not followed.
pub fn fetch(
    url: &HttpUrl,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
    limit: usize,
) -> Result<Exchange, FetchError> {
    let authority = &url.authority;
    let fail = |kind, e| FetchError::new(authority, timeout, kind, e);
    authority
        .to_socket_addrs()
        .map_err(|e| fail(FetchErrorKind::Unresolved, e))?;
    let classify = |e: io::Error| {
        let kind = match e.kind() {
            io::ErrorKind::ConnectionRefused => FetchErrorKind::Refused,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => FetchErrorKind::TimedOut,
            _ => FetchErrorKind::Broken,
        };
        fail(kind, e)
    };
    let start = std::time::Instant::now();
    let mut stream = connect_tcp(authority, timeout).map_err(classify)?;
    let target = format!("{}{path}", url.base);
    write_request(
        &mut stream,
        method,
        authority,
        &target,
        headers,
        Body::Empty,
    )
    .map_err(classify)?;
    let mut response = Response::read(stream, method == "HEAD").map_err(classify)?;
    let body = response.read_body(limit).map_err(classify)?;
    Ok(Exchange {
        status: response.status,
        headers: response.headers,
        body,
        elapsed: start.elapsed(),
    })
}
