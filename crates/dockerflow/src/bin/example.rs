//! The smallest compliant service, used by the black-box tests: the library's endpoints in
//! front of a tiny app, with checks chosen through the environment.
//!
//! - `EXAMPLE_TCP_CHECK=host:port`: a `TcpCheck` named `backend`.
//! - `EXAMPLE_REDIS_CHECK=redis://...`: a `RedisCheck` named `cache`.
//! - `EXAMPLE_HTTP_CHECK=http://...`: an `HttpCheck` named `upstream`.
//! - `EXAMPLE_PANIC_CHECK=message`: a check named `boom` that panics with `message`.
//!
//! `dockerflow-example healthcheck` is the self-probe (`dockerflow::healthcheck`).
//!
//! Routes: `/` answers "hello"; `/slow?ms=N` logs `example.slow` "slow request started", then
//! answers after N milliseconds (at most 60000);
//! `/log` writes an info record inside the request; `/span` answers what
//! `tracing::Span::current()` is in the handler, and logs from a nested span and from a task
//! it spawns; `/panic` panics; `/request-id` answers the
//! `x-request-id` header the app sees on the request (`none` without one); `/static/...` serves
//! `DOCKERFLOW_STATIC_DIR` when it exists.

use std::process::ExitCode;
use std::time::Duration;

use dockerflow::checks::{HttpCheck, RedisCheck, TcpCheck};

fn app(static_dir: &std::path::Path) -> axum::Router {
    use axum::routing::get;
    let mut router = axum::Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/slow",
            get(|q: axum::extract::RawQuery| async move {
                let ms =
                    q.0.as_deref()
                        .and_then(|q| q.strip_prefix("ms="))
                        .and_then(|v| v.parse::<u64>().ok());
                let ms = ms.unwrap_or(100).min(60_000);
                // What the shutdown tests wait for: the request is in the handler.
                tracing::info!(target: "example.slow", ms, "slow request started");
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "slow done"
            }),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("panicking on purpose");
                }
                "unreachable"
            }),
        )
        .route(
            "/request-id",
            get(|headers: axum::http::HeaderMap| async move {
                headers
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_owned()
            }),
        )
        .route(
            "/log",
            get(|| async {
                tracing::info!(target: "example", "inside a request");
                "logged"
            }),
        )
        .route("/span", get(span));
    if let Ok(files) = dockerflow::StaticFiles::new(static_dir) {
        router = router.nest_service("/static", files);
    }
    router
}

/// `/span`: answers what `tracing::Span::current()` is in the handler (`target name fields`),
/// then logs `example.nested` inside a span of its own (field `step`), and `example.spawned`
/// from a task spawned with `in_current_span`, which it awaits.
async fn span() -> String {
    use tracing::Instrument;
    let current = tracing::Span::current();
    let answer = current.metadata().map_or("none".to_owned(), |m| {
        let fields: Vec<&str> = m.fields().iter().map(|f| f.name()).collect();
        format!("{} {} {}", m.target(), m.name(), fields.join(","))
    });
    tracing::info_span!(target: "example", "nested", step = 1)
        .in_scope(|| tracing::info!(target: "example.nested", "inside a nested span"));
    let task = async { tracing::info!(target: "example.spawned", "in a spawned task") };
    let _ = tokio::spawn(task.in_current_span()).await;
    answer
}

/// A check that panics with `message` every time it runs.
fn panicking(message: String) -> impl dockerflow::heartbeat::Check {
    move || -> std::future::Ready<Vec<dockerflow::heartbeat::Message>> { panic!("{message}") }
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return dockerflow::healthcheck();
    }
    dockerflow::main("dockerflow-example", |mut df| async move {
        if let Ok(address) = std::env::var("EXAMPLE_TCP_CHECK") {
            df = df.check("backend", TcpCheck::new(address));
        }
        if let Ok(url) = std::env::var("EXAMPLE_REDIS_CHECK") {
            df = df.check("cache", RedisCheck::new(url));
        }
        if let Ok(url) = std::env::var("EXAMPLE_HTTP_CHECK") {
            df = df.check("upstream", HttpCheck::new(url));
        }
        if let Ok(message) = std::env::var("EXAMPLE_PANIC_CHECK") {
            df = df.check("boom", panicking(message));
        }
        let app = app(&df.config().static_dir);
        df.serve(app).await
    })
    .await
}
