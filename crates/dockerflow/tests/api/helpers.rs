//! Black-box helpers: the example service as a child process on a free loopback port (through
//! `dockerflow-testkit`, which also holds the HTTP client, the contract schemas and the
//! PostgreSQL harness these tests use).

pub(crate) use dockerflow_testkit::http::{get, request};
pub(crate) use dockerflow_testkit::postgres::Postgres;
pub(crate) use dockerflow_testkit::process::free_port;
pub(crate) use dockerflow_testkit::schema::validate_log_line;
pub(crate) use dockerflow_testkit::service::{self, Service as TestApp, VERSION_JSON};
pub(crate) use dockerflow_testkit::{require, TempDir};

/// Starts `dockerflow-example` (the example service) with `env`: see `dockerflow_testkit::service::spawn`.
pub(crate) fn spawn_app(env: &[(&str, &str)]) -> TestApp {
    service::spawn(env!("CARGO_BIN_EXE_dockerflow-example"), env)
}
