//! A writer capturing lines in memory, for unit tests: the test kit's, which the integration
//! tests use too.

pub(crate) use dockerflow_testkit::capture::Capture;
