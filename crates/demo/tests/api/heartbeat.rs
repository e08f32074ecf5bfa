//! The heartbeat with SQLite: the `database` check, and the non-critical `disk` check.

use crate::helpers::*;

#[tokio::test]
async fn heartbeat_reports_database_and_disk() {
    let app = spawn_app(&[]);
    let reply = get(app.address, "/__heartbeat__").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_valid("heartbeat.schema.json", &body);
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["disk"], "ok");
    assert_eq!(get(app.address, "/__lbheartbeat__").await.status, 200);
    let version = get(app.address, "/__version__").await;
    assert_eq!(version.status, 200);
    assert_eq!(version.text(), VERSION_JSON);
}

#[tokio::test]
async fn an_unwritable_data_dir_is_a_warning_by_default() {
    let data = TempDir::new("disk");
    let data_dir = data.path().join("data");
    let app = spawn_app_with(&[("DATA_DIR", &data_dir.display().to_string())]);
    // The open database keeps working; new files cannot be created in a directory that is
    // gone (unlike a read-only one, this holds for root too).
    std::fs::remove_dir_all(&data_dir).expect("remove the data dir");
    let reply = get(app.address, "/__heartbeat__").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["status"], "warning", "{body}");
    assert_eq!(body["checks"]["disk"], "warning");
    assert_eq!(body["checks"]["database"], "ok");
    let messages = body["details"]["disk"]["messages"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(messages.contains_key("dockerflow_demo.disk.E001"), "{body}");
}

#[tokio::test]
async fn the_disk_check_is_critical_when_the_operator_says_so() {
    let data = TempDir::new("disk-critical");
    let data_dir = data.path().join("data");
    let app = spawn_app_with(&[
        ("DATA_DIR", &data_dir.display().to_string()),
        ("DOCKERFLOW_HEARTBEAT_NONCRITICAL", ""),
    ]);
    std::fs::remove_dir_all(&data_dir).expect("remove the data dir");
    let reply = get(app.address, "/__heartbeat__").await;
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert_eq!(reply.json()["checks"]["disk"], "error");
}

#[tokio::test]
async fn a_bad_database_url_is_a_one_line_start_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dockerflow-demo"))
        .env_clear()
        .env("PORT", free_port().to_string())
        .env("HOST", "127.0.0.1")
        .env("DATABASE_URL", "mysql://user:hunter2@db/links")
        .output()
        .expect("run the demo");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is redacted: {stderr}"
    );
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        validate_log_line(line);
    }
}

/// `dockerflow-demo healthcheck`, what the image's HEALTHCHECK runs: 0 while the service on
/// `$PORT` answers `/__lbheartbeat__`, 1 when nothing listens there.
#[tokio::test]
async fn the_healthcheck_subcommand_probes_lbheartbeat() {
    let app = spawn_app(&[]);
    let probe = |port: u16| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dockerflow-demo"))
            .arg("healthcheck")
            .env_clear()
            .env("PORT", port.to_string())
            .output()
            .expect("run the probe")
    };
    let ok = probe(app.address.port());
    assert!(ok.status.success(), "{ok:?}");
    let refused = probe(free_port());
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("/__lbheartbeat__"));
}
