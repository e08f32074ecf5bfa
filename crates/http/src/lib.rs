//! The workspace's one HTTP/1.1 client: writes one request per connection
//! (`Connection: close`), reads the status line and headers, and streams the body
//! (Content-Length, chunked, or until close). No redirects are followed and nothing is
//! decoded: callers see the exact status, headers and bytes a server sent, which is what a
//! conformance probe needs.
//!
//! - [`fetch`] asks a plain-http server one question and returns the whole [`Exchange`] (the
//!   type the checker's runtime rules judge), or a [`FetchError`] whose [`FetchErrorKind`]
//!   says whether the server was unreachable (no such host, nothing listening, no answer in
//!   time) or answered badly.
//! - [`write_request`] and [`Response::read`] are the two halves underneath, over any byte
//!   stream: the Docker engine client (`dockerflow-engine`) speaks them over the engine's Unix
//!   socket ([`connect_unix`]), the probe over TCP ([`connect_tcp`]), and the test kit writes
//!   into a buffer and parses the bytes it read asynchronously (a byte slice is a stream).
//!
//! Bounds on a hostile server: a line of the head is at most 16 KiB, the head has at most 200
//! headers, [`Response::read_body`] stops at the caller's limit, and every connection has a
//! connect, read and write timeout.
//!
//! **Architecture Invariant:** depends on no crate at all (std only) and on no async runtime:
//! one blocking connection per request, each with a timeout, so nothing here can hang forever.
//!
//! ```no_run
//! use std::time::Duration;
//! let url = dockerflow_http::HttpUrl::parse("http://127.0.0.1:8000")?;
//! let x = dockerflow_http::fetch(&url, "GET", "/__lbheartbeat__", &[], Duration::from_secs(5), 1 << 20)?;
//! println!("{} after {:?}", x.status, x.elapsed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Caps on what a server may send before the body: one header line and the header count.
const MAX_LINE: usize = 16 * 1024;
const MAX_HEADERS: usize = 200;

mod fetch;

pub use fetch::{fetch, Exchange, FetchError, FetchErrorKind, HttpUrl, UrlError, UrlErrorKind};

/// A byte stream to a server.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// Opens a TCP connection with a connect timeout and read and write timeouts.
pub fn connect_tcp(addr: &str, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        format!("{addr} resolves to no address"),
    );
    for a in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(timeout))?;
                s.set_write_timeout(Some(timeout))?;
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Opens a Unix socket connection with read and write timeouts.
pub fn connect_unix(path: &Path, timeout: Duration) -> io::Result<UnixStream> {
    let s = UnixStream::connect(path)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    Ok(s)
}

/// A request body.
pub enum Body<'a> {
    /// No body.
    Empty,
    /// Bytes in memory, sent with a Content-Length.
    Bytes(&'a [u8]),
    /// A reader of a known length, streamed.
    Reader(&'a mut dyn Read, u64),
}

impl fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Reader(_, n) => write!(f, "Reader({n} bytes)"),
        }
    }
}

/// Writes one request. `target` is the request target (`/path?query`). A body's length is
/// sent as `Content-Length`; a POST or PUT without one says `Content-Length: 0` unless
/// `headers` has its own. A header with a line break (or a name with a colon) is refused.
pub fn write_request(
    stream: &mut dyn Write,
    method: &str,
    host: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Body<'_>,
) -> io::Result<()> {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("header {k:?} contains a line break or colon"),
            ));
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match &body {
        // A caller that sent its own Content-Length keeps it, alone.
        Body::Empty
            if headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-length")) => {}
        Body::Empty if method == "POST" || method == "PUT" => {
            head.push_str("Content-Length: 0\r\n")
        }
        Body::Empty => {}
        Body::Bytes(b) => head.push_str(&format!("Content-Length: {}\r\n", b.len())),
        Body::Reader(_, n) => head.push_str(&format!("Content-Length: {n}\r\n")),
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    match body {
        Body::Empty => {}
        Body::Bytes(b) => stream.write_all(b)?,
        Body::Reader(r, n) => {
            let copied = io::copy(&mut r.take(n), stream)?;
            if copied != n {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("request body ended after {copied} of {n} bytes"),
                ));
            }
        }
    }
    stream.flush()
}

/// A response: status, headers in the order sent, and a body reader.
pub struct Response<S> {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Headers as sent (names as sent; compare case-insensitively with [`Response::header`]).
    pub headers: Vec<(String, String)>,
    body: BodyReader<S>,
}

