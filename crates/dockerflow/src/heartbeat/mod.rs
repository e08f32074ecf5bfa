//! `/__heartbeat__` (CONTRACT 1.4): checks of backing services, run concurrently under time
//! limits, shared between concurrent requests, and rendered as python-dockerflow's JSON body.
//!
//! Design decisions:
//! - **Every check runs in its own task**, bounded by `min(check timeout, deadline)` measured
//!   on its `JoinHandle`, so a check that never returns (a server that accepts TCP and never
//!   answers) or that panics is reported as an error and the heartbeat still answers in time.
//! - **Single flight and reuse**: concurrent requests wait for one shared run, and a finished
//!   run is reused for `DOCKERFLOW_HEARTBEAT_REUSE_MS`, so a flood of heartbeat requests costs
//!   the database at most one check per reuse period (balrog PR #274). The run itself is a
//!   spawned task: a client that hangs up does not cancel it for the others.
//! - **Criticality is configuration**: a check named in `DOCKERFLOW_HEARTBEAT_NONCRITICAL` has
//!   its errors reported as warnings (degraded, still 200).
//! - **Messages never hold secrets**: every text goes through [`crate::redact`].

mod check;

pub use check::{BoxFuture, Check, Level, Message};

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use crate::config::{HeartbeatConfig, HeartbeatDetails};
use crate::redact::redact;

/// The outcome of one check in one heartbeat run.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The check's name.
    pub name: String,
    /// The worst level among its messages (`Ok` when there are none).
    pub level: Level,
    /// What it reported, redacted, with non-critical errors lowered to warnings.
    pub messages: Vec<Message>,
    /// How long it took.
    pub duration: Duration,
}

/// The outcome of one heartbeat run.
#[derive(Debug, Clone)]
pub struct Report {
    /// One entry per registered check, in registration order.
    pub checks: Vec<CheckReport>,
    /// The rendered bodies (full, status only), made on first use: a reused report is
    /// rendered once, not once per request.
    rendered: [OnceLock<Bytes>; 2],
}

impl Report {
    /// A report of these checks.
    pub fn new(checks: Vec<CheckReport>) -> Report {
        Report {
            checks,
            rendered: Default::default(),
        }
    }

    /// [`Report::body`] serialised, cached.
    pub fn body_bytes(&self, details: HeartbeatDetails) -> Bytes {
        let slot = match details {
            HeartbeatDetails::Full => &self.rendered[0],
            HeartbeatDetails::Status => &self.rendered[1],
        };
        slot.get_or_init(|| Bytes::from(self.body(details).to_string()))
            .clone()
    }

    /// The worst level of all checks.
    pub fn level(&self) -> Level {
        self.checks
            .iter()
            .map(|c| c.level)
            .max()
            .unwrap_or(Level::Ok)
    }

    /// The body, as python-dockerflow writes it, plus `duration_ms` in each detail.
    pub fn body(&self, details: HeartbeatDetails) -> Value {
        let status = self.level().name();
        if details == HeartbeatDetails::Status {
            return json!({ "status": status });
        }
        let mut checks = Map::new();
        let mut detail = Map::new();
        for c in &self.checks {
            checks.insert(c.name.clone(), Value::from(c.level.name()));
            if c.level > Level::Ok {
                let mut messages = Map::new();
                for m in &c.messages {
                    let text = match messages.get(&m.id).and_then(Value::as_str) {
                        Some(earlier) => format!("{earlier}; {}", m.text),
                        None => m.text.clone(),
                    };
                    messages.insert(m.id.clone(), Value::from(text));
                }
                detail.insert(
                    c.name.clone(),
                    json!({
                        "status": c.level.name(),
                        "level": c.level.number(),
                        "messages": messages,
                        "duration_ms": c.duration.as_millis() as u64,
                    }),
                );
            }
        }
        json!({ "status": status, "checks": checks, "details": detail })
    }
}

struct Registered {
    name: String,
    check: Arc<dyn Check>,
    critical: bool,
}

enum Cache {
    Empty,
    Running(watch::Receiver<Option<Arc<Report>>>),
    Done { at: Instant, report: Arc<Report> },
}

/// The heartbeat: registered checks, their limits, and the shared result.
#[derive(Clone)]
pub struct Heartbeat {
    inner: Arc<Inner>,
}

