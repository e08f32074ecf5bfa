//! The baseline of the benchmarks: a bare axum server answering 200 with an empty body to
//! every path, as in shared/research/peers-bench-baseline.md. `PORT` sets the port.

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let app = axum::Router::new().fallback(|| async { "" });
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
