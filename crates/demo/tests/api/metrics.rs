//! `METRICS_PORT`: the library's metrics in Prometheus text on a listener of their own,
//! scraped over loopback after known requests.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::helpers::*;

/// The samples of a Prometheus text page, by `name{labels}`.
fn samples(page: &str) -> BTreeMap<String, f64> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (key, value) = l
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("a sample: {l}"));
            (
                key.to_owned(),
                value.parse().unwrap_or_else(|_| panic!("a number: {l}")),
            )
        })
        .collect()
}

async fn scrape(address: SocketAddr) -> (String, BTreeMap<String, f64>) {
    let reply = get(address, "/metrics").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        reply.header("content-type")
    );
    let page = reply.text();
    let samples = samples(&page);
    (page, samples)
}

fn delta(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, key: &str) -> f64 {
    after.get(key).copied().unwrap_or(0.0) - before.get(key).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_port_serves_the_library_metrics_in_prometheus_text() {
    let port = free_port();
    let app = spawn_app(&[("METRICS_PORT", &port.to_string())]);
    let metrics = SocketAddr::from(([127, 0, 0, 1], port));
    let (_, before) = scrape(metrics).await;

    assert_eq!(get(app.address, "/__heartbeat__").await.status, 200);
    let code = create_link(app.address, "https://example.com/metrics").await;
    assert_eq!(get(app.address, &format!("/{code}")).await.status, 302);
    assert_eq!(get(app.address, "/no-such-code").await.status, 404);
    assert_eq!(get(app.address, "/__version__").await.status, 200);

    let (page, after) = scrape(metrics).await;
    for (key, expected) in [
        (r#"request_count{status_class="2xx"}"#, 3.0),
        (r#"request_count{status_class="3xx"}"#, 1.0),
        (r#"request_count{status_class="4xx"}"#, 1.0),
        (r#"request_count{status_class="5xx"}"#, 0.0),
        (r#"heartbeat_pass{status="ok"}"#, 1.0),
        (r#"heartbeat_check{check="database",status="ok"}"#, 1.0),
        (r#"heartbeat_check{check="disk",status="ok"}"#, 1.0),
        (r#"heartbeat_check_duration_count{check="database"}"#, 1.0),
    ] {
        assert_eq!(delta(&before, &after, key), expected, "{key} in\n{page}");
    }
    assert!(
        !after.keys().any(|k| k.starts_with("heartbeat_fail")),
        "{page}"
    );
    for help in [
        "# HELP heartbeat_pass ",
        "# HELP request_count ",
        "# HELP heartbeat_check_duration ",
    ] {
        assert!(page.contains(help), "{help} in\n{page}");
    }
    assert_eq!(
        get(app.address, "/metrics").await.status,
        404,
        "the service's own port does not serve the metrics"
    );
}

#[tokio::test]
async fn a_bad_metrics_port_is_a_one_line_start_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dockerflow-demo"))
        .env_clear()
        .env("PORT", free_port().to_string())
        .env("METRICS_PORT", "metrics")
        .output()
        .expect("the demo runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("METRICS_PORT"), "{stderr}");
}
