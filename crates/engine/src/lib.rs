//! A small, synchronous Docker Engine API client: ping, image inspect, export and load,
//! container create, start, inspect, logs (demultiplexed), kill, wait and remove, over the
//! engine's Unix socket or plain TCP (`tcp://HOST:PORT`), found as the `docker` CLI finds it
//! ([`discover`]: `DOCKER_HOST`, the Docker context, `/var/run/docker.sock`). It never runs
//! the `docker` CLI.
//!
//! The HTTP/1.1 underneath is the workspace's one client, `dockerflow-http`.
//!
//! **Architecture Invariant:** depends on no workspace crate but `dockerflow-http`, and on no
//! async runtime: one blocking connection per request, each with a timeout, so nothing here
//! can hang forever.
//!
//! ```no_run
//! let engine = dockerflow_engine::Engine::from_env()?;
//! println!("engine {}", engine.version()?);
//! # Ok::<(), dockerflow_engine::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

pub mod discover;

use dockerflow_http as http;
use dockerflow_http::{Body, Response};

/// Where the engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A Unix socket path.
    Unix(PathBuf),
    /// `host:port`, plain TCP (no TLS).
    Tcp(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Unix(p) => write!(f, "unix://{}", p.display()),
            Host::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

impl Host {
    /// Parses a `DOCKER_HOST` value: `unix:///path` or `tcp://host:port`.
    pub fn parse(s: &str) -> Result<Host> {
        Host::parse_address(s).ok_or_else(|| {
            Error::new(
                ErrorKind::BadHost,
                format!("DOCKER_HOST={s:?}"),
                "expected unix:///PATH or tcp://HOST:PORT (TLS is not supported)",
            )
        })
    }

    /// `unix:///path` or `tcp://host[:port]` (port 2375 by default); `None` for anything else.
    fn parse_address(s: &str) -> Option<Host> {
        if let Some(p) = s.strip_prefix("unix://") {
            Some(Host::Unix(PathBuf::from(p)))
        } else if let Some(a) = s.strip_prefix("tcp://") {
            let a = a.trim_end_matches('/');
            Some(Host::Tcp(if a.contains(':') {
                a.to_string()
            } else {
                format!("{a}:2375")
            }))
        } else {
            None
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// `DOCKER_HOST` is not a form this client speaks.
    BadHost,
    /// Nothing answers at the engine's address.
    NoEngine,
    /// The connection failed or timed out mid-request, or the answer was not HTTP.
    Io,
    /// The engine answered with an error status.
    Api {
        /// The HTTP status.
        status: u16,
    },
    /// The engine's answer was not the JSON expected.
    BadAnswer,
}

/// An engine error: what happened, where (the engine address and endpoint), and what was
/// expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    what: String,
    expected: String,
}

impl Error {
    fn new(kind: ErrorKind, what: impl Into<String>, expected: impl Into<String>) -> Error {
        Error {
            kind,
            what: what.into(),
            expected: expected.into(),
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether the engine said the object does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::Api { status: 404 }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.what, self.expected)
    }
}

impl std::error::Error for Error {}

/// A result with an engine [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The Docker engine at one address.
#[derive(Debug, Clone)]
pub struct Engine {
    host: Host,
    /// Where the address came from, when not the default: `DOCKER_HOST`, a Docker context.
    origin: Option<String>,
    timeout: Duration,
}

/// What to run: a subset of the engine's container create body.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    /// The image reference or id.
    pub image: String,
    /// `K=V` environment entries (added to the image's).
    pub env: Vec<String>,
    /// Labels (the checker marks its containers with one).
    pub labels: BTreeMap<String, String>,
    /// Overrides the image's `User` when set.
    pub user: Option<String>,
    /// Host network (`NetworkMode: host`); the only mode that works without a bridge.
    pub host_network: bool,
    /// A read-only root filesystem.
    pub read_only: bool,
    /// Paths mounted as tmpfs (`/tmp`).
    pub tmpfs: Vec<String>,
}

/// The parts of a container's state the checker reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerState {
    /// Whether the container is running.
    pub running: bool,
    /// The host pid of its first process (0 when not running).
    pub pid: u32,
    /// The exit code (meaningful once it stopped).
    pub exit_code: i64,
    /// The engine's status word (`created`, `running`, `exited`, ...).
    pub status: String,
    /// Whether the kernel's OOM killer stopped it.
    pub oom_killed: bool,
}

/// Logs of a container, split by stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logs {
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
}

