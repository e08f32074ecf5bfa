//! The platform part of the service contract, written once for every server that implements
//! it (the tower library's example and the actix-web adapter's), each run as a child process:
//! `/__version__`, `/__lbheartbeat__` and `/__error__` (CONTRACT 1.2, 1.3, 1.7), the
//! heartbeat's passing and failing answers (1.4) and its checks' panics, W3C trace context and
//! request ids (1.9), Google Cloud Logging's keys (1.8), graceful shutdown (1.9). Every stdout
//! line is validated against `contract/` as it is read. A suite runs them all with
//! [`platform_tests!`](crate::platform_tests).
//!
//! Each service must answer `/request-id` with the request id header its app sees on the
//! request (or `none`), and `/log` with an info record written inside the request.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::{get, request};
use crate::service::{spawn, Service, VERSION_JSON};

/// A valid `traceparent` and its ids.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
pub const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub const SPAN_ID: &str = "00f067aa0ba902b7";

fn summary_for(app: &Service, path: &str, rid: &str) -> Value {
    app.wait_for_log(|v| {
        v["Type"] == "request.summary" && v["Fields"]["path"] == path && v["Fields"]["rid"] == rid
    })
}

/// The request id falls back to a valid `traceparent`'s trace id; the summary carries
/// `trace_id` and `span_id`; the app sees on the request the id the logs show; an invalid
/// `traceparent` is ignored and never echoed.
pub async fn trace_context(program: &str) {
    let app = spawn(program, &[]);

    let r = request(
        app.address,
        "GET",
        "/request-id",
        &[("traceparent", TRACEPARENT)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-request-id"),
        Some(TRACE_ID),
        "the trace id is the rid"
    );
    assert_eq!(r.text(), TRACE_ID, "the app sees the id on the request");
    let s = summary_for(&app, "/request-id", TRACE_ID);
    assert_eq!(s["Fields"]["trace_id"], TRACE_ID);
    assert_eq!(s["Fields"]["span_id"], SPAN_ID);

    let r = request(
        app.address,
        "GET",
        "/request-id",
        &[("traceparent", TRACEPARENT), ("X-Request-ID", "mine-1")],
    )
    .await;
    assert_eq!(
        r.header("x-request-id"),
        Some("mine-1"),
        "the header's id wins"
    );
    assert_eq!(r.text(), "mine-1");
    let s = summary_for(&app, "/request-id", "mine-1");
    assert_eq!(
        s["Fields"]["trace_id"], TRACE_ID,
        "the trace is kept beside it"
    );

    let r = get(app.address, "/request-id").await;
    let generated = r.header("x-request-id").expect("an id").to_owned();
    assert_eq!(generated.len(), 36, "a new UUID: {generated}");
    assert_eq!(
        r.text(),
        generated,
        "a generated id is set on the request too"
    );
    let s = summary_for(&app, "/request-id", &generated);
    assert!(s["Fields"].get("trace_id").is_none(), "{s}");

    let invalid = [
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "ff-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-00f067aa0ba902b7-01",
        "00-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-00f067aa0ba902b7-01-extra",
    ];
    for bad in invalid {
        let r = request(app.address, "GET", "/request-id", &[("traceparent", bad)]).await;
        let rid = r.header("x-request-id").expect("an id").to_owned();
        assert_eq!(rid.len(), 36, "{bad} is ignored: a new UUID, got {rid}");
        let s = summary_for(&app, "/request-id", &rid);
        assert!(s["Fields"].get("trace_id").is_none(), "{s}");
        let trace_part = &bad[3..35];
        assert!(!r.headers.values().any(|v| v.contains(trace_part)));
    }

    let r = request(app.address, "GET", "/log", &[("traceparent", TRACEPARENT)]).await;
    assert_eq!(r.status, 200);
    let inside = app.wait_for_log(|v| v["Fields"]["msg"] == "inside a request");
    assert_eq!(inside["Fields"]["rid"], TRACE_ID);
    assert_eq!(inside["Fields"]["trace_id"], TRACE_ID);
    assert_eq!(inside["Fields"]["span_id"], SPAN_ID);

    for bad in invalid {
        assert!(!app.stdout_contains(&bad[3..35]), "{bad} reached the log");
    }
}

/// `DOCKERFLOW_LOG_GCP=true`: every line (start-up, inside a request, summaries through the
/// fast path and, over the line limit, the tracing path) has `severity` and `message`; with a
/// `traceparent` and a project (`DOCKERFLOW_GCP_PROJECT`, else `GOOGLE_CLOUD_PROJECT`), the
/// trace keys; without a project, none.
pub async fn cloud_logging(program: &str) {
    for (env, project) in [
        (
            vec![
                ("DOCKERFLOW_LOG_GCP", "true"),
                ("DOCKERFLOW_GCP_PROJECT", "ours"),
                ("GOOGLE_CLOUD_PROJECT", "googles"),
                ("DOCKERFLOW_LOG_MAX_BYTES", "1024"),
            ],
            Some("ours"),
        ),
        (
            vec![
                ("DOCKERFLOW_LOG_GCP", "1"),
                ("GOOGLE_CLOUD_PROJECT", "googles"),
                ("DOCKERFLOW_LOG_MAX_BYTES", "1024"),
            ],
            Some("googles"),
        ),
        (
            vec![
                ("DOCKERFLOW_LOG_GCP", "true"),
                ("DOCKERFLOW_LOG_MAX_BYTES", "1024"),
            ],
            None,
        ),
    ] {
        let app = spawn(program, &env);
        let traced = [("traceparent", TRACEPARENT)];
        request(app.address, "GET", "/log", &traced).await;
        request(app.address, "GET", "/__version__", &traced).await;
        get(app.address, "/nope").await;
        let long_lang = "a".repeat(2000);
        let long = [
            ("traceparent", TRACEPARENT),
            ("Accept-Language", long_lang.as_str()),
        ];
        request(app.address, "GET", "/", &long).await;

        let summaries = app.wait_for_logs(4, |v| v["Type"] == "request.summary");
        assert_eq!(summaries.len(), 4, "{summaries:#?}");
        for line in app.logs() {
            let severity = line["severity"]
                .as_str()
                .unwrap_or_else(|| panic!("{line}"));
            assert!(!severity.is_empty());
            let expected = match line["Fields"].get("msg") {
                Some(msg) => msg.clone(),
                None => line["Type"].clone(),
            };
            assert_eq!(line["message"], expected, "{line}");
            let traced = line["Fields"].get("trace_id").is_some();
            let trace = line.get("logging.googleapis.com/trace");
            match project {
                Some(project) if traced => {
                    assert_eq!(
                        trace.and_then(Value::as_str),
                        Some(format!("projects/{project}/traces/{TRACE_ID}").as_str()),
                        "{line}"
                    );
                    assert_eq!(line["logging.googleapis.com/spanId"], SPAN_ID);
                }
                _ => assert!(trace.is_none(), "{line}"),
            }
        }
        let by_path = |path: &str| {
            summaries
                .iter()
                .find(|s| s["Fields"]["path"] == path)
                .unwrap_or_else(|| panic!("no summary of {path}: {summaries:#?}"))
                .clone()
        };
        let version = by_path("/__version__");
        assert_eq!(version["severity"], "INFO");
        assert_eq!(version["message"], "request.summary");
        assert_eq!(version["Fields"]["trace_id"], TRACE_ID);
        assert_eq!(by_path("/nope")["severity"], "INFO");
        let truncated = by_path("/");
        assert!(truncated["Fields"]["truncated"].is_u64(), "{truncated}");
        assert_eq!(truncated["Fields"]["trace_id"], TRACE_ID);
        let inside = app.wait_for_log(|v| v["Fields"]["msg"] == "inside a request");
        assert_eq!(inside["severity"], "INFO");
        assert_eq!(inside["message"], "inside a request");
        assert!(app
            .raw_stdout()
            .iter()
            .all(|l| l.len() <= 1024 && l.starts_with("{\"Timestamp\":")));
    }
}

/// `/__version__` (CONTRACT 1.2): the file byte for byte, `application/json`, `no-store`, its
/// length; HEAD answers the same headers with no body; a trailing slash is the same path.
pub async fn version_served_verbatim(program: &str) {
    let app = spawn(program, &[]);
    let length = VERSION_JSON.len().to_string();
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, VERSION_JSON.as_bytes(), "byte for byte");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("content-length"), Some(length.as_str()));
    crate::schema::assert_valid("version.schema.json", &r.json());

    let head = request(app.address, "HEAD", "/__version__", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(length.as_str()));
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(head.header("cache-control"), Some("no-store"));

    let slash = get(app.address, "/__version__/").await;
    assert_eq!(
        (slash.status, slash.body),
        (200, VERSION_JSON.as_bytes().to_vec())
    );
}

