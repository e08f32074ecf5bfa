//! The library used in-process: the layer in front of an axum app whose own middleware would
//! otherwise reject or redirect every request (CONTRACT 1.6), and the shutdown handle.

use std::time::Duration;

use axum::{middleware, response::IntoResponse, routing, Router};
use dockerflow::{Config, Dockerflow};

use crate::helpers::*;

fn test_config() -> Config {
    let mut config = Config {
        host: Some("127.0.0.1".parse().unwrap()),
        port: 0,
        ..Default::default()
    };
    config.shutdown.drain_delay = Duration::from_millis(200);
    config
}

async fn reject_everything(
    _req: axum::extract::Request,
    _next: middleware::Next,
) -> axum::response::Response {
    (http::StatusCode::UNAUTHORIZED, "login first").into_response()
}

#[tokio::test]
async fn app_middleware_cannot_touch_the_endpoints() {
    let df = Dockerflow::builder("in-process", test_config())
        .version_file(dockerflow::version::VersionFile::from_bytes(
            "/embedded/version.json",
            VERSION_JSON,
        ))
        .build();
    let app = Router::new()
        .route("/", routing::get(|| async { "hello" }))
        .fallback(|| async { axum::response::Redirect::permanent("https://example.com/") })
        .layer(middleware::from_fn(reject_everything));
    let server = df.bind().await.unwrap();
    let address = server.local_addr();
    let task = tokio::spawn(server.serve_without_signals(app));

    assert_eq!(
        get(address, "/").await.status,
        401,
        "the app's own middleware works"
    );
    assert_eq!(get(address, "/__lbheartbeat__").await.status, 200);
    assert_eq!(
        get(address, "/__version__").await.body,
        VERSION_JSON.as_bytes()
    );
    assert_eq!(get(address, "/__heartbeat__").await.status, 200);

    df.shutdown().trigger();
    dockerflow_testkit::http::until("the server takes the trigger", || {
        df.shutdown().is_draining()
    })
    .await;
    assert_eq!(get(address, "/__lbheartbeat__").await.status, 503);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops")
        .unwrap();
}

#[tokio::test]
async fn router_helper_for_axum_serve_users() {
    let df = Dockerflow::builder("in-process", test_config())
        .version_file(dockerflow::version::VersionFile::from_bytes(
            "/embedded/version.json",
            VERSION_JSON,
        ))
        .check("custom", || async {
            vec![dockerflow::heartbeat::Message::critical(
                "custom.E1",
                "broken on purpose",
            )]
        })
        .build();
    let app = df.router(Router::new().route("/", routing::get(|| async { "hello" })));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    let r = get(address, "/__heartbeat__").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["status"], "critical");
    assert_eq!(get(address, "/").await.text(), "hello");
    assert!(get(address, "/").await.header("x-request-id").is_some());
    task.abort();
}

/// `shutdown_signal()` for `axum::serve(..).with_graceful_shutdown`: a trigger (what SIGTERM
/// does) turns `/__lbheartbeat__` 503 for the drain delay, then the server ends.
#[tokio::test]
async fn shutdown_signal_for_axum_serve_users() {
    let mut config = test_config();
    config.shutdown.drain_delay = Duration::from_millis(300);
    let df = Dockerflow::builder("in-process", config).build();
    let app = df.router(Router::new().route("/", routing::get(|| async { "hello" })));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let signal = df.shutdown_signal();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await
    });
    assert_eq!(get(address, "/__lbheartbeat__").await.status, 200);
    df.shutdown().trigger();
    dockerflow_testkit::http::until("the server takes the trigger", || {
        df.shutdown().is_draining()
    })
    .await;
    assert_eq!(
        get(address, "/__lbheartbeat__").await.status,
        503,
        "draining"
    );
    assert_eq!(get(address, "/").await.text(), "hello", "still serving");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the server ends after the drain delay")
        .unwrap()
        .unwrap();
}