impl Engine {
    /// The engine the `docker` CLI would use: `DOCKER_HOST`, else the Docker context
    /// `DOCKER_CONTEXT` or the CLI config's `currentContext` names (Docker Desktop, rootless
    /// Docker, Colima), else `unix:///var/run/docker.sock` (see [`discover`]).
    pub fn from_env() -> Result<Engine> {
        let (host, origin) = discover::discover(&|k| std::env::var(k).ok())?;
        Ok(Engine {
            origin,
            ..Engine::new(host)
        })
    }

    /// The engine at `host`, with a 60 s timeout per read or write.
    pub fn new(host: Host) -> Engine {
        Engine {
            host,
            origin: None,
            timeout: Duration::from_secs(60),
        }
    }

    /// The engine's address.
    pub fn host(&self) -> &Host {
        &self.host
    }

    fn connect(&self, timeout: Duration) -> Result<Box<dyn http::Stream>> {
        let r: io::Result<Box<dyn http::Stream>> = match &self.host {
            Host::Unix(p) => http::connect_unix(p, timeout).map(|s| Box::new(s) as _),
            Host::Tcp(a) => http::connect_tcp(a, timeout).map(|s| Box::new(s) as _),
        };
        r.map_err(|e| {
            let from = match &self.origin {
                Some(origin) => format!(" (from {origin})"),
                None => String::new(),
            };
            Error::new(
                ErrorKind::NoEngine,
                format!("no Docker engine at {}{from}: {e}", self.host),
                "start dockerd or set DOCKER_HOST",
            )
        })
    }