/// A missing version file: `/__version__` is a 404 naming the path, a warning is logged, and
/// the heartbeat warns (W001) but keeps 200.
pub async fn version_file_missing(program: &str) {
    let app = spawn(
        program,
        &[("DOCKERFLOW_VERSION_FILE", "/nonexistent/version.json")],
    );
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        error.contains("/nonexistent/version.json") && error.contains("missing"),
        "{error}"
    );
    app.wait_for_log(|v| {
        v["Severity"] == 4
            && v["Fields"]["msg"]
                .as_str()
                .unwrap_or("")
                .contains("/nonexistent/version.json")
    });
    let hb = get(app.address, "/__heartbeat__").await;
    assert_eq!(hb.status, 200, "a warning keeps 200: {}", hb.text());
    let body = hb.json();
    assert_eq!(body["status"], "warning");
    assert_eq!(
        body["details"]["version"]["messages"]["dockerflow.version.W001"]
            .as_str()
            .map(|s| s.contains("missing")),
        Some(true)
    );
}

/// A version file that breaks the schema: `/__version__` is a 404 with the reason, and the
/// heartbeat's version check warns.
pub async fn version_file_invalid(program: &str) {
    let dir = crate::TempDir::new("badversion");
    let path = dir.path().join("version.json");
    std::fs::write(
        &path,
        r#"{"source": "https://x.example", "version": "1", "commit": "abcdef0"}"#,
    )
    .expect("write version.json");
    let app = spawn(
        program,
        &[("DOCKERFLOW_VERSION_FILE", path.to_str().expect("utf-8"))],
    );
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.status, 404);
    let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("\"build\" is missing"), "{error}");
    let hb = get(app.address, "/__heartbeat__").await.json();
    assert_eq!(hb["details"]["version"]["level"], 30);
}

