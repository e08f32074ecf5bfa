//! What the runtime rules judge: observations of a running service, made from outside by a
//! prober (`dockerflow-probe` runs the image on an engine; `check url` probes a running
//! service; `check logs` reads lines). This module is data only: no I/O, no clock. The logs
//! are not kept as text: [`Logs`] holds what the log rules need, read once as they stream.
//!
//! A field left `None` was not observed; the judges turn it into a skip whose reason depends
//! on [`Mode`] and, for a container that never started listening, on [`RuntimeModel::start_failure`].

use std::time::{Duration, SystemTime};

#[cfg(doc)]
use crate::logs::LogReader;
use crate::logs::Logs;

/// How the observations were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The image was run on a container engine by the checker (`check image --run`).
    Container,
    /// A service already running at a URL (`check url`).
    Url,
    /// Log lines only (`check logs`).
    Logs,
}

/// One HTTP exchange as the prober saw it (the HTTP client's own type, so the prober hands it
/// over as it is).
pub use dockerflow_http::Exchange;

/// An exchange, or why none happened (refused, timed out, not HTTP): a broken answer, not a
/// skipped one.
pub type Answer = Result<Exchange, String>;

/// GET and HEAD of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The path asked for (`/__lbheartbeat__`).
    pub path: String,
    /// The GET.
    pub get: Answer,
    /// The HEAD.
    pub head: Answer,
}

/// One backing service taken down: a run with `var`'s host and port pointing at a closed
/// loopback port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyDown {
    /// The environment variable rewritten (`DATABASE_URL`).
    pub var: String,
    /// `GET /__heartbeat__` during that run.
    pub heartbeat: Answer,
    /// `GET /__lbheartbeat__` during that run.
    pub lbheartbeat: Answer,
}

/// What happened after SIGTERM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sigterm {
    /// How long the process was given.
    pub grace: Duration,
    /// When it exited, if it did within the grace period.
    pub exited_after: Option<Duration>,
    /// Its exit code, if it exited.
    pub exit_code: Option<i64>,
    /// The image's entrypoint runs the program through `/bin/sh -c` (shell form).
    pub shell_form: bool,
}

/// A request sent with a valid `X-Request-ID` (CONTRACT.md section 1.9), and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIdProbe {
    /// The path asked for.
    pub path: String,
    /// The request id sent.
    pub sent: String,
    /// The wall-clock time just before the request was sent: records with an earlier mozlog
    /// `Timestamp` were written before the service had it (same host clock as the container).
    pub sent_at: Option<SystemTime>,
    /// The answer.
    pub answer: Answer,
}

/// Observations of one running service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeModel {
    /// How they were made.
    pub mode: Mode,
    /// What was checked (an image reference, a URL, a log file).
    pub subject: String,
    /// The `$PORT` given to the container, and whether something answered there:
    /// `Ok(where and after how long)` or `Err(why not)`.
    pub listening: Option<Result<String, String>>,
    /// Set when a container never became ready: why, for the skips of what could not be
    /// observed after that.
    pub start_failure: Option<String>,
    /// `/__lbheartbeat__`.
    pub lbheartbeat: Option<Endpoint>,
    /// `/__version__`.
    pub version: Option<Endpoint>,
    /// `/__heartbeat__`, with every dependency up.
    pub heartbeat: Option<Endpoint>,
    /// The bytes of `/app/version.json` in the image: `None` when no image was read (a URL),
    /// `Some(None)` when the image has no such file.
    pub image_version_json: Option<Option<Vec<u8>>>,
    /// One entry per dependency taken down (empty when none was named).
    pub dependencies_down: Vec<DependencyDown>,
    /// The deadline the heartbeat has to answer within while a dependency is down.
    pub heartbeat_deadline: Duration,
    /// What the log rules need from everything the service wrote to stdout and stderr, in
    /// order as far as known: read once as the lines stream ([`LogReader`], [`Logs::read`]),
    /// never the text itself.
    pub logs: Option<Logs>,
    /// The uid of the container's first process, as the host sees it, or why it could not
    /// be read.
    pub uid: Option<Result<u32, String>>,
    /// The SIGTERM test.
    pub sigterm: Option<Sigterm>,
    /// A static file asked for (`--static-path`).
    pub static_file: Option<(String, Answer)>,
    /// A request sent with an `X-Request-ID` header.
    pub request_id: Option<RequestIdProbe>,
    /// The run with a read-only root filesystem and a tmpfs `/tmp`: `Ok` when it became ready
    /// and answered `/__lbheartbeat__` 200, else why not.
    pub read_only: Option<Result<(), String>>,
    /// How long each phase of the observation took (`ready (up run)`, ...), for people
    /// measuring the checker; no rule reads it.
    pub phases: Vec<(String, Duration)>,
}

impl RuntimeModel {
    /// Nothing observed yet.
    pub fn new(mode: Mode, subject: &str) -> RuntimeModel {
        RuntimeModel {
            mode,
            subject: subject.to_string(),
            listening: None,
            start_failure: None,
            lbheartbeat: None,
            version: None,
            heartbeat: None,
            image_version_json: None,
            dependencies_down: Vec::new(),
            heartbeat_deadline: Duration::from_secs(10),
            logs: None,
            uid: None,
            sigterm: None,
            static_file: None,
            request_id: None,
            read_only: None,
            phases: Vec::new(),
        }
    }

    /// Why something was not observed, in the model's mode.
    pub(crate) fn unobserved(&self, what: &str) -> String {
        if let Some(f) = &self.start_failure {
            return format!("not observed: {f}");
        }
        match self.mode {
            Mode::Logs => format!("check logs reads log lines only; {what} is not in them"),
            Mode::Url => format!("check url sees HTTP only; {what} needs `check image REF --run`"),
            Mode::Container => format!("{what} was not observed"),
        }
    }
}
