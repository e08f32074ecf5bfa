//! A service under test: a [`Process`] listening on a loopback address, whose every stdout line
//! is checked as mozlog against the contract's schema.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::Process;
use crate::schema::validate_log_line;
use crate::TempDir;

/// The version.json the services under test serve (a pretty-printed one, so that "served
/// verbatim" is a real test).
pub const VERSION_JSON: &str = "{\n  \"source\": \"https://github.com/mozilla-services/dockerflow\",\n  \"version\": \"v1.2.3\",\n  \"commit\": \"8f8771bde1a4c52b8e0e1a3c6e9d1c1e1f0e2a3b\",\n  \"build\": \"https://ci.example.com/job/42\"\n}\n";

/// Starts the service binary `program` on a free loopback port, as [`command`] sets it up,
/// with [`VERSION_JSON`] in a fresh directory and `DOCKERFLOW_STATIC_DIR` pointing at a
/// directory there that does not exist, then `env` on top (which may replace either), and
/// waits until it listens. Its stdout is checked as mozlog unless `env` sets
/// `DOCKERFLOW_LOG_FORMAT=text`.
pub fn spawn(program: &str, env: &[(&str, &str)]) -> Service {
    let dir = TempDir::new("service");
    let version = dir.path().join("version.json");
    std::fs::write(&version, VERSION_JSON).expect("write version.json");
    let port = crate::process::free_port();
    let mut command = command(program, port, &version, dir.path());
    command.env("DOCKERFLOW_STATIC_DIR", dir.path().join("static"));
    for (k, v) in env {
        command.env(k, v);
    }
    let mozlog = !env
        .iter()
        .any(|(k, v)| *k == "DOCKERFLOW_LOG_FORMAT" && *v == "text");
    let mut service = Service::spawn(
        &mut command,
        SocketAddr::from(([127, 0, 0, 1], port)),
        mozlog,
    );
    service.keep(dir);
    service
}

/// `program` with a clean environment (only `PATH` kept) set up for a test: `PORT`,
/// `HOST=127.0.0.1`, `DOCKERFLOW_VERSION_FILE`, no drain delay and no heartbeat reuse, run in
/// `dir`.
pub fn command(program: &str, port: u16, version_file: &Path, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("DOCKERFLOW_VERSION_FILE", version_file)
        .env("DOCKERFLOW_DRAIN_DELAY_MS", "0")
        .env("DOCKERFLOW_HEARTBEAT_REUSE_MS", "0")
        .current_dir(dir);
    command
}

/// A service running as a child process. Killed on drop; then, unless the test is already
/// failing, every line it wrote is validated, so each test that ran it also proves its logs.
#[derive(Debug)]
pub struct Service {
    pub address: SocketAddr,
    process: Process,
    mozlog: bool,
    dirs: Vec<TempDir>,
}

impl Service {
    /// Spawns `command`, which must make the service listen on `address`, and waits (at
    /// most 20 s) until it does. With `mozlog` false (a text log format), stdout is not
    /// validated on drop.
    pub fn spawn(command: &mut Command, address: SocketAddr, mozlog: bool) -> Service {
        let mut process = Process::spawn(command);
        process.wait_listening(address, Duration::from_secs(20));
        Service {
            address,
            process,
            mozlog,
            dirs: Vec::new(),
        }
    }

    /// Keeps `dir` until the service is dropped.
    pub fn keep(&mut self, dir: TempDir) {
        self.dirs.push(dir);
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Sends a signal with the `kill` command.
    pub fn signal(&self, name: &str) {
        self.process.signal(name);
    }

    /// Waits for the process to exit, at most `limit`; kills it and panics if it does not.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        self.process.wait_exit(limit)
    }

    /// Every stdout line so far, each checked against the mozlog schema (and the
    /// request.summary schema for summaries).
    pub fn logs(&self) -> Vec<Value> {
        self.raw_stdout()
            .iter()
            .map(|l| validate_log_line(l))
            .collect()
    }

    /// Waits until a log record satisfies `pred`, at most 5 s.
    pub fn wait_for_log(&self, pred: impl Fn(&Value) -> bool) -> Value {
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

    /// Waits until at least `n` log records satisfy `pred`, at most 5 s (records reach stdout
    /// through the mozlog writer's queue, up to about 10 ms after the response), and returns
    /// every record that does then; with fewer after 5 s, returns those and lets the caller's
    /// assertion say what is missing.
    pub fn wait_for_logs(&self, n: usize, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let found: Vec<Value> = self.logs().into_iter().filter(|v| pred(v)).collect();
            if found.len() >= n || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// [`Service::wait_for_logs`] for async tests: waits without blocking the runtime (so the
    /// test's own requests go on meanwhile) until at least `n` log records satisfy `pred`, at
    /// most 10 s, and returns them; panics naming `what` if they do not come.
    #[cfg(feature = "http")]
    pub async fn until_logs(
        &self,
        what: &str,
        n: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let mut found = Vec::new();
        crate::http::until(what, || {
            found = self.logs().into_iter().filter(|v| pred(v)).collect();
            found.len() >= n
        })
        .await;
        found
    }

    /// The `request.summary` records so far.
    pub fn summaries(&self) -> Vec<Value> {
        self.logs()
            .into_iter()
            .filter(|v| v["Type"] == "request.summary")
            .collect()
    }

    /// Stdout as written, unparsed.
    pub fn raw_stdout(&self) -> Vec<String> {
        self.process.stdout_lines()
    }

    pub fn stdout_contains(&self, needle: &str) -> bool {
        self.raw_stdout().iter().any(|l| l.contains(needle))
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.process.stderr_lines()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.process.kill();
        if self.mozlog && !std::thread::panicking() {
            self.logs();
        }
    }
}