/// `/__lbheartbeat__` (CONTRACT 1.3): 200, empty, `no-store`, also on HEAD with a trailing
/// slash, while a backend the heartbeat checks is down.
pub async fn lbheartbeat_ignores_backends(program: &str) {
    let closed = crate::process::free_port();
    let app = spawn(
        program,
        &[("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}"))],
    );
    let r = get(app.address, "/__lbheartbeat__").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let head = request(app.address, "HEAD", "/__lbheartbeat__/", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("cache-control"), Some("no-store"));
    assert_eq!(get(app.address, "/__heartbeat__").await.status, 500);
}

/// Methods other than GET and HEAD on the endpoints (with or without a trailing slash): 405,
/// `Allow: GET, HEAD`, `no-store`.
pub async fn other_methods_are_405(program: &str) {
    let app = spawn(program, &[]);
    for path in [
        "/__version__",
        "/__heartbeat__",
        "/__heartbeat__/",
        "/__lbheartbeat__",
    ] {
        for method in ["POST", "PUT", "DELETE"] {
            let r = request(app.address, method, path, &[("Content-Length", "0")]).await;
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.header("allow"), Some("GET, HEAD"));
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
    }
}

/// `/__error__` without `DOCKERFLOW_ERROR_TOKEN` (CONTRACT 1.7): the path is the app's (which
/// answers `unclaimed` to a `/__` path it does not serve) and nothing is raised.
pub async fn error_endpoint_off_by_default(program: &str, unclaimed: u16) {
    let app = spawn(program, &[]);
    let r = request(
        app.address,
        "GET",
        "/__error__",
        &[("Authorization", "Bearer anything")],
    )
    .await;
    assert_eq!(r.status, unclaimed, "the path is the app's");
    assert!(app.logs().iter().all(|v| v["Type"] != "dockerflow.error"));
}