impl<S> fmt::Debug for Response<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl<S: Read> Response<S> {
    /// Reads the status line and headers. `head_request` says the request was HEAD (no body
    /// follows, whatever Content-Length says).
    pub fn read(stream: S, head_request: bool) -> io::Result<Response<S>> {
        let mut r = BufReader::new(stream);
        let line = read_line(&mut r)?;
        let mut parts = line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(invalid(format!(
                "expected an HTTP/1.x status line, got {:?}",
                truncate(&line)
            )));
        }
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|s| (100..1000).contains(s))
            .ok_or_else(|| invalid(format!("bad status line {:?}", truncate(&line))))?;
        let reason = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let line = read_line(&mut r)?;
            if line.is_empty() {
                break;
            }
            if headers.len() >= MAX_HEADERS {
                return Err(invalid(format!("more than {MAX_HEADERS} headers")));
            }
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| invalid(format!("bad header line {:?}", truncate(&line))))?;
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        let mut response = Response {
            status,
            reason,
            headers,
            body: BodyReader::Empty,
        };
        let chunked = response
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = match response.header("content-length") {
            Some(v) => Some(
                v.parse::<u64>()
                    .map_err(|_| invalid(format!("Content-Length {v:?} is not a number")))?,
            ),
            None => None,
        };
        response.body = if head_request || status == 204 || status == 304 || status < 200 {
            BodyReader::Empty
        } else if chunked {
            BodyReader::Chunked {
                r,
                left: 0,
                done: false,
            }
        } else if let Some(n) = length {
            BodyReader::Length(r, n)
        } else {
            BodyReader::Close(r)
        };
        Ok(response)
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Reads the whole body, up to `limit` bytes (an error beyond).
    pub fn read_body(&mut self, limit: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.by_ref().take(limit as u64 + 1).read_to_end(&mut out)?;
        if out.len() > limit {
            return Err(invalid(format!("body larger than {limit} bytes")));
        }
        Ok(out)
    }
}

impl<S: Read> Read for Response<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

enum BodyReader<S> {
    Empty,
    Length(BufReader<S>, u64),
    Close(BufReader<S>),
    Chunked {
        r: BufReader<S>,
        left: u64,
        done: bool,
    },
}

impl<S: Read> Read for BodyReader<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BodyReader::Empty => Ok(0),
            BodyReader::Length(r, left) => {
                if *left == 0 || buf.is_empty() {
                    return Ok(0);
                }
                read_counted(r, buf, left, |left| {
                    format!("body ended {left} bytes short of its Content-Length")
                })
            }
            BodyReader::Close(r) => r.read(buf),
            BodyReader::Chunked { r, left, done } => {
                if *done || buf.is_empty() {
                    return Ok(0);
                }
                if *left == 0 {
                    let line = read_line(r)?;
                    let size = line.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(size, 16).map_err(|_| {
                        invalid(format!("bad chunk size line {:?}", truncate(&line)))
                    })?;
                    if size == 0 {
                        // Trailers, then the blank line.
                        while !read_line(r)?.is_empty() {}
                        *done = true;
                        return Ok(0);
                    }
                    *left = size;
                }
                let n = read_counted(r, buf, left, |_| {
                    "chunked body ended inside a chunk".to_string()
                })?;
                if *left == 0 {
                    let crlf = read_line(r)?;
                    if !crlf.is_empty() {
                        return Err(invalid("chunk not followed by CRLF".to_string()));
                    }
                }
                Ok(n)
            }
        }
    }
}

/// Reads at most `left` bytes (more than 0) into `buf` (not empty) and counts them off `left`;
/// the stream ending first is an `UnexpectedEof` error, `short(left)` saying which.
fn read_counted(
    r: &mut impl Read,
    buf: &mut [u8],
    left: &mut u64,
    short: impl FnOnce(u64) -> String,
) -> io::Result<usize> {
    let max = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
    let n = r.read(&mut buf[..max])?;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, short(*left)));
    }
    *left -= n as u64;
    Ok(n)
}

