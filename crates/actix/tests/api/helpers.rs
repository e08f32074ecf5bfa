//! Black-box helpers: the actix-web example as a child process on a free loopback port
//! (through `dockerflow-testkit`, which also holds the HTTP client and the contract schemas,
//! shared with the library's own suite).

pub(crate) use dockerflow_testkit::http::{get, request, Reply};
pub(crate) use dockerflow_testkit::schema::validate_log_line;
pub(crate) use dockerflow_testkit::service::{self, Service as TestApp, VERSION_JSON};
pub(crate) use dockerflow_testkit::TempDir;

/// Starts `dockerflow-actix-example` (the actix-web example) with `env`: see `dockerflow_testkit::service::spawn`.
pub(crate) fn spawn_app(env: &[(&str, &str)]) -> TestApp {
    service::spawn(env!("CARGO_BIN_EXE_dockerflow-actix-example"), env)
}