/// `/__error__` with a token: without `Authorization: Bearer TOKEN` the path is the app's
/// (`unclaimed`); with it, a 500 (`no-store`, the app's middleware not run) and an error record
/// carrying the request's id; the token never reaches the logs.
pub async fn error_endpoint_needs_the_token(program: &str, unclaimed: u16) {
    let app = spawn(program, &[("DOCKERFLOW_ERROR_TOKEN", "s3cret-token")]);
    for headers in [
        &[][..],
        &[("Authorization", "Bearer wrong")][..],
        &[("Authorization", "s3cret-token")][..],
    ] {
        let r = request(app.address, "GET", "/__error__", headers).await;
        assert_eq!(
            r.status, unclaimed,
            "left to the app without the token: {headers:?}"
        );
    }
    let r = request(
        app.address,
        "GET",
        "/__error__",
        &[("Authorization", "Bearer s3cret-token")],
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-app-middleware"), None);
    let record = app.wait_for_log(|v| v["Type"] == "dockerflow.error");
    assert_eq!(record["Severity"], 3);
    assert!(record["Fields"]["error"].is_string());
    assert_eq!(
        record["Fields"]["rid"].as_str(),
        r.header("x-request-id"),
        "the error record carries the request's id"
    );
    assert!(
        !app.stdout_contains("s3cret-token"),
        "the token never reaches the logs"
    );
}

/// `/__heartbeat__` with a passing check (CONTRACT 1.4): 200 in python-dockerflow's shape,
/// `no-store`, and HEAD (with a trailing slash) answers the same length with no body.
pub async fn heartbeat_passing(program: &str) {
    let backend = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a backend");
    let address = backend.local_addr().expect("its address").to_string();
    let app = spawn(program, &[("EXAMPLE_TCP_CHECK", &address)]);
    let r = get(app.address, "/__heartbeat__").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let body = r.json();
    crate::schema::assert_valid("heartbeat.schema.json", &body);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["backend"], "ok");
    assert_eq!(body["checks"]["version"], "ok");
    assert_eq!(body["details"], serde_json::json!({}));
    let head = request(app.address, "HEAD", "/__heartbeat__/", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
}

/// `/__heartbeat__` with a failing check: 500 (or `DOCKERFLOW_HEARTBEAT_FAILED_STATUS`) with
/// the check's details; the failure logged at error level with the request's id (a UUID when
/// the request brought none), and the request's summary an error record with errno.
pub async fn heartbeat_failing(program: &str) {
    let closed = crate::process::free_port();
    let app = spawn(
        program,
        &[("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}"))],
    );
    let r = get(app.address, "/__heartbeat__").await;
    assert_eq!(r.status, 500);
    let body = r.json();
    crate::schema::assert_valid("heartbeat.schema.json", &body);
    assert_eq!(body["status"], "error");
    assert_eq!(body["checks"]["backend"], "error");
    assert_eq!(body["checks"]["version"], "ok");
    assert_eq!(body["details"]["backend"]["level"], 40);
    assert!(body["details"]["backend"]["messages"]["dockerflow.tcp.E001"].is_string());
    let record = app.wait_for_log(|v| v["Type"] == "dockerflow.heartbeat" && v["Severity"] == 3);
    assert_eq!(record["Fields"]["check"], "backend");
    assert_eq!(record["Fields"]["rid"].as_str().map(str::len), Some(36));
    assert_eq!(record["Fields"]["rid"].as_str(), r.header("x-request-id"));
    let summary = app.wait_for_log(|v| {
        v["Type"] == "request.summary" && v["Fields"]["path"] == "/__heartbeat__"
    });
    assert_eq!(summary["Fields"]["code"], 500);
    assert_eq!(summary["Fields"]["errno"], 500);
    assert_eq!(summary["Severity"], 3);

    let configured = spawn(
        program,
        &[
            ("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}")),
            ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS", "503"),
        ],
    );
    assert_eq!(get(configured.address, "/__heartbeat__").await.status, 503);
}

/// The example's `/slow` handler has the request.
fn slow_started(v: &Value) -> bool {
    v["Type"] == "example.slow"
}

/// The first shutdown request was taken: `/__lbheartbeat__` answers 503 from here on.
fn draining(v: &Value) -> bool {
    v["Type"] == "dockerflow.shutdown"
        && v["Fields"]["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("draining"))
}

/// Graceful shutdown (CONTRACT 1.9): on SIGTERM `/__lbheartbeat__` answers 503 (`no-store`)
/// while everything else still works, every in-flight request finishes and is summarised, the
/// listener closes and the process exits 0, each step logged.
pub async fn shutdown_finishes_in_flight_requests(program: &str) {
    let mut app = spawn(
        program,
        &[
            ("DOCKERFLOW_DRAIN_DELAY_MS", "600"),
            ("DOCKERFLOW_GRACE_PERIOD_MS", "10000"),
        ],
    );
    let mut in_flight = Vec::new();
    for i in 0..8 {
        let a = app.address;
        in_flight.push(tokio::spawn(async move {
            request(a, "GET", &format!("/slow?ms={}", 1200 + i * 50), &[]).await
        }));
    }
    app.until_logs("8 requests in the handler", 8, slow_started)
        .await;
    let signalled = Instant::now();
    app.signal("TERM");
    app.until_logs("the drain starts", 1, draining).await;

    // Draining: the load balancer is told to go away, everything else still works.
    let lb = get(app.address, "/__lbheartbeat__").await;
    assert_eq!(lb.status, 503);
    assert_eq!(lb.header("cache-control"), Some("no-store"));
    assert_eq!(get(app.address, "/").await.status, 200);

    for task in in_flight {
        let r = task.await.expect("request task");
        assert_eq!((r.status, r.text()), (200, "slow done".to_owned()));
    }
    let status = app.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "{:?}",
        signalled.elapsed()
    );
    // After the drain delay the listener is closed.
    assert!(tokio::net::TcpStream::connect(app.address).await.is_err());
    let messages: Vec<String> = app
        .logs()
        .iter()
        .filter(|v| v["Type"] == "dockerflow.shutdown")
        .map(|v| v["Fields"]["msg"].to_string())
        .collect();
    for expected in [
        "received SIGTERM",
        "draining",
        "listener closed",
        "all connections closed",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{expected}: {messages:?}"
        );
    }
    assert_eq!(
        app.summaries()
            .iter()
            .filter(|v| v["Fields"]["path"] == "/slow")
            .count(),
        8
    );
}

