//! `/__heartbeat__`: limits, criticality, details and secrets (its passing and failing answers
//! are the platform suite's, `platform.rs`).

use std::time::{Duration, Instant};

use crate::helpers::*;

#[tokio::test]
async fn noncritical_failures_are_warnings_and_keep_200() {
    let closed = free_port();
    let app = spawn_app(&[
        ("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}")),
        ("DOCKERFLOW_HEARTBEAT_NONCRITICAL", "backend"),
    ]);
    let r = get(app.address, "/__heartbeat__").await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["status"], "warning");
    assert_eq!(body["details"]["backend"]["level"], 30);
}

#[tokio::test]
async fn details_can_be_hidden() {
    let closed = free_port();
    let app = spawn_app(&[
        ("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}")),
        ("DOCKERFLOW_HEARTBEAT_DETAILS", "status"),
    ]);
    let r = get(app.address, "/__heartbeat__").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json(), serde_json::json!({"status": "error"}));
}

#[tokio::test]
async fn passwords_never_appear() {
    let closed = free_port();
    let url = format!("http://admin:hunter2@127.0.0.1:{closed}/health");
    let app = spawn_app(&[
        ("EXAMPLE_HTTP_CHECK", &url),
        ("EXAMPLE_REDIS_CHECK", "rediss://:hunter2@127.0.0.1:1"),
    ]);
    let r = get(app.address, "/__heartbeat__").await;
    assert_eq!(r.status, 500);
    let text = r.text();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("admin:***@"), "{text}");
    app.wait_for_log(|v| v["Type"] == "dockerflow.heartbeat");
    assert!(!app.stdout_contains("hunter2"));
}

/// A backing service that accepts TCP and never answers: the heartbeat still answers 5xx
/// within its deadline, and `/__lbheartbeat__` keeps answering at once meanwhile.
#[tokio::test]
async fn a_backend_that_never_answers_cannot_hang_the_heartbeat() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let holder = tokio::spawn({
        let accepted = accepted.clone();
        async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                held.push(stream); // accepted, never answered
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    let app = spawn_app(&[
        ("EXAMPLE_REDIS_CHECK", &format!("redis://{address}")),
        ("DOCKERFLOW_HEARTBEAT_CHECK_TIMEOUT_MS", "800"),
        ("DOCKERFLOW_HEARTBEAT_DEADLINE_MS", "1000"),
    ]);
    let started = Instant::now();
    let heartbeat = tokio::spawn({
        let a = app.address;
        async move { get(a, "/__heartbeat__").await }
    });
    dockerflow_testkit::http::until("the check connects to the silent backend", || {
        accepted.load(std::sync::atomic::Ordering::SeqCst) > 0
    })
    .await;
    // While the heartbeat hangs on the backend, `/__lbheartbeat__` answers (how fast is a
    // benchmark's business, not this test's).
    let lb = get(app.address, "/__lbheartbeat__").await;
    assert_eq!(lb.status, 200);
    assert!(
        !heartbeat.is_finished(),
        "the heartbeat was still waiting on the backend when /__lbheartbeat__ answered"
    );
    let r = heartbeat.await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(2500),
        "took {took:?}"
    );
    let body = r.json();
    let message = body["details"]["cache"]["messages"]["dockerflow.health.E100"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("800 ms"), "{body}");
    holder.abort();
}

/// A flood of heartbeats shares runs: the backend sees far fewer checks than requests.
#[tokio::test]
async fn concurrent_heartbeats_share_one_run() {
    let backend = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = backend.local_addr().unwrap();
    // The peer address of every connection, in the order accepted.
    let peers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let server = tokio::spawn({
        let peers = peers.clone();
        async move {
            while let Ok((_stream, peer)) = backend.accept().await {
                peers.lock().unwrap().push(peer);
            }
        }
    });
    let app = spawn_app(&[
        ("EXAMPLE_TCP_CHECK", &address.to_string()),
        ("DOCKERFLOW_HEARTBEAT_REUSE_MS", "60000"),
    ]);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let a = app.address;
        tasks.push(tokio::spawn(async move {
            get(a, "/__heartbeat__").await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    // Every check connected before its heartbeat answered; one more connection of our own,
    // once counted, means every earlier one (accepted in order) has been counted too.
    let marker = tokio::net::TcpStream::connect(address).await.unwrap();
    let marker = marker.local_addr().unwrap();
    dockerflow_testkit::http::until("the marker connection is accepted", || {
        peers.lock().unwrap().contains(&marker)
    })
    .await;
    let checks = peers
        .lock()
        .unwrap()
        .iter()
        .filter(|p| **p != marker)
        .count();
    assert_eq!(checks, 1, "one check for 40 requests");
    server.abort();
}
