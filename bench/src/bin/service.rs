//! The measured service: the dockerflow library in front of a one-route axum app, with a
//! PostgreSQL `SqlCheck` (from `BENCH_DATABASE_URL`) whose runs are counted and exposed at
//! `/bench/check-runs`, so the benchmark can report how often the database was really checked.
//! `/span` asks for `tracing::Span::current()` (the request's span) and answers `span`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dockerflow::checks::SqlCheck;
use dockerflow::heartbeat::Check;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dockerflow::main("dockerflow-bench", |mut df| async move {
        let runs = Arc::new(AtomicU64::new(0));
        if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .connect_lazy(&url)
                .map_err(|e| dockerflow::StartError::App(Box::new(e)))?;
            let check = Arc::new(SqlCheck::new(pool));
            let counter = runs.clone();
            df = df.check("database", move || {
                let check = check.clone();
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::Relaxed);
                    check.check().await
                }
            });
        }
        let app = axum::Router::new()
            .route("/", axum::routing::get(|| async { "hello" }))
            // A handler that asks for the request's span (what that costs under `main`).
            .route(
                "/span",
                axum::routing::get(|| async {
                    if tracing::Span::current().is_none() {
                        "no span"
                    } else {
                        "span"
                    }
                }),
            )
            .route(
                "/bench/check-runs",
                axum::routing::get(move || {
                    let runs = runs.clone();
                    async move { runs.load(Ordering::Relaxed).to_string() }
                }),
            );
        df.serve(app).await
    })
    .await
}
