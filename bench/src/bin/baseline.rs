//! The baseline of the benchmarks: a bare axum server answering 200 with an empty body to
//! every path: the yardstick BENCHMARKS.md compares the library against. `PORT` sets the port.
//!
//! With `DOCKERFLOW_VERSION_FILE` set, it also answers `/__version__` with that file's bytes
//! (read once, `Content-Type: application/json`, `Cache-Control: no-store`): the same bytes on
//! the wire as the library's `/__version__`, so that comparing the two measures the library's
//! work alone, not the cost of a bigger response.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let mut app = axum::Router::new().fallback(|| async { "" });
    if let Some(path) = std::env::var_os("DOCKERFLOW_VERSION_FILE") {
        let bytes = match std::fs::read(&path) {
            Ok(b) => axum::body::Bytes::from(b),
            Err(e) => {
                eprintln!("baseline: cannot read {}: {e}", path.to_string_lossy());
                std::process::exit(1);
            }
        };
        app = app.route(
            "/__version__",
            axum::routing::get(move || {
                let bytes = bytes.clone();
                async move {
                    (
                        [
                            (CONTENT_TYPE, "application/json"),
                            (CACHE_CONTROL, "no-store"),
                        ],
                        bytes,
                    )
                }
            }),
        );
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("baseline: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("baseline: {e}");
        std::process::exit(1);
    }
}
