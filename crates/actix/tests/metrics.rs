//! Metrics through the `metrics` facade from the actix-web middleware, seen by a recorder
//! installed in this test binary (a binary of its own: the recorder is global to the process).
//! The adapter's server in a thread of its own on a loopback port, driven over HTTP.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse};
use dockerflow::heartbeat::Message;
use dockerflow_actix::{Config, Dockerflow};
use dockerflow_testkit::http::{get, send};
use dockerflow_testkit::metrics;

fn counters(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

async fn wait_until_listening(address: SocketAddr) {
    for _ in 0..200 {
        if send(address, "GET", "/__lbheartbeat__", &[], None)
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the actix-web server never listened on {address}");
}

#[tokio::test]
async fn the_actix_middleware_counts_requests_heartbeat_runs_and_checks_exactly() {
    let recorder = metrics::install();
    let port = dockerflow_testkit::process::free_port();
    let mut config = Config {
        host: Some("127.0.0.1".parse().unwrap()),
        port,
        ..Default::default()
    };
    config.heartbeat.reuse = Duration::ZERO;
    config.shutdown.drain_delay = Duration::from_millis(10);
    let broken = Arc::new(AtomicBool::new(false));
    let flag = broken.clone();
    let df = Dockerflow::builder("metrics", config)
        .version_file(dockerflow::version::VersionFile::from_bytes(
            "/embedded/version.json",
            dockerflow_testkit::service::VERSION_JSON,
        ))
        .check("db", move || {
            let broken = flag.load(Ordering::SeqCst);
            async move {
                if broken {
                    vec![Message::error("db.E1", "refused")]
                } else {
                    vec![]
                }
            }
        })
        .build();
    let server = df.clone();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(server.serve(|| {
            App::new()
                .route("/", web::get().to(|| async { "hello" }))
                .route(
                    "/moved",
                    web::get().to(|| async {
                        HttpResponse::Found()
                            .insert_header(("location", "/"))
                            .finish()
                    }),
                )
                .route(
                    "/teapot",
                    web::get().to(|| async { HttpResponse::ImATeapot().finish() }),
                )
        }))
    });
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until_listening(address).await;
    recorder.take();

    for path in [
        "/",
        "/__lbheartbeat__",
        "/__version__",
        "/moved",
        "/teapot",
        "/nothing-here",
    ] {
        get(address, path).await;
    }
    let recorded = recorder.take();
    assert_eq!(
        recorded.counters,
        counters(&[
            ("request.count{status_class=2xx}", 3),
            ("request.count{status_class=3xx}", 1),
            ("request.count{status_class=4xx}", 2),
        ]),
        "{recorded:?}"
    );

    assert_eq!(get(address, "/__heartbeat__").await.status, 200);
    broken.store(true, Ordering::SeqCst);
    assert_eq!(get(address, "/__heartbeat__").await.status, 500);
    assert_eq!(get(address, "/__heartbeat__").await.status, 500);
    let recorded = recorder.take();
    assert_eq!(
        recorded.counters,
        counters(&[
            ("heartbeat.pass{status=ok}", 1),
            ("heartbeat.fail{status=error}", 2),
            ("heartbeat.check{check=db,status=ok}", 1),
            ("heartbeat.check{check=db,status=error}", 2),
            ("heartbeat.check{check=version,status=ok}", 3),
            ("request.count{status_class=2xx}", 1),
            ("request.count{status_class=5xx}", 2),
        ]),
        "{recorded:?}"
    );
    assert_eq!(
        recorded
            .histograms
            .iter()
            .map(|(k, v)| (k.as_str(), v.len()))
            .collect::<Vec<_>>(),
        [
            ("heartbeat.check.duration{check=db}", 3),
            ("heartbeat.check.duration{check=version}", 3),
        ]
    );

    df.shutdown().trigger();
    thread
        .join()
        .expect("the server thread ends")
        .expect("the server stops cleanly");
}
