//! Metrics through the [`metrics`](https://docs.rs/metrics) facade: heartbeat runs by outcome,
//! each check's outcome and duration, and requests by status class.
//!
//! Nothing is recorded unless the application installs a recorder (an exporter such as
//! `metrics-exporter-prometheus`, `metrics-exporter-statsd` or an OpenTelemetry bridge):
//! without one, the facade's no-op recorder takes every update, and a request costs a
//! thread-local read and an atomic load more, with no allocation (`bench/instructions.sh`
//! measures it; see BENCHMARKS.md). The request counter's keys are statics; a heartbeat run,
//! which is rare, builds one key per check.
//!
//! | name | kind | labels | when |
//! |---|---|---|---|
//! | `heartbeat.pass` | counter | `status`: `ok`, `debug`, `info` or `warning` (the run's worst level) | a heartbeat run whose worst level is below error (the answer is 200) |
//! | `heartbeat.fail` | counter | `status`: `error` or `critical` | a heartbeat run whose worst level is error or above (the answer is the failure status) |
//! | `heartbeat.check` | counter | `check` (the check's name), `status` (its level's name) | each check, once per heartbeat run |
//! | `heartbeat.check.duration` | histogram, seconds | `check` | each check, once per heartbeat run: from its start to its result (to the time limit when it timed out) |
//! | `request.count` | counter | `status_class`: `1xx`, `2xx`, `3xx`, `4xx` or `5xx` | every request through the request layer or the actix-web middleware, the Dockerflow endpoints included, when its response head is ready (an error from the inner service counts as `5xx`) |
//!
//! `heartbeat.pass` and `heartbeat.fail` are the names python-dockerflow's documentation gives
//! its statsd counters (from its `heartbeat_passed` and `heartbeat_failed` signals), so
//! existing dashboards keep working. They count heartbeat *runs*: answers reused within
//! `DOCKERFLOW_HEARTBEAT_REUSE_MS`, and requests that join a run in progress, add nothing.
//! Exporters rewrite the names as their system needs (Prometheus: `heartbeat_pass`,
//! `heartbeat_check_duration`, `request_count`).
//!
//! [`describe`] registers each metric's description and unit with the installed recorder;
//! call it once after installing one.

use std::time::Duration;

use crate::heartbeat::Level;

/// A heartbeat run whose worst level is below error (counter).
pub const HEARTBEAT_PASS: &str = "heartbeat.pass";
/// A heartbeat run whose worst level is error or above (counter).
pub const HEARTBEAT_FAIL: &str = "heartbeat.fail";
/// One check's outcome in one heartbeat run (counter; labels `check`, `status`).
pub const HEARTBEAT_CHECK: &str = "heartbeat.check";
/// One check's duration in one heartbeat run (histogram, seconds; label `check`).
pub const HEARTBEAT_CHECK_DURATION: &str = "heartbeat.check.duration";
/// Requests by status class (counter; label `status_class`).
pub const REQUEST_COUNT: &str = "request.count";

/// Registers the description and unit of every metric above with the installed recorder
/// (exporters show them, Prometheus as `# HELP`). Harmless without a recorder.
pub fn describe() {
    use ::metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!(
        HEARTBEAT_PASS,
        "Heartbeat runs whose worst level is below error (answered 200)."
    );
    describe_counter!(
        HEARTBEAT_FAIL,
        "Heartbeat runs whose worst level is error or critical (answered with the failure status)."
    );
    describe_counter!(
        HEARTBEAT_CHECK,
        "Heartbeat checks run, by check and by the level it reported."
    );
    describe_histogram!(
        HEARTBEAT_CHECK_DURATION,
        Unit::Seconds,
        "How long each heartbeat check took."
    );
    describe_counter!(
        REQUEST_COUNT,
        "Requests answered, by status class (1xx-5xx)."
    );
}

/// Counts one request answered with `code` in `request.count` (for adapters that are not
/// tower services; the request layer does it itself). Without a recorder this costs a few
/// instructions and never allocates: every key is a static.
#[inline]
pub fn record_request(code: u16) {
    // One literal key per class, so that the macro makes each a static (no allocation).
    let counter = match code {
        200..=299 => ::metrics::counter!("request.count", "status_class" => "2xx"),
        300..=399 => ::metrics::counter!("request.count", "status_class" => "3xx"),
        400..=499 => ::metrics::counter!("request.count", "status_class" => "4xx"),
        100..=199 => ::metrics::counter!("request.count", "status_class" => "1xx"),
        _ => ::metrics::counter!("request.count", "status_class" => "5xx"),
    };
    counter.increment(1);
}

/// Records one heartbeat run whose worst level is `level`.
pub(crate) fn record_run(level: Level) {
    let counter = match level {
        Level::Ok => ::metrics::counter!("heartbeat.pass", "status" => "ok"),
        Level::Debug => ::metrics::counter!("heartbeat.pass", "status" => "debug"),
        Level::Info => ::metrics::counter!("heartbeat.pass", "status" => "info"),
        Level::Warning => ::metrics::counter!("heartbeat.pass", "status" => "warning"),
        Level::Error => ::metrics::counter!("heartbeat.fail", "status" => "error"),
        Level::Critical => ::metrics::counter!("heartbeat.fail", "status" => "critical"),
    };
    counter.increment(1);
}

/// Records one check's outcome and duration in a heartbeat run.
pub(crate) fn record_check(name: &str, level: Level, duration: Duration) {
    ::metrics::counter!(HEARTBEAT_CHECK, "check" => name.to_owned(), "status" => level.name())
        .increment(1);
    ::metrics::histogram!(HEARTBEAT_CHECK_DURATION, "check" => name.to_owned())
        .record(duration.as_secs_f64());
}
