//! Trace context, request ids on the request, and Google Cloud Logging (CONTRACT 1.8, 1.9):
//! the suite shared by every server (`dockerflow_testkit::platform`), run on the actix-web adapter's example.

use dockerflow_testkit::platform;

#[tokio::test]
async fn trace_context() {
    platform::trace_context(env!("CARGO_BIN_EXE_dockerflow-actix-example")).await;
}

#[tokio::test]
async fn cloud_logging() {
    platform::cloud_logging(env!("CARGO_BIN_EXE_dockerflow-actix-example")).await;
}

#[tokio::test]
async fn a_panicking_check_is_an_error_for_that_check_alone() {
    platform::panicking_check(env!("CARGO_BIN_EXE_dockerflow-actix-example")).await;
}

#[tokio::test]
async fn the_self_probe() {
    platform::self_probe(env!("CARGO_BIN_EXE_dockerflow-actix-example")).await;
}
