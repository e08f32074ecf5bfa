//! `/__version__`, `/__lbheartbeat__`, `/__error__` and what all endpoints share (CONTRACT
//! 1.2, 1.5-1.7), answered by the middleware in front of the app's own.

use crate::helpers::*;

#[tokio::test]
async fn version_is_served_verbatim_on_get_head_and_trailing_slash() {
    let app = spawn_app(&[]);
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, VERSION_JSON.as_bytes(), "byte for byte");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_valid("version.schema.json", &r.json());

    let head = request(app.address, "HEAD", "/__version__", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let length = VERSION_JSON.len().to_string();
    assert_eq!(head.header("content-length"), Some(length.as_str()));
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(head.header("cache-control"), Some("no-store"));

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
    assert_eq!(hb.json()["status"], "warning");
}

#[tokio::test]
async fn lbheartbeat_is_200_empty_and_never_touches_backends() {
    let closed = free_port();
    let app = spawn_app(&[("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}"))]);
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

#[tokio::test]
async fn other_methods_are_405() {
    let app = spawn_app(&[]);
    for path in ["/__version__", "/__heartbeat__/", "/__lbheartbeat__"] {
        for method in ["POST", "PUT", "DELETE"] {
            let r = request(app.address, method, path, &[("Content-Length", "0")]).await;
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.header("allow"), Some("GET, HEAD"));
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
    }
}

#[tokio::test]
async fn the_apps_middleware_never_sees_the_endpoints() {
    let app = spawn_app(&[]);
    // The app's middleware marks what it sees, and answers 418 to any `/__` path.
    let home = get(app.address, "/").await;
    assert_eq!((home.status, home.text()), (200, "hello".to_owned()));
    assert_eq!(home.header("x-app-middleware"), Some("seen"));
    for path in ["/__version__", "/__heartbeat__", "/__lbheartbeat__/"] {
        for method in ["GET", "HEAD", "POST"] {
            let r = request(app.address, method, path, &[("Content-Length", "0")]).await;
            assert!(
                matches!(r.status, 200 | 405),
                "{method} {path}: {}",
                r.status
            );
            assert_eq!(r.header("x-app-middleware"), None, "{method} {path}");
        }
    }
    // A path that is not an endpoint is the app's, middleware included.
    assert_eq!(get(app.address, "/__other__").await.status, 418);
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
    // Off: the path is the app's, and its middleware answers it.
    assert_eq!(r.status, 418);
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
        let r = request(app.address, "GET", "/__error__", headers).await;
        assert_eq!(
            r.status, 418,
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
