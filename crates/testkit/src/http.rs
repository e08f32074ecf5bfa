//! The HTTP/1.1 client of black-box tests: one request per connection (`Connection: close`),
//! read to the end, so a test sees exactly the status, headers and bytes a client would, with
//! nothing followed, retried or decoded beyond chunking. Asynchronous (tokio), so a test can
//! talk to a server running in its own runtime; the request is written and the response parsed
//! by the workspace's one client, `dockerflow-http`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The `User-Agent` every request sends (the summaries' `agent`).
pub const USER_AGENT: &str = "dockerflow-tests";

/// A response as the tests see it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names lower-cased; the last of repeated headers.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request without a body; panics when no complete response comes back.
pub async fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    send(address, method, path, headers, None)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// `GET path`.
pub async fn get(address: SocketAddr, path: &str) -> Reply {
    request(address, "GET", path, &[]).await
}

/// A request with a body (and its `Content-Length`); an error when the connection fails
/// before a complete response head arrives (a refused connection, a reset).
pub async fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Reply> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let mut all = vec![("User-Agent", USER_AGENT)];
    all.extend_from_slice(headers);
    let body = match body {
        Some(b) => dockerflow_http::Body::Bytes(b),
        None => dockerflow_http::Body::Empty,
    };
    let host = address.to_string();
    let mut bytes = Vec::new();
    dockerflow_http::write_request(&mut bytes, method, &host, path, &all, body)?;
    // A server may answer (413) before reading a whole body and close: keep what was read.
    let written = stream.write_all(&bytes).await;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if raw.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        written?;
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    Ok(parse_reply(&raw, method == "HEAD"))
}

/// `POST path` with a JSON content type.
pub async fn post_json(address: SocketAddr, path: &str, body: &str) -> Reply {
    send(
        address,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    )
    .await
    .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// Waits until `path` answers `status`, at most 10 s.
pub async fn wait_for_status(address: SocketAddr, path: &str, status: u16) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = get(address, path).await;
        if reply.status == status {
            return reply;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never answered {status}; last: {} {}",
            reply.status,
            reply.text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits, without blocking the runtime, until `event` has happened (polled every 10 ms), at
/// most 10 s; then panics naming `what`. For tests that must wait on something observable (a
/// state, a counter, a connection) instead of sleeping a fixed time.
pub async fn until(what: &str, mut event: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !event() {
        assert!(Instant::now() < deadline, "not within 10 s: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A whole response as read from the wire, parsed by the workspace's HTTP client
/// (`dockerflow-http`); the body is every byte after the head, de-chunked when chunked (a
/// HEAD response's body is kept as sent, so a test sees a body that should not be there).
pub fn parse_reply(raw: &[u8], head: bool) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {raw:?}"));
    let mut response = dockerflow_http::Response::read(raw, head)
        .unwrap_or_else(|e| panic!("not an HTTP response ({e}): {raw:?}"));
    let chunked = !head
        && response
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        response
            .read_body(raw.len())
            .unwrap_or_else(|e| panic!("a broken chunked body ({e}): {raw:?}"))
    } else {
        raw[split + 4..].to_vec()
    };
    let headers: HashMap<String, String> = response
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    Reply {
        status: response.status,
        headers,
        body,
    }
}
