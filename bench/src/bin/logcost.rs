//! Microbenchmark of the per-request logging work of the request layer, without a network:
//! the `rid` span (created, entered twice, dropped) and the `request.summary` record, through
//! the real mozlog layer into a sink. Prints nanoseconds per operation (the fastest of ten
//! runs).
//!
//! `cargo run --release -p dockerflow-bench --bin logcost [ITERATIONS]`

use std::hint::black_box;
use std::time::Instant;

use tracing_subscriber::layer::SubscriberExt;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    // One part only (`span`, `summary`, `both`, `direct`), for instruction counts under
    // `valgrind --tool=callgrind`, which a busy machine does not disturb.
    let only = std::env::args().nth(2);
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    // `direct`: the summary as `dockerflow::adapter::Summary` writes it under the
    // subscriber `dockerflow_mozlog::init` installs (stdout through the batching queue: send
    // it to /dev/null), which takes the direct path.
    let rid = "0b8b8b2e-8f4b-4c3a-9d3e-0a1b2c3d4e5f";
    if only.as_deref() == Some("direct") {
        let config = dockerflow_mozlog::LogConfig::from_env("bench").expect("log config");
        dockerflow_mozlog::init(&config).expect("a fresh process");
        let ns = time(n, || direct_summary(rid));
        dockerflow_mozlog::flush();
        eprintln!("{:<34}{ns:.0} ns", "request.summary, direct path");
        return;
    }
    let subscriber = tracing_subscriber::registry()
        .with(dockerflow_mozlog::MozlogLayer::new("bench").with_writer(std::io::sink));
    tracing::subscriber::set_global_default(subscriber).expect("a fresh process");

    let span_only = run("span").then(|| {
        time(n, || {
            let span = tracing::info_span!(target: "dockerflow.request", "request", rid = rid);
            drop(black_box(span.enter()));
            drop(black_box(span.enter()));
        })
    });
    let summary_only = run("summary").then(|| {
        time(n, || {
            summary(rid);
        })
    });
    let both = run("both").then(|| {
        time(n, || {
            let span = tracing::info_span!(target: "dockerflow.request", "request", rid = rid);
            drop(black_box(span.enter()));
            let _e = span.enter();
            summary(rid);
        })
    });
    for (label, ns) in [
        ("span (create, enter twice, drop)", span_only),
        ("request.summary record", summary_only),
        ("both, summary inside the span", both),
    ] {
        if let Some(ns) = ns {
            println!("{label:<34}{ns:.0} ns");
        }
    }
}

fn summary(rid: &str) {
    let (agent, path, method, lang) = ("wrk", "/__version__", "GET", "");
    let (code, errno, t, uid) = (200u16, 0u16, 0u64, "");
    tracing::info!(target: "request.summary", agent, path, method, code, errno, lang, t, rid, uid);
}

fn direct_summary(rid: &str) {
    dockerflow::adapter::Summary {
        rid,
        trace: None,
        method: "GET",
        path: "/__version__",
        querystring: None,
        agent: "wrk",
        lang: "",
        code: 200,
        uid: "",
        t: 0,
    }
    .write();
}

/// The fastest of 10 timed runs of `n / 10` calls, per call: the minimum is the figure least
/// disturbed by other processes on a shared machine.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    let per_run = (n / 10).max(1);
    for _ in 0..per_run {
        f();
    }
    (0..10)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_run {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(per_run)
        })
        .fold(f64::INFINITY, f64::min)
}
