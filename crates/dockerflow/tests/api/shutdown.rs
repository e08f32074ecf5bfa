//! Graceful shutdown (CONTRACT 1.9): drain, finish in-flight requests, exit 0.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

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

#[tokio::test]
async fn sigterm_finishes_every_in_flight_request_and_exits_0() {
    let mut app = spawn_app(&[
        ("DOCKERFLOW_DRAIN_DELAY_MS", "600"),
        ("DOCKERFLOW_GRACE_PERIOD_MS", "10000"),
    ]);
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
    assert_eq!(get(app.address, "/").await.status, 200);

    for task in in_flight {
        let r = task.await.unwrap();
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
    assert!(
        messages.iter().any(|m| m.contains("draining")),
        "{messages:?}"
    );
    assert_eq!(
        app.summaries()
            .iter()
            .filter(|v| v["Fields"]["path"] == "/slow")
            .count(),
        8
    );
}

#[tokio::test]
async fn sigint_does_the_same_and_a_second_signal_cuts_the_drain() {
    let mut app = spawn_app(&[("DOCKERFLOW_DRAIN_DELAY_MS", "30000")]);
    app.signal("INT");
    app.until_logs("the drain starts", 1, draining).await;
    assert_eq!(get(app.address, "/__lbheartbeat__").await.status, 503);
    let second = Instant::now();
    app.signal("TERM");
    let status = app.wait_exit(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    assert!(second.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn requests_past_the_grace_period_do_not_hold_the_exit() {
    let mut app = spawn_app(&[("DOCKERFLOW_GRACE_PERIOD_MS", "300")]);
    let a = app.address;
    let stuck = tokio::spawn(async move { request(a, "GET", "/slow?ms=20000", &[]).await });
    app.until_logs("the request in the handler", 1, slow_started)
        .await;
    app.signal("TERM");
    let status = app.wait_exit(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    stuck.abort();
    app.wait_for_log(|v| v["Type"] == "dockerflow.shutdown" && v["Severity"] == 3);
}
