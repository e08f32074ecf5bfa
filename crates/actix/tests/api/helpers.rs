//! Black-box helpers, as in the library's tests: the actix-web example service as a child
//! process on a free loopback port, a tiny HTTP/1.1 client, and log capture validated against
//! `contract/`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub(crate) fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A temporary directory removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "dockerflow-actix-test-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) const VERSION_JSON: &str = "{\n  \"source\": \"https://github.com/mozilla-services/dockerflow\",\n  \"version\": \"v1.2.3\",\n  \"commit\": \"8f8771bde1a4c52b8e0e1a3c6e9d1c1e1f0e2a3b\",\n  \"build\": \"https://ci.example.com/job/42\"\n}\n";

/// The example service running as a child process.
pub(crate) struct TestApp {
    pub(crate) address: SocketAddr,
    child: Option<Child>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    mozlog: bool,
    _dir: TempDir,
}

/// Starts `dockerflow-actix-example` with `env` (plus a free `PORT`, `HOST=127.0.0.1`, and a
/// version.json unless `DOCKERFLOW_VERSION_FILE` is given) and waits until it answers.
pub(crate) fn spawn_app(env: &[(&str, &str)]) -> TestApp {
    let dir = TempDir::new("app");
    std::fs::write(dir.path().join("version.json"), VERSION_JSON).expect("write version.json");
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_dockerflow-actix-example"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("DOCKERFLOW_VERSION_FILE", dir.path().join("version.json"))
        .env("DOCKERFLOW_DRAIN_DELAY_MS", "0")
        .env("DOCKERFLOW_HEARTBEAT_REUSE_MS", "0")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("start dockerflow-actix-example");
    let stdout = capture(child.stdout.take().expect("stdout"));
    let stderr = capture(child.stderr.take().expect("stderr"));
    let mozlog = !env
        .iter()
        .any(|(k, v)| *k == "DOCKERFLOW_LOG_FORMAT" && *v == "text");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let app = TestApp {
        address,
        child: Some(child),
        stdout,
        stderr,
        mozlog,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(app.address).is_err() {
        assert!(
            Instant::now() < deadline,
            "the app never listened; stderr: {:?}",
            app.stderr_lines()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    app
}

fn capture(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            match line {
                Ok(l) => sink.lock().unwrap().push(l),
                Err(_) => break,
            }
        }
    });
    lines
}

impl TestApp {
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a signal with the `kill` command (no libc needed).
    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`; kills it and panics if it does not.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                // Let the capture threads drain the pipes.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the app did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every stdout line so far, each checked against the mozlog schema (and the
    /// request.summary schema for summaries).
    pub(crate) fn logs(&self) -> Vec<Value> {
        let lines = self.stdout.lock().unwrap().clone();
        lines.iter().map(|l| validate_log_line(l)).collect()
    }

    /// Waits until a log record satisfies `pred`, at most 5 s.
    pub(crate) fn wait_for_log(&self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(v) = self.logs().into_iter().find(|v| pred(v)) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "no such log record; got {:#?}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn summaries(&self) -> Vec<Value> {
        self.logs()
            .into_iter()
            .filter(|v| v["Type"] == "request.summary")
            .collect()
    }

    pub(crate) fn stdout_contains(&self, needle: &str) -> bool {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains(needle))
    }

    pub(crate) fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Every test that ran the app also proves every line it wrote was valid mozlog.
        if self.mozlog && !std::thread::panicking() {
            self.logs();
        }
    }
}

fn contract(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contract")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A validator for `contract/<name>`, with every contract schema loadable by its `$id`.
fn schema(name: &str) -> &'static jsonschema::Validator {
    static SCHEMAS: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let mut map = SCHEMAS.get_or_init(Default::default).lock().unwrap();
    map.entry(name.to_owned()).or_insert_with(|| {
        let mut builder = jsonschema::Registry::new();
        for file in [
            "mozlog.schema.json",
            "request-summary.schema.json",
            "version.schema.json",
            "heartbeat.schema.json",
        ] {
            let contents = contract(file);
            let id = contents["$id"].as_str().expect("$id").to_owned();
            builder = builder
                .add(id, jsonschema::Resource::from_contents(contents))
                .expect("a valid $id");
        }
        let registry = builder.prepare().expect("the contract schemas load");
        let validator = jsonschema::options()
            .with_registry(&registry)
            .build(&contract(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        Box::leak(Box::new(validator))
    })
}

/// Parses one stdout line and validates it against `contract/mozlog.schema.json`, and
/// `contract/request-summary.schema.json` when it is a summary.
pub(crate) fn validate_log_line(line: &str) -> Value {
    assert!(!line.contains('\r'), "raw carriage return in {line:?}");
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert_valid("mozlog.schema.json", &value);
    if value["Type"] == "request.summary" {
        assert_valid("request-summary.schema.json", &value);
    }
    value
}

pub(crate) fn assert_valid(schema_name: &str, value: &Value) {
    let errors: Vec<String> = schema(schema_name)
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{value} does not match {schema_name}: {errors:?}"
    );
}

/// A response as the tests see it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`), read to the end.
pub(crate) async fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nUser-Agent: dockerflow-tests\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    parse_reply(&raw, method == "HEAD")
}

fn parse_reply(raw: &[u8], head: bool) -> Reply {
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

pub(crate) async fn get(address: SocketAddr, path: &str) -> Reply {
    request(address, "GET", path, &[]).await
}
