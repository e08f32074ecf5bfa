//! Metrics through the `metrics` facade, seen by a recorder installed in this test binary (a
//! binary of its own: the recorder is global to the process, and no other test may record
//! into it). A service in-process on a loopback port, driven over HTTP.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::{routing, Router};
use dockerflow::heartbeat::Message;
use dockerflow::{Config, Dockerflow};
use dockerflow_testkit::http::get;
use dockerflow_testkit::metrics;

fn counters(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test]
async fn requests_heartbeat_runs_and_checks_are_counted_exactly() {
    let recorder = metrics::install();
    let mut config = Config {
        host: Some("127.0.0.1".parse().unwrap()),
        port: 0,
        ..Default::default()
    };
    // Every heartbeat request is a run of its own.
    config.heartbeat.reuse = Duration::ZERO;
    config.shutdown.drain_delay = Duration::from_millis(10);
    let broken = Arc::new(AtomicBool::new(false));
    let flag = broken.clone();
    let df = Dockerflow::builder("metrics", config)
        .version_file(dockerflow::version::VersionFile::from_bytes(
            "/embedded/version.json",
            dockerflow_testkit::service::VERSION_JSON,
        ))
        .check("db", || async { vec![] })
        .check("slow", || async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            vec![]
        })
        .check("cache", move || {
            let broken = flag.load(Ordering::SeqCst);
            async move {
                if broken {
                    vec![Message::critical("cache.E1", "down")]
                } else {
                    vec![Message::warning("cache.W1", "slow to answer")]
                }
            }
        })
        .build();
    let app = Router::new()
        .route("/", routing::get(|| async { "hello" }))
        .route(
            "/moved",
            routing::get(|| async { axum::response::Redirect::temporary("/") }),
        );
    let server = df.bind().await.unwrap();
    let address = server.local_addr();
    let task = tokio::spawn(server.serve_without_signals(app));
    recorder.take();

    for path in [
        "/",
        "/",
        "/__lbheartbeat__",
        "/__version__",
        "/moved",
        "/nothing-here",
    ] {
        get(address, path).await;
    }
    let recorded = recorder.take();
    assert_eq!(
        recorded.counters,
        counters(&[
            ("request.count{status_class=2xx}", 4),
            ("request.count{status_class=3xx}", 1),
            ("request.count{status_class=4xx}", 1),
        ]),
        "{recorded:?}"
    );
    assert!(recorded.histograms.is_empty(), "{recorded:?}");

    assert_eq!(get(address, "/__heartbeat__").await.status, 200);
    assert_eq!(get(address, "/__heartbeat__").await.status, 200);
    broken.store(true, Ordering::SeqCst);
    assert_eq!(get(address, "/__heartbeat__").await.status, 500);
    let recorded = recorder.take();
    assert_eq!(
        recorded.counters,
        counters(&[
            ("heartbeat.pass{status=warning}", 2),
            ("heartbeat.fail{status=critical}", 1),
            ("heartbeat.check{check=db,status=ok}", 3),
            ("heartbeat.check{check=slow,status=ok}", 3),
            // The library's own check of version.json.
            ("heartbeat.check{check=version,status=ok}", 3),
            ("heartbeat.check{check=cache,status=warning}", 2),
            ("heartbeat.check{check=cache,status=critical}", 1),
            ("request.count{status_class=2xx}", 2),
            ("request.count{status_class=5xx}", 1),
        ]),
        "{recorded:?}"
    );
    let durations = &recorded.histograms;
    assert_eq!(
        durations.keys().collect::<Vec<_>>(),
        [
            "heartbeat.check.duration{check=cache}",
            "heartbeat.check.duration{check=db}",
            "heartbeat.check.duration{check=slow}",
            "heartbeat.check.duration{check=version}",
        ],
        "{recorded:?}"
    );
    assert!(durations.values().all(|samples| samples.len() == 3));
    // A check's own duration, not the time since the run began: the slow check sleeps 50 ms.
    assert!(durations["heartbeat.check.duration{check=slow}"]
        .iter()
        .all(|s| *s >= 0.05));

    df.shutdown().trigger();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops")
        .unwrap();
}