struct Inner {
    checks: Vec<Registered>,
    config: HeartbeatConfig,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.inner.checks.iter().map(|c| c.name.as_str()).collect();
        f.debug_struct("Heartbeat")
            .field("checks", &names)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Heartbeat {
    /// A heartbeat running `checks` (name, check) under `config`.
    pub fn new(config: HeartbeatConfig, checks: Vec<(String, Arc<dyn Check>)>) -> Heartbeat {
        let checks = checks
            .into_iter()
            .map(|(name, check)| {
                let critical = !config.noncritical.contains(&name);
                Registered {
                    name,
                    check,
                    critical,
                }
            })
            .collect();
        Heartbeat {
            inner: Arc::new(Inner {
                checks,
                config,
                cache: Mutex::new(Cache::Empty),
            }),
        }
    }

    /// The names of the registered checks.
    pub fn check_names(&self) -> impl Iterator<Item = &str> {
        self.inner.checks.iter().map(|c| c.name.as_str())
    }

    /// The status to answer with for `report`.
    pub fn status(&self, report: &Report) -> StatusCode {
        if report.level().is_failure() {
            self.inner.config.failed_status
        } else {
            StatusCode::OK
        }
    }

    /// How much the body shows.
    pub fn details(&self) -> HeartbeatDetails {
        self.inner.config.details
    }

    /// The current report: a reused one, the one being computed, or a new run.
    pub async fn report(&self) -> Arc<Report> {
        let mut rx = {
            let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
            match &*cache {
                Cache::Done { at, report } if at.elapsed() < self.inner.config.reuse => {
                    return report.clone()
                }
                Cache::Running(rx) => rx.clone(),
                _ => {
                    let (tx, rx) = watch::channel(None);
                    *cache = Cache::Running(rx.clone());
                    let inner = self.inner.clone();
                    // The run belongs to the request that started it: its records carry that rid.
                    tokio::spawn(crate::request_id::in_current_request(async move {
                        let report = Arc::new(inner.run().await);
                        *inner.cache.lock().unwrap_or_else(|e| e.into_inner()) = Cache::Done {
                            at: Instant::now(),
                            report: report.clone(),
                        };
                        let _ = tx.send(Some(report));
                    }));
                    rx
                }
            }
        };
        let outcome = rx.wait_for(Option::is_some).await.map(|r| r.clone());
        match outcome {
            Ok(report) => report.unwrap_or_else(|| Arc::new(Report::new(vec![]))),
            Err(_) => {
                // The run task vanished (runtime shutting down): never leave the cache stuck.
                *self.inner.cache.lock().unwrap_or_else(|e| e.into_inner()) = Cache::Empty;
                Arc::new(Report::new(vec![CheckReport {
                    name: "heartbeat".to_owned(),
                    level: Level::Error,
                    messages: vec![Message::error(
                        "dockerflow.health.E102",
                        "the heartbeat run was cancelled",
                    )],
                    duration: Duration::ZERO,
                }]))
            }
        }
    }
}

impl Inner {
    async fn run(&self) -> Report {
        let started = Instant::now();
        let limit = self.config.check_timeout.min(self.config.deadline);
        let handles: Vec<_> = self
            .checks
            .iter()
            .map(|c| {
                let check = c.check.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    let messages = check.check().await;
                    (messages, started.elapsed())
                })
            })
            .collect();
        let mut reports = Vec::with_capacity(handles.len());
        for (registered, handle) in self.checks.iter().zip(handles) {
            let remaining = limit.saturating_sub(started.elapsed());
            let abort = handle.abort_handle();
            // The check's own duration when it finished; else the time until it was given up.
            let mut took = None;
            let messages = match tokio::time::timeout(remaining, handle).await {
                Ok(Ok((messages, duration))) => {
                    took = Some(duration);
                    messages
                }
                Ok(Err(e)) if e.is_panic() => {
                    vec![Message::error(
                        "dockerflow.health.E101",
                        format!("the check panicked: {}", panic_text(e)),
                    )]
                }
                Ok(Err(_)) => vec![Message::error(
                    "dockerflow.health.E102",
                    "the check was cancelled",
                )],
                Err(_) => {
                    abort.abort();
                    vec![Message::error(
                        "dockerflow.health.E100",
                        format!("the check did not finish within {} ms", limit.as_millis()),
                    )]
                }
            };
            let duration = took.unwrap_or_else(|| started.elapsed());
            let report = self.finish(registered, messages, duration);
            crate::metrics::record_check(&report.name, report.level, duration);
            reports.push(report);
        }
        let report = Report::new(reports);
        crate::metrics::record_run(report.level());
        report
    }

    fn finish(
        &self,
        registered: &Registered,
        messages: Vec<Message>,
        duration: Duration,
    ) -> CheckReport {
        let messages: Vec<Message> = messages
            .into_iter()
            .map(|mut m| {
                m.text = redact(&m.text);
                if !registered.critical && m.level > Level::Warning {
                    m.level = Level::Warning;
                }
                m
            })
            .collect();
        for m in &messages {
            log_message(&registered.name, m);
        }
        let level = messages.iter().map(|m| m.level).max().unwrap_or(Level::Ok);
        CheckReport {
            name: registered.name.clone(),
            level,
            messages,
            duration,
        }
    }
}

