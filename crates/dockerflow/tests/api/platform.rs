//! Trace context, request ids on the request, Google Cloud Logging, the heartbeat and graceful
//! shutdown (CONTRACT 1.4, 1.8, 1.9):
//! the suite shared by every server (`dockerflow_testkit::platform`), run on the tower library's example.

dockerflow_testkit::platform_tests!(env!("CARGO_BIN_EXE_dockerflow-example"));