/// SIGINT starts the drain as SIGTERM does; a second signal cuts it short: the listener closes,
/// no new connection is served, the in-flight request still finishes, and the process exits 0.
pub async fn shutdown_second_signal_cuts_the_drain(program: &str) {
    let mut app = spawn(
        program,
        &[
            ("DOCKERFLOW_DRAIN_DELAY_MS", "30000"),
            ("DOCKERFLOW_GRACE_PERIOD_MS", "10000"),
        ],
    );
    let a = app.address;
    let in_flight = tokio::spawn(async move { request(a, "GET", "/slow?ms=1500", &[]).await });
    app.until_logs("the request in the handler", 1, slow_started)
        .await;
    app.signal("INT");
    app.until_logs("the drain starts", 1, draining).await;
    assert_eq!(get(app.address, "/__lbheartbeat__").await.status, 503);
    let second = Instant::now();
    app.signal("TERM");
    // Past the drain: no new connection is accepted while the slow request finishes.
    app.until_logs("the listener closes", 1, |v| {
        v["Fields"]["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("listener closed"))
    })
    .await;
    assert!(
        !in_flight.is_finished(),
        "the slow request is still in flight"
    );
    let refused = tokio::time::timeout(Duration::from_millis(500), async {
        match tokio::net::TcpStream::connect(app.address).await {
            Err(_) => true,
            // A socket still in the kernel's backlog is never served: it reads EOF or reset.
            Ok(mut s) => {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
                let mut buf = [0u8; 1];
                !matches!(s.read(&mut buf).await, Ok(n) if n > 0)
            }
        }
    })
    .await;
    assert_ne!(
        refused,
        Ok(false),
        "a new connection was served after the drain"
    );
    let r = in_flight.await.expect("request task");
    assert_eq!((r.status, r.text()), (200, "slow done".to_owned()));
    let status = app.wait_exit(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    assert!(second.elapsed() < Duration::from_secs(3));
}

/// A request still running when the grace period ends does not hold the exit: the process
/// exits 0 soon after, with an error record saying so.
pub async fn shutdown_past_the_grace_period(program: &str) {
    let mut app = spawn(program, &[("DOCKERFLOW_GRACE_PERIOD_MS", "300")]);
    let a = app.address;
    let stuck = tokio::spawn(async move { request(a, "GET", "/slow?ms=20000", &[]).await });
    app.until_logs("the request in the handler", 1, slow_started)
        .await;
    let signalled = Instant::now();
    app.signal("TERM");
    let status = app.wait_exit(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    assert!(
        signalled.elapsed() < Duration::from_secs(2),
        "{:?}",
        signalled.elapsed()
    );
    stuck.abort();
    app.wait_for_log(|v| v["Type"] == "dockerflow.shutdown" && v["Severity"] == 3);
}

/// A check that panics is an error for that check alone, with the panic message in its
/// details; the heartbeat still answers, the other checks are reported as they are, and the
/// service goes on serving (python-dockerflow #56).
pub async fn panicking_check(program: &str) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let backend = listener.local_addr().expect("its address").to_string();
    let app = spawn(
        program,
        &[
            ("EXAMPLE_PANIC_CHECK", "the check fell over"),
            ("EXAMPLE_TCP_CHECK", &backend),
        ],
    );
    for _ in 0..2 {
        let r = get(app.address, "/__heartbeat__").await;
        assert_eq!(r.status, 500, "{}", r.text());
        let body = r.json();
        crate::schema::assert_valid("heartbeat.schema.json", &body);
        assert_eq!(body["status"], "error");
        assert_eq!(body["checks"]["boom"], "error");
        assert_eq!(
            body["checks"]["backend"], "ok",
            "the other check is unaffected"
        );
        let boom = &body["details"]["boom"];
        assert_eq!(boom["level"], 40);
        let text = boom["messages"]["dockerflow.health.E101"]
            .as_str()
            .unwrap_or_else(|| panic!("no E101 message: {body}"));
        assert!(text.contains("the check fell over"), "{text}");
        assert!(body["details"].get("backend").is_none());
    }
    assert_eq!(get(app.address, "/__lbheartbeat__").await.status, 200);
    assert_eq!(get(app.address, "/").await.status, 200, "still serving");
}

/// `PROGRAM healthcheck` (the self-probe): exit 0 when the service's `/__lbheartbeat__`
/// answers 200 on `$PORT` over loopback; 1 with a one-line reason when nothing listens, when
/// the port never answers (within its one-second deadline), and while the service drains.
pub async fn self_probe(program: &str) {
    let probe = |port: u16| {
        let started = std::time::Instant::now();
        let output = std::process::Command::new(program)
            .arg("healthcheck")
            .env_clear()
            .env("PORT", port.to_string())
            .output()
            .expect("run the probe");
        (output, started.elapsed())
    };
    let app = spawn(program, &[("DOCKERFLOW_DRAIN_DELAY_MS", "3000")]);
    let (ok, _) = probe(app.address.port());
    assert!(ok.status.success(), "{ok:?}");
    assert!(ok.stdout.is_empty() && ok.stderr.is_empty(), "{ok:?}");

    let closed = crate::process::free_port();
    let (refused, _) = probe(closed);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let reason = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(
        reason.starts_with("healthcheck: GET http://") && reason.trim_end().lines().count() == 1,
        "{reason}"
    );

    // Accepts the connection, never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let (hung, took) = probe(silent.local_addr().expect("address").port());
    assert_eq!(hung.status.code(), Some(1), "{hung:?}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "the probe hung {took:?}"
    );

    app.signal("TERM");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let (draining, _) = probe(app.address.port());
        if draining.status.code() == Some(1) {
            let reason = String::from_utf8_lossy(&draining.stderr).into_owned();
            assert!(reason.contains("503"), "{reason}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still healthy while draining"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Defines the suite's tests, one `#[tokio::test]` per function above, run against `program`
/// (a test crate's example binary, whose app answers `unclaimed` to a `/__` path it does not
/// serve): `dockerflow_testkit::platform_tests!(env!("CARGO_BIN_EXE_x"), 404);` in a module of
/// its own. The test crate needs `tokio` with its `macros` feature.
#[macro_export]
macro_rules! platform_tests {
    ($program:expr, $unclaimed:expr) => {
        $crate::platform_tests!(@each $program;
            trace_context => trace_context(),
            cloud_logging => cloud_logging(),
            version_is_served_verbatim_on_get_head_and_trailing_slash => version_served_verbatim(),
            missing_version_file_is_404_with_the_path_and_a_warning => version_file_missing(),
            invalid_version_file_is_404_with_the_reason => version_file_invalid(),
            lbheartbeat_is_200_empty_and_never_touches_backends => lbheartbeat_ignores_backends(),
            other_methods_are_405 => other_methods_are_405(),
            error_endpoint_is_off_by_default => error_endpoint_off_by_default($unclaimed),
            error_endpoint_needs_the_token => error_endpoint_needs_the_token($unclaimed),
            a_passing_heartbeat_is_200_in_the_python_dockerflow_shape => heartbeat_passing(),
            a_failing_heartbeat_is_500_with_details_and_a_logged_error => heartbeat_failing(),
            sigterm_finishes_every_in_flight_request_and_exits_0 =>
                shutdown_finishes_in_flight_requests(),
            the_listener_closes_after_the_drain_and_a_second_signal_cuts_it =>
                shutdown_second_signal_cuts_the_drain(),
            requests_past_the_grace_period_do_not_hold_the_exit => shutdown_past_the_grace_period(),
            a_panicking_check_is_an_error_for_that_check_alone => panicking_check(),
            the_self_probe => self_probe(),
        );
    };
    // One test per row, `test_name => suite_function(more arguments)`: the function called with
    // the program, then the row's arguments.
    (@each $program:expr; $($test:ident => $function:ident($($arg:expr),*),)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                $crate::platform::$function($program $(, $arg)*).await;
            }
        )*
    };
}
