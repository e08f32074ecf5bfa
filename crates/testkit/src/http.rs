//! A tiny HTTP/1.1 client for black-box tests: one request per connection
//! (`Connection: close`), read to the end, so a test sees exactly the status, headers and bytes
//! a client would, with nothing followed, retried or decoded beyond chunking.

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
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nUser-Agent: {USER_AGENT}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
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

/// A whole response as read from the wire (a HEAD response's body is not de-chunked).
pub fn parse_reply(raw: &[u8], head: bool) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {raw:?}"));
    let text = String::from_utf8_lossy(&raw[..split]);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
        && !head
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}
