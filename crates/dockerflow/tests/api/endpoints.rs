//! `/__version__`, `/__lbheartbeat__`, `/__error__` and what all endpoints share.

use crate::helpers::*;

#[tokio::test]
async fn version_is_served_verbatim() {
    let app = spawn_app(&[]);
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, VERSION_JSON.as_bytes(), "byte for byte");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.header("content-length"),
        Some(VERSION_JSON.len().to_string().as_str())
    );
    assert_valid("version.schema.json", &r.json());

    let head = request(app.address, "HEAD", "/__version__", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(VERSION_JSON.len().to_string().as_str())
    );
    assert_eq!(head.header("content-type"), Some("application/json"));

    let slash = get(app.address, "/__version__/").await;
    assert_eq!(
        (slash.status, slash.body),
        (200, VERSION_JSON.as_bytes().to_vec())
    );
}

#[tokio::test]
async fn missing_version_file_is_404_with_the_path_and_a_warning() {
    let app = spawn_app(&[("DOCKERFLOW_VERSION_FILE", "/nonexistent/version.json")]);
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let error = r.json()["error"].as_str().unwrap().to_owned();
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

#[tokio::test]
async fn invalid_version_file_is_404_with_the_reason() {
    let dir = TempDir::new("badversion");
    let path = dir.path().join("version.json");
    std::fs::write(
        &path,
        r#"{"source": "https://x.example", "version": "1", "commit": "abcdef0"}"#,
    )
    .unwrap();
    let app = spawn_app(&[("DOCKERFLOW_VERSION_FILE", path.to_str().unwrap())]);
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.status, 404);
    let error = r.json()["error"].as_str().unwrap().to_owned();
    assert!(error.contains("\"build\" is missing"), "{error}");
    let hb = get(app.address, "/__heartbeat__").await.json();
    assert_eq!(hb["details"]["version"]["level"], 30);
}

#[tokio::test]
async fn lbheartbeat_is_200_empty_and_never_touches_backends() {
    // The backend is down: the heartbeat fails, the lbheartbeat does not care.
    let closed = free_port();
    let app = spawn_app(&[("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}"))]);
    let r = get(app.address, "/__lbheartbeat__").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let head = request(app.address, "HEAD", "/__lbheartbeat__/", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(get(app.address, "/__heartbeat__").await.status, 500);
}

#[tokio::test]
async fn other_methods_are_405() {
    let app = spawn_app(&[]);
    for path in ["/__version__", "/__heartbeat__", "/__lbheartbeat__"] {
        let r = request(app.address, "POST", path, &[("Content-Length", "0")]).await;
        assert_eq!(r.status, 405, "{path}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
}

#[tokio::test]
async fn error_endpoint_is_off_by_default() {
    let app = spawn_app(&[]);
    let r = request(
        app.address,
        "GET",
        "/__error__",
        &[("Authorization", "Bearer anything")],
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(app.logs().iter().all(|v| v["Type"] != "dockerflow.error"));
}

#[tokio::test]
async fn error_endpoint_needs_the_token() {
    let app = spawn_app(&[("DOCKERFLOW_ERROR_TOKEN", "s3cret-token")]);
    for headers in [
        &[][..],
        &[("Authorization", "Bearer wrong")][..],
        &[("Authorization", "s3cret-token")][..],
    ] {
        assert_eq!(
            request(app.address, "GET", "/__error__", headers)
                .await
                .status,
            404,
            "{headers:?}"
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
    let record = app.wait_for_log(|v| v["Type"] == "dockerflow.error");
    assert_eq!(record["Severity"], 3);
    assert!(record["Fields"]["error"].is_string());
    assert!(
        !app.stdout_contains("s3cret-token"),
        "the token never reaches the logs"
    );
}
