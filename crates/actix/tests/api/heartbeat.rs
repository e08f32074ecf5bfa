//! `/__heartbeat__` (CONTRACT 1.4) through the library's runner: a passing and a failing check.

use crate::helpers::*;

#[tokio::test]
async fn passing_check_is_200_in_the_python_dockerflow_shape() {
    let backend = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a backend");
    let address = backend.local_addr().expect("its address").to_string();
    let app = spawn_app(&[("EXAMPLE_TCP_CHECK", &address)]);
    let r = get(app.address, "/__heartbeat__").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let body = r.json();
    assert_valid("heartbeat.schema.json", &body);
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

#[tokio::test]
async fn failing_check_is_500_with_details_and_a_logged_error() {
    let closed = free_port();
    let app = spawn_app(&[("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}"))]);
    let r = get(app.address, "/__heartbeat__").await;
    assert_eq!(r.status, 500);
    let body = r.json();
    assert_valid("heartbeat.schema.json", &body);
    assert_eq!(body["status"], "error");
    assert_eq!(body["checks"]["backend"], "error");
    assert_eq!(body["checks"]["version"], "ok");
    assert_eq!(body["details"]["backend"]["level"], 40);
    assert!(body["details"]["backend"]["messages"]["dockerflow.tcp.E001"].is_string());
    let record = app.wait_for_log(|v| v["Type"] == "dockerflow.heartbeat" && v["Severity"] == 3);
    assert_eq!(record["Fields"]["check"], "backend");
    assert_eq!(record["Fields"]["rid"].as_str(), r.header("x-request-id"));
    // The summary of a failed heartbeat is an error record with errno.
    let summary = app.wait_for_log(|v| {
        v["Type"] == "request.summary" && v["Fields"]["path"] == "/__heartbeat__"
    });
    assert_eq!(summary["Fields"]["code"], 500);
    assert_eq!(summary["Fields"]["errno"], 500);
    assert_eq!(summary["Severity"], 3);

    let configured = spawn_app(&[
        ("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}")),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS", "503"),
    ]);
    assert_eq!(get(configured.address, "/__heartbeat__").await.status, 503);
}
