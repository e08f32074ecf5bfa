//! The metrics exporter, behind `METRICS_PORT`: when it is set, the library's metrics (see
//! `dockerflow::metrics`) are recorded by `metrics-exporter-prometheus` and served as
//! Prometheus text on `GET /metrics` at `HOST`:`METRICS_PORT`, a listener apart from the
//! service's, so the metrics are never public through the service's load balancer. Unset,
//! no recorder is installed and the library's metrics cost nothing.
//!
//! Why this exporter: Prometheus scraping is what GKE (Google Cloud Managed Service for
//! Prometheus) and most Kubernetes clusters collect, and `metrics-exporter-prometheus` is the
//! `metrics` project's own exporter. Without its default features (its hyper listener and
//! push gateway, with rustls) it adds no HTTP stack: the demo serves the text with the axum
//! it already has. A statsd exporter would need a statsd daemon beside the service.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::routing::get;
use dockerflow::StartError;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// How often histograms are compacted between scrapes (the exporter's upkeep).
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs the Prometheus recorder as the process's `metrics` recorder and serves
/// `GET /metrics` on `host` (all interfaces when `None`) and `port`, in a task of the current
/// runtime. Returns the address bound.
pub async fn serve(host: Option<IpAddr>, port: u16) -> Result<SocketAddr, StartError> {
    let listener = bind(host, port).await?;
    let address = listener.local_addr().map_err(|source| StartError::Bind {
        address: SocketAddr::new(host.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), port),
        source,
    })?;
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| {
        StartError::App("METRICS_PORT: another metrics recorder is already installed".into())
    })?;
    dockerflow::metrics::describe();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = axum::Router::new().route("/metrics", get(move || render(handle.clone())));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(target: "dockerflow_demo", error = %e, "the metrics listener failed");
        }
    });
    tracing::info!(target: "dockerflow_demo", address = %address, "metrics on http://{address}/metrics");
    Ok(address)
}

async fn render(handle: PrometheusHandle) -> ([(http::HeaderName, &'static str); 1], String) {
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

async fn bind(host: Option<IpAddr>, port: u16) -> Result<tokio::net::TcpListener, StartError> {
    let try_bind = |address: SocketAddr| async move {
        tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| StartError::Bind { address, source })
    };
    match host {
        Some(host) => try_bind(SocketAddr::new(host, port)).await,
        None => match try_bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)).await {
            Ok(listener) => Ok(listener),
            Err(_) => try_bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)).await,
        },
    }
}
