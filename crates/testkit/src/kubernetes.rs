//! Kubernetes manifests shared by the suites that judge them (`dockerflow-check`'s rules and
//! the CLI's `check kubernetes`), kept as files under `fixtures/` so that one text serves both.

/// A Deployment that keeps CONTRACT.md §2.1 (`fixtures/compliant-deployment.yaml`): one
/// container `app` at line 13, user 10001, `PORT` 8000 on the named port `http`, a
/// read-only root with an `emptyDir` on /tmp, a readiness probe on `/__lbheartbeat__` by
/// port name and a liveness probe by port number. Suites derive each fault from it by
/// replacing one line.
pub const COMPLIANT_DEPLOYMENT: &str = include_str!("../fixtures/compliant-deployment.yaml");
