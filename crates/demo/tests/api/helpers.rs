//! Black-box helpers: the demo as a child process on a free loopback port with its own data
//! directory, and the link API's calls. The process, HTTP client, contract schemas and
//! PostgreSQL harness are `dockerflow-testkit`'s.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub(crate) use dockerflow_testkit::http::{
    get, parse_reply, post_json, request, send, wait_for_status, Reply,
};
pub(crate) use dockerflow_testkit::postgres::Postgres;
pub(crate) use dockerflow_testkit::process::free_port;
pub(crate) use dockerflow_testkit::schema::{assert_valid, validate_log_line};
pub(crate) use dockerflow_testkit::service::{self, Service as TestApp};
pub(crate) use dockerflow_testkit::TempDir;

pub(crate) use dockerflow_testkit::service::VERSION_JSON;

/// The crate's committed static directory.
pub(crate) fn static_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
}

/// Starts the demo with its own `DATA_DIR` (SQLite) in a temporary directory.
pub(crate) fn spawn_app(env: &[(&str, &str)]) -> TestApp {
    let dir = TempDir::new("demo-data");
    let data = dir.path().display().to_string();
    let mut all = vec![("DATA_DIR", data.as_str())];
    all.extend_from_slice(env);
    let mut app = spawn_app_with(&all);
    app.keep(dir);
    app
}

/// Starts `dockerflow-demo` with `env` (plus a free `PORT`, `HOST=127.0.0.1`, a version.json,
/// no drain delay, no heartbeat reuse, the crate's static directory) and waits until it
/// answers. `DATA_DIR` should be in `env`, or the demo writes `./data` in a temporary
/// working directory.
pub(crate) fn spawn_app_with(env: &[(&str, &str)]) -> TestApp {
    let static_dir = static_dir().display().to_string();
    let mut all = vec![
        ("DOCKERFLOW_HEARTBEAT_CHECK_TIMEOUT_MS", "2500"),
        ("DOCKERFLOW_STATIC_DIR", static_dir.as_str()),
    ];
    all.extend_from_slice(env);
    service::spawn(env!("CARGO_BIN_EXE_dockerflow-demo"), &all)
}

/// Creates a link to `url`, asserting 201; returns its code.
pub(crate) async fn create_link(address: SocketAddr, url: &str) -> String {
    let reply = post_json(
        address,
        "/api/links",
        &serde_json::json!({ "url": url }).to_string(),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["code"].as_str().expect("a code").to_owned()
}

/// Every link (at most 200), newest first, as `(code, url)`.
pub(crate) async fn all_links(address: SocketAddr) -> Vec<(String, String)> {
    let reply = get(address, "/api/links?limit=200").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            (
                l["code"].as_str().expect("code").to_owned(),
                l["url"].as_str().expect("url").to_owned(),
            )
        })
        .collect()
}