fn read_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut buf = Vec::new();
    let n = r.take(MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before the response was complete",
        ));
    }
    if buf.last() != Some(&b'\n') {
        return Err(invalid(format!("a line longer than {MAX_LINE} bytes")));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8], head: bool) -> io::Result<(u16, Vec<u8>)> {
        let mut r = Response::read(raw, head)?;
        let body = r.read_body(1 << 20)?;
        Ok((r.status, body))
    }

    #[test]
    fn content_length_chunked_and_close() {
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", false).unwrap(),
            (200, b"abc".to_vec())
        );
        assert_eq!(
            parse(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n",
                false
            )
            .unwrap(),
            (200, b"abcde".to_vec())
        );
        assert_eq!(
            parse(b"HTTP/1.0 500 Oops\r\n\r\nuntil close", false).unwrap(),
            (500, b"until close".to_vec())
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", true).unwrap(),
            (200, Vec::new())
        );
    }

    #[test]
    fn truncated_and_malformed_answers_are_errors() {
        let e = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", false).unwrap_err();
        assert!(e.to_string().contains("6 bytes short"), "{e}");
        let e = parse(b"SSH-2.0-OpenSSH\r\n", false).unwrap_err();
        assert!(e.to_string().contains("HTTP/1.x status line"), "{e}");
        let e = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("chunk size"), "{e}");
        let e = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc",
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("ended inside a chunk"), "{e}");
        assert!(parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
            false
        )
        .is_ok());
        let mut r = Response::read(&b"HTTP/1.1 200 OK\r\n\r\n0123456789"[..], false).unwrap();
        assert!(r.read_body(4).is_err());
    }

    #[test]
    fn a_hostile_head_is_cut_off_at_its_bounds() {
        let long = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(MAX_LINE));
        let e = parse(long.as_bytes(), false).unwrap_err();
        assert!(
            e.to_string().contains("a line longer than 16384 bytes"),
            "{e}"
        );
        let fits = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(MAX_LINE - 8));
        assert!(parse(fits.as_bytes(), false).is_ok());

        let many = |n: usize| {
            let mut head = "HTTP/1.1 200 OK\r\n".to_string();
            for i in 0..n {
                head.push_str(&format!("X-{i}: v\r\n"));
            }
            head + "Content-Length: 0\r\n\r\n"
        };
        let e = parse(many(MAX_HEADERS).as_bytes(), false).unwrap_err();
        assert!(e.to_string().contains("more than 200 headers"), "{e}");
        assert!(parse(many(MAX_HEADERS - 1).as_bytes(), false).is_ok());
    }

    #[test]
    fn urls() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/svc/").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.base.as_str()),
            ("127.0.0.1:8080", "/svc")
        );
        assert_eq!(
            HttpUrl::parse("http://[::1]").unwrap().authority,
            "[::1]:80"
        );
        assert!(HttpUrl::parse("https://x")
            .unwrap_err()
            .to_string()
            .contains("https is not supported"));
        assert!(HttpUrl::parse("ftp://x").is_err());
        let e = HttpUrl::parse("http://user:pw@host/").unwrap_err();
        assert_eq!(e.kind(), UrlErrorKind::BadAuthority);
        assert_eq!(
            e.to_string(),
            "http://user:pw@host/: expected an http://HOST[:PORT] URL with a host and no credentials"
        );
    }

    #[test]
    fn unreachable_servers_are_told_apart_from_broken_answers() {
        let t = Duration::from_secs(2);
        let bad = HttpUrl {
            authority: "no port here".to_string(),
            base: String::new(),
        };
        let e = fetch(&bad, "GET", "/", &[], t, 10).unwrap_err();
        assert_eq!(e.kind(), FetchErrorKind::Unresolved);
        assert!(
            e.to_string().starts_with("cannot resolve no port here: "),
            "{e}"
        );

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let url = HttpUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let e = fetch(&url, "GET", "/", &[], t, 10).unwrap_err();
        assert_eq!(e.kind(), FetchErrorKind::Refused);
        assert!(e.is_unreachable());
        assert_eq!(
            e.to_string(),
            format!("nothing listens at 127.0.0.1:{port} (connection refused)")
        );

        // Accepts (the kernel's backlog), never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = HttpUrl::parse(&format!("http://{}", silent.local_addr().unwrap())).unwrap();
        let e = fetch(&url, "GET", "/", &[], Duration::from_millis(300), 10).unwrap_err();
        assert_eq!(e.kind(), FetchErrorKind::TimedOut);
        assert!(
            e.to_string()
                .starts_with("no answer within 0.3 s from 127.0.0.1:"),
            "{e}"
        );

        // Answers, but not HTTP: broken, not unreachable; the reader's words are kept.
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = HttpUrl::parse(&format!("http://{}", server.local_addr().unwrap())).unwrap();
        let answering = std::thread::spawn(move || {
            let (mut c, _) = server.accept().unwrap();
            let _ = c.write_all(b"SSH-2.0-OpenSSH\r\n");
        });
        let e = fetch(&url, "GET", "/", &[], t, 10).unwrap_err();
        answering.join().unwrap();
        assert_eq!(e.kind(), FetchErrorKind::Broken);
        assert!(!e.is_unreachable());
        assert!(e.to_string().contains("HTTP/1.x status line"), "{e}");
    }

    #[test]
    fn request_is_written_with_length() {
        let mut out = Vec::new();
        write_request(
            &mut out,
            "POST",
            "docker",
            "/x?y=1",
            &[("A", "b")],
            Body::Bytes(b"hi"),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /x?y=1 HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nA: b\r\nContent-Length: 2\r\n\r\nhi"
        );
        let mut out = Vec::new();
        write_request(&mut out, "POST", "h", "/", &[], Body::Empty).unwrap();
        assert!(String::from_utf8_lossy(&out).contains("Content-Length: 0\r\n"));
        let mut out = Vec::new();
        write_request(
            &mut out,
            "POST",
            "h",
            "/",
            &[("content-length", "0")],
            Body::Empty,
        )
        .unwrap();
        let text = String::from_utf8_lossy(&out);
        assert_eq!(
            text.to_ascii_lowercase().matches("content-length").count(),
            1,
            "{text}"
        );
        let mut out = Vec::new();
        assert!(write_request(
            &mut out,
            "GET",
            "h",
            "/",
            &[("A", "b\r\nX: y")],
            Body::Empty
        )
        .is_err());
    }
}