    /// Sends a request and returns the response with its body unread, after turning an
    /// error status into an [`Error`] that carries the engine's message.
    fn request(
        &self,
        method: &str,
        target: &str,
        body: Body<'_>,
        content_type: Option<&str>,
        timeout: Duration,
    ) -> Result<Response<Box<dyn http::Stream>>> {
        let mut stream = self.connect(timeout)?;
        let io_err = |e: io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("{method} {target} on the engine at {}: {e}", self.host),
                "a complete HTTP answer from the Docker engine",
            )
        };
        let headers: Vec<(&str, &str)> = content_type
            .map(|c| vec![("Content-Type", c)])
            .unwrap_or_default();
        http::write_request(&mut stream, method, "docker", target, &headers, body)
            .map_err(io_err)?;
        let mut response = Response::read(stream, method == "HEAD").map_err(io_err)?;
        // The API never redirects: a 3xx (the engine "cleaning" `/images/./x.tar/json`) is an
        // error like a 4xx, never an empty success.
        if !(200..300).contains(&response.status) {
            let body = response.read_body(64 * 1024).unwrap_or_default();
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
            return Err(Error::new(
                ErrorKind::Api {
                    status: response.status,
                },
                format!(
                    "the Docker engine at {} answered {method} {target} with {}{}",
                    self.host,
                    response.status,
                    if message.is_empty() {
                        String::new()
                    } else {
                        format!(": {message}")
                    }
                ),
                "a 2xx answer",
            ));
        }
        Ok(response)
    }

    fn json(&self, method: &str, target: &str, body: Option<&Value>) -> Result<Value> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let (body, ct) = match &bytes {
            Some(b) => (Body::Bytes(b), Some("application/json")),
            None => (Body::Empty, None),
        };
        let mut r = self.request(method, target, body, ct, self.timeout)?;
        let raw = r.read_body(16 << 20).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("{method} {target} on the engine at {}: {e}", self.host),
                "a complete answer",
            )
        })?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&raw).map_err(|e| {
            Error::new(
                ErrorKind::BadAnswer,
                format!("{method} {target} on the engine at {}: {e}", self.host),
                "a JSON answer",
            )
        })
    }

    /// `GET /_ping`: whether the engine answers.
    pub fn ping(&self) -> Result<()> {
        let mut r = self.request("GET", "/_ping", Body::Empty, None, Duration::from_secs(5))?;
        let _ = r.read_body(1024);
        Ok(())
    }

    /// The engine's version string (`GET /version`).
    pub fn version(&self) -> Result<String> {
        let v = self.json("GET", "/version", None)?;
        Ok(v["Version"].as_str().unwrap_or("unknown").to_string())
    }

    /// `GET /images/{name}/json`: the engine's view of an image.
    pub fn image_inspect(&self, name: &str) -> Result<Value> {
        self.json("GET", &format!("/images/{}/json", encode(name)), None)
    }

    /// `GET /images/{name}/get`: streams the image as a `docker save` tar into `out`;
    /// returns the byte count.
    pub fn image_export(&self, name: &str, out: &mut dyn Write) -> Result<u64> {
        let target = format!("/images/{}/get", encode(name));
        let mut r = self.request("GET", &target, Body::Empty, None, self.timeout)?;
        io::copy(&mut r, out).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "exporting image {name} from the engine at {}: {e}",
                    self.host
                ),
                "the whole image tar",
            )
        })
    }

    /// `POST /images/load`: loads a `docker save` tar of `len` bytes; returns the engine's
    /// progress messages.
    pub fn image_load(&self, tar: &mut dyn Read, len: u64) -> Result<String> {
        let mut r = self.request(
            "POST",
            "/images/load?quiet=1",
            Body::Reader(tar, len),
            Some("application/x-tar"),
            self.timeout,
        )?;
        let body = r.read_body(1 << 20).unwrap_or_default();
        let text = String::from_utf8_lossy(&body).into_owned();
        // Errors during a load arrive in a 200 stream as {"error": ...}.
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if let Some(e) = v["error"].as_str() {
                    return Err(Error::new(
                        ErrorKind::Api { status: 200 },
                        format!("the Docker engine at {} refused the image: {e}", self.host),
                        "a valid docker save tar",
                    ));
                }
            }
        }
        Ok(text)
    }

    /// `POST /containers/create`; returns the container id.
    pub fn create(&self, spec: &ContainerSpec) -> Result<String> {
        let mut host_config = json!({});
        if spec.host_network {
            host_config["NetworkMode"] = json!("host");
        }
        if spec.read_only {
            host_config["ReadonlyRootfs"] = json!(true);
        }
        if !spec.tmpfs.is_empty() {
            let t: serde_json::Map<String, Value> =
                spec.tmpfs.iter().map(|p| (p.clone(), json!(""))).collect();
            host_config["Tmpfs"] = Value::Object(t);
        }
        let mut body = json!({
            "Image": spec.image,
            "Env": spec.env,
            "Labels": spec.labels,
            "HostConfig": host_config,
        });
        if let Some(u) = &spec.user {
            body["User"] = json!(u);
        }
        let v = self.json("POST", "/containers/create", Some(&body))?;
        v["Id"].as_str().map(str::to_string).ok_or_else(|| {
            Error::new(
                ErrorKind::BadAnswer,
                format!(
                    "container create on the engine at {} returned no Id",
                    self.host
                ),
                "{\"Id\": ...}",
            )
        })
    }

    /// `POST /containers/{id}/start`.
    pub fn start(&self, id: &str) -> Result<()> {
        self.json("POST", &format!("/containers/{}/start", encode(id)), None)
            .map(drop)
    }

    /// `GET /containers/{id}/json`: the running state, pid and exit code.
    pub fn inspect(&self, id: &str) -> Result<ContainerState> {
        let v = self.json("GET", &format!("/containers/{}/json", encode(id)), None)?;
        let s = &v["State"];
        Ok(ContainerState {
            running: s["Running"].as_bool().unwrap_or(false),
            pid: s["Pid"]
                .as_u64()
                .and_then(|p| u32::try_from(p).ok())
                .unwrap_or(0),
            exit_code: s["ExitCode"].as_i64().unwrap_or(0),
            status: s["Status"].as_str().unwrap_or("").to_string(),
            oom_killed: s["OOMKilled"].as_bool().unwrap_or(false),
        })
    }

    /// `GET /containers/{id}/logs`: everything written so far, demultiplexed.
    pub fn logs(&self, id: &str) -> Result<Logs> {
        let target = format!("/containers/{}/logs?stdout=1&stderr=1", encode(id));
        let mut r = self.request("GET", &target, Body::Empty, None, self.timeout)?;
        let mut raw = Vec::new();
        r.by_ref()
            .take(256 << 20)
            .read_to_end(&mut raw)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("reading logs of {id} from the engine at {}: {e}", self.host),
                    "the whole log stream",
                )
            })?;
        demux(&raw).ok_or_else(|| {
            Error::new(
                ErrorKind::BadAnswer,
                format!(
                    "logs of {id} from the engine at {}: a truncated frame",
                    self.host
                ),
                "multiplexed stdout/stderr frames (containers without a TTY)",
            )
        })
    }

    /// `POST /containers/{id}/kill?signal=SIG`.
    pub fn kill(&self, id: &str, signal: &str) -> Result<()> {
        self.json(
            "POST",
            &format!("/containers/{}/kill?signal={}", encode(id), encode(signal)),
            None,
        )
        .map(drop)
    }

    /// `POST /containers/{id}/wait`, bounded by `timeout`: the exit code, or `None` when the
    /// container is still running after it.
    pub fn wait(&self, id: &str, timeout: Duration) -> Result<Option<i64>> {
        let target = format!("/containers/{}/wait", encode(id));
        let mut r = self.request("POST", &target, Body::Empty, None, timeout)?;
        match r.read_body(64 * 1024) {
            Ok(raw) => {
                let v: Value = serde_json::from_slice(&raw).map_err(|e| {
                    Error::new(
                        ErrorKind::BadAnswer,
                        format!("{target} on the engine at {}: {e}", self.host),
                        "{\"StatusCode\": N}",
                    )
                })?;
                Ok(v["StatusCode"].as_i64())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(Error::new(
                ErrorKind::Io,
                format!("{target} on the engine at {}: {e}", self.host),
                "the container's exit code",
            )),
        }
    }

    /// `DELETE /containers/{id}?force=1&v=1`. A container already gone is not an error.
    pub fn remove(&self, id: &str) -> Result<()> {
        match self.json(
            "DELETE",
            &format!("/containers/{}?force=1&v=1", encode(id)),
            None,
        ) {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(drop),
        }
    }

    /// `GET /containers/json?all=1&filters={"label":[label]}`: ids of the containers that
    /// carry `label` (`key` or `key=value`).
    pub fn containers_with_label(&self, label: &str) -> Result<Vec<String>> {
        self.containers(&json!({"label": [label]}))
    }

    /// `GET /containers/json?all=1&filters=...`: ids of the containers matching the engine's
    /// filters (`{"label": [...], "ancestor": [...]}`).
    pub fn containers(&self, filters: &Value) -> Result<Vec<String>> {
        let filters = filters.to_string();
        let v = self.json(
            "GET",
            &format!("/containers/json?all=1&filters={}", encode(&filters)),
            None,
        )?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["Id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `DELETE /images/{name}?force=1`. An image already gone is not an error.
    pub fn remove_image(&self, name: &str) -> Result<()> {
        match self.json("DELETE", &format!("/images/{}?force=1", encode(name)), None) {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(drop),
        }
    }
}

/// Splits the engine's multiplexed log stream (8-byte headers: stream, 3 zero bytes, a
/// big-endian length) into stdout and stderr. `None` on a truncated frame.
pub fn demux(mut raw: &[u8]) -> Option<Logs> {
    let mut logs = Logs::default();
    while !raw.is_empty() {
        if raw.len() < 8 {
            return None;
        }
        let len = u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]) as usize;
        let frame = raw.get(8..8 + len)?;
        match raw[0] {
            2 => logs.stderr.extend_from_slice(frame),
            _ => logs.stdout.extend_from_slice(frame),
        }
        raw = &raw[8 + len..];
    }
    Some(logs)
}