fn log_message(check: &str, m: &Message) {
    match m.level {
        Level::Critical => {
            tracing::error!(target: "dockerflow.heartbeat", critical = true, check, id = %m.id, "{}: {}", m.id, m.text)
        }
        Level::Error => {
            tracing::error!(target: "dockerflow.heartbeat", check, id = %m.id, "{}: {}", m.id, m.text)
        }
        Level::Warning => {
            tracing::warn!(target: "dockerflow.heartbeat", check, id = %m.id, "{}: {}", m.id, m.text)
        }
        Level::Info => {
            tracing::info!(target: "dockerflow.heartbeat", check, id = %m.id, "{}: {}", m.id, m.text)
        }
        Level::Debug | Level::Ok => {
            tracing::debug!(target: "dockerflow.heartbeat", check, id = %m.id, "{}: {}", m.id, m.text)
        }
    }
}

fn panic_text(e: tokio::task::JoinError) -> String {
    let payload = e.into_panic();
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn config(reuse_ms: u64, noncritical: &[&str]) -> HeartbeatConfig {
        HeartbeatConfig {
            failed_status: StatusCode::INTERNAL_SERVER_ERROR,
            check_timeout: Duration::from_millis(200),
            deadline: Duration::from_millis(300),
            reuse: Duration::from_millis(reuse_ms),
            noncritical: noncritical.iter().map(|s| s.to_string()).collect(),
            details: HeartbeatDetails::Full,
        }
    }

    fn check(c: impl Check) -> Arc<dyn Check> {
        Arc::new(c)
    }

    #[tokio::test]
    async fn levels_status_and_body() {
        let hb = Heartbeat::new(
            config(0, &["cache"]),
            vec![
                ("db".into(), check(|| async { vec![] })),
                (
                    "cache".into(),
                    check(|| async { vec![Message::error("x.E1", "down")] }),
                ),
            ],
        );
        let report = hb.report().await;
        assert_eq!(report.level(), Level::Warning);
        assert_eq!(hb.status(&report), StatusCode::OK);
        let body = report.body(HeartbeatDetails::Full);
        assert_eq!(body["status"], "warning");
        assert_eq!(body["checks"]["db"], "ok");
        assert_eq!(body["checks"]["cache"], "warning");
        assert_eq!(body["details"]["cache"]["level"], 30);
        assert_eq!(body["details"]["cache"]["messages"]["x.E1"], "down");
        assert!(body["details"].get("db").is_none());
        assert_eq!(
            report.body(HeartbeatDetails::Status),
            json!({"status": "warning"})
        );
    }

    #[tokio::test]
    async fn timeouts_panics_and_redaction() {
        let hb = Heartbeat::new(
            config(0, &[]),
            vec![
                ("hang".into(), check(std::future::pending::<Vec<Message>>)),
                ("boom".into(), check(|| async { panic!("kaboom") })),
                (
                    "pw".into(),
                    check(|| async {
                        vec![Message::critical(
                            "x.E2",
                            "cannot reach postgres://u:hunter2@db/x",
                        )]
                    }),
                ),
            ],
        );
        let started = Instant::now();
        let report = hb.report().await;
        // The hanging check never ends: finishing at all proves the deadline (300 ms) cut it
        // off; the bound is generous so that a loaded machine cannot fail the test.
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(hb.status(&report), StatusCode::INTERNAL_SERVER_ERROR);
        let body = report.body(HeartbeatDetails::Full).to_string();
        assert!(body.contains("dockerflow.health.E100"), "{body}");
        assert!(
            body.contains("kaboom") && body.contains("dockerflow.health.E101"),
            "{body}"
        );
        assert!(!body.contains("hunter2"), "{body}");
        assert_eq!(report.level(), Level::Critical);
    }

    #[tokio::test]
    async fn single_flight_and_reuse() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let hb = Heartbeat::new(
            config(60_000, &[]),
            vec![(
                "slow".into(),
                check(move || {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        vec![]
                    }
                }),
            )],
        );
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let hb = hb.clone();
            tasks.push(tokio::spawn(async move { hb.report().await.level() }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Level::Ok);
        }
        hb.report().await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
