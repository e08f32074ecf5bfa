//! `/__version__`, `/__lbheartbeat__`, `/__error__`, the heartbeat, trace context, request ids on the
//! request, Google Cloud Logging and graceful shutdown (CONTRACT 1.2-1.4, 1.8, 1.9):
//! the suite shared by every server (`dockerflow_testkit::platform`), run on the tower library's example.

dockerflow_testkit::platform_tests!(env!("CARGO_BIN_EXE_dockerflow-example"), 404);
