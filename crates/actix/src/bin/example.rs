//! The smallest compliant actix-web service, used by the black-box tests: the Dockerflow
//! middleware in front of a tiny app that has a middleware of its own.
//!
//! - `EXAMPLE_TCP_CHECK=host:port`: a `TcpCheck` named `backend`.
//! - `EXAMPLE_PANIC_CHECK=message`: a check named `boom` that panics with `message`.
//!
//! Routes: `/` answers "hello"; `/slow?ms=N` logs `example.slow` "slow request started", then
//! answers after N milliseconds (at most 60000);
//! `/log` writes an info record inside the request; `/span` answers the target and name of
//! `tracing::Span::current()` in the handler, and logs from a span it opens and from a task it
//! spawns with `in_current_span`; `/uid` reports the user `user-42`;
//! `/request-id` answers the `x-request-id` header the app sees on the request (`none`).
//! The app's middleware adds `x-app-middleware: seen` to every response it sees, answers 418
//! to any path starting with `/__` (it must never see the endpoints), and fails `/denied`
//! with a 403 error.

use std::process::ExitCode;
use std::time::Duration;

use actix_web::dev::Service;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, App, HttpRequest, HttpResponse};
use dockerflow::checks::TcpCheck;
use dockerflow::heartbeat::Message;

async fn slow(req: HttpRequest) -> &'static str {
    let ms = req
        .query_string()
        .strip_prefix("ms=")
        .and_then(|v| v.parse::<u64>().ok());
    let ms = ms.unwrap_or(100).min(60_000);
    // What the shutdown tests wait for: the request is in the handler.
    tracing::info!(target: "example.slow", ms, "slow request started");
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "slow done"
}

async fn span() -> String {
    use tracing::Instrument;
    let current = tracing::Span::current();
    {
        let _step = tracing::info_span!(target: "example", "step", step = 1).entered();
        tracing::info!(target: "example.nested", "inside a nested span");
    }
    let task = async { tracing::info!(target: "example.spawned", "in a spawned task") };
    let _ = actix_web::rt::spawn(task.in_current_span()).await;
    current.metadata().map_or_else(
        || "none".to_owned(),
        |m| format!("{} {}", m.target(), m.name()),
    )
}

async fn uid() -> HttpResponse {
    let mut response = HttpResponse::Ok().body("uid set");
    response
        .extensions_mut()
        .insert(dockerflow::Uid("user-42".to_owned()));
    response
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return dockerflow::healthcheck();
    }
    actix_web::rt::System::new().block_on(dockerflow_actix::main(
        "dockerflow-actix-example",
        |mut df| async move {
            if let Ok(address) = std::env::var("EXAMPLE_TCP_CHECK") {
                df = df.check("backend", TcpCheck::new(address));
            }
            if let Ok(message) = std::env::var("EXAMPLE_PANIC_CHECK") {
                df = df.check("boom", move || -> std::future::Ready<Vec<Message>> {
                    panic!("{message}")
                });
            }
            df.serve(|| {
                App::new()
                    .route("/", web::get().to(|| async { "hello" }))
                    .route("/slow", web::get().to(slow))
                    .route(
                        "/log",
                        web::get().to(|| async {
                            tracing::info!(target: "example", "inside a request");
                            "logged"
                        }),
                    )
                    .route("/span", web::get().to(span))
                    .route("/uid", web::get().to(uid))
                    .route(
                        "/request-id",
                        web::get().to(|req: HttpRequest| async move {
                            req.headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("none")
                                .to_owned()
                        }),
                    )
                    .wrap_fn(|req, srv| {
                        let call = match req.path() {
                            // Never reached for the endpoints: the Dockerflow middleware answers
                            // them before this one runs.
                            p if p.starts_with("/__") => Err(actix_web::error::ErrorImATeapot(
                                "the app's middleware saw a Dockerflow endpoint",
                            )),
                            "/denied" => Err(actix_web::error::ErrorForbidden("denied by the app")),
                            _ => Ok(srv.call(req)),
                        };
                        async move {
                            let mut response = call?.await?;
                            response.headers_mut().insert(
                                HeaderName::from_static("x-app-middleware"),
                                HeaderValue::from_static("seen"),
                            );
                            Ok(response)
                        }
                    })
            })
            .await
        },
    ))
}