/// Percent-encodes a path segment or query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a path is an existing Unix socket (for messages that say why nothing answers).
pub fn socket_exists(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            Host::parse("unix:///run/d.sock").unwrap(),
            Host::Unix("/run/d.sock".into())
        );
        assert_eq!(
            Host::parse("tcp://127.0.0.1").unwrap(),
            Host::Tcp("127.0.0.1:2375".into())
        );
        let e = Host::parse("ssh://x").unwrap_err();
        assert!(e.to_string().contains("expected unix:///PATH"), "{e}");
    }

    #[test]
    fn no_engine_says_where_and_what_to_do() {
        let e = Engine::new(Host::Unix("/nonexistent/docker.sock".into()))
            .ping()
            .unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::NoEngine);
        let s = e.to_string();
        assert!(
            s.starts_with("no Docker engine at unix:///nonexistent/docker.sock: "),
            "{s}"
        );
        assert!(s.ends_with("start dockerd or set DOCKER_HOST"), "{s}");
    }

    #[test]
    fn demux_frames() {
        let mut raw = vec![1, 0, 0, 0, 0, 0, 0, 3];
        raw.extend_from_slice(b"out");
        raw.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 2]);
        raw.extend_from_slice(b"er");
        let logs = demux(&raw).unwrap();
        assert_eq!(
            (logs.stdout.as_slice(), logs.stderr.as_slice()),
            (&b"out"[..], &b"er"[..])
        );
        assert!(demux(&raw[..raw.len() - 1]).is_none());
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("a/b:c d"), "a%2Fb%3Ac%20d");
    }
}
