//! Black-box helpers: the actix-web example as a child process on a free loopback port
//! (through `dockerflow-testkit`, which also holds the HTTP client and the contract schemas,
//! shared with the library's own suite).

use std::net::SocketAddr;

pub(crate) use dockerflow_testkit::http::{get, request, Reply};
pub(crate) use dockerflow_testkit::process::free_port;
pub(crate) use dockerflow_testkit::schema::{assert_valid, validate_log_line};
pub(crate) use dockerflow_testkit::service::{self, Service as TestApp};
pub(crate) use dockerflow_testkit::TempDir;

pub(crate) const VERSION_JSON: &str = "{\n  \"source\": \"https://github.com/mozilla-services/dockerflow\",\n  \"version\": \"v1.2.3\",\n  \"commit\": \"8f8771bde1a4c52b8e0e1a3c6e9d1c1e1f0e2a3b\",\n  \"build\": \"https://ci.example.com/job/42\"\n}\n";

/// Starts `dockerflow-actix-example` with `env` (plus a free `PORT`, `HOST=127.0.0.1`, and a
/// version.json unless `DOCKERFLOW_VERSION_FILE` is given) and waits until it answers.
pub(crate) fn spawn_app(env: &[(&str, &str)]) -> TestApp {
    let dir = TempDir::new("actix-app");
    std::fs::write(dir.path().join("version.json"), VERSION_JSON).expect("write version.json");
    let port = free_port();
    let mut command = service::command(
        env!("CARGO_BIN_EXE_dockerflow-actix-example"),
        port,
        &dir.path().join("version.json"),
        dir.path(),
    );
    for (k, v) in env {
        command.env(k, v);
    }
    let mozlog = !env
        .iter()
        .any(|(k, v)| *k == "DOCKERFLOW_LOG_FORMAT" && *v == "text");
    let mut app = TestApp::spawn(
        &mut command,
        SocketAddr::from(([127, 0, 0, 1], port)),
        mozlog,
    );
    app.keep(dir);
    app
}
