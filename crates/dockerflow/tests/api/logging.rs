//! Request ids and `request.summary` (CONTRACT 1.9), seen in the service's stdout.

use crate::helpers::*;

#[tokio::test]
async fn one_summary_per_request_with_every_field() {
    let app = spawn_app(&[]);
    let r = request(
        app.address,
        "GET",
        "/?q=secret",
        &[("Accept-Language", "fr-CA"), ("X-Request-ID", "abc-123")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    let s = app.wait_for_log(|v| v["Type"] == "request.summary" && v["Fields"]["path"] == "/");
    let f = &s["Fields"];
    assert_eq!(s["Severity"], 6);
    assert_eq!(s["Logger"], "dockerflow-example");
    assert_eq!(f["agent"], "dockerflow-tests");
    assert_eq!(f["method"], "GET");
    assert_eq!(f["code"], 200);
    assert_eq!(f["errno"], 0);
    assert_eq!(f["lang"], "fr-CA");
    assert_eq!(f["rid"], "abc-123");
    assert_eq!(f["uid"], "");
    assert!(f["t"].is_u64());
    assert!(f.get("querystring").is_none(), "off by default (PII)");
    assert!(!app.stdout_contains("secret"));
}

#[tokio::test]
async fn errors_and_5xx() {
    let closed = free_port();
    let app = spawn_app(&[("EXAMPLE_TCP_CHECK", &format!("127.0.0.1:{closed}"))]);
    get(app.address, "/nope").await;
    get(app.address, "/__heartbeat__").await;
    let not_found =
        app.wait_for_log(|v| v["Type"] == "request.summary" && v["Fields"]["path"] == "/nope");
    assert_eq!(
        (
            not_found["Fields"]["code"].as_u64(),
            not_found["Fields"]["errno"].as_u64()
        ),
        (Some(404), Some(404))
    );
    assert_eq!(not_found["Severity"], 6);
    let failed = app.wait_for_log(|v| {
        v["Type"] == "request.summary" && v["Fields"]["path"] == "/__heartbeat__"
    });
    assert_eq!(failed["Fields"]["errno"], 500);
    assert_eq!(failed["Severity"], 3, "5xx summaries are errors");
}

#[tokio::test]
async fn querystring_is_opt_in() {
    let app = spawn_app(&[("DOCKERFLOW_SUMMARY_QUERYSTRING", "true")]);
    get(app.address, "/?a=1&b=2").await;
    let s = app.wait_for_log(|v| v["Type"] == "request.summary");
    assert_eq!(s["Fields"]["querystring"], "a=1&b=2");
}

#[tokio::test]
async fn request_ids_are_validated() {
    let app = spawn_app(&[]);
    let long = "a".repeat(129);
    for bad in ["has space", "semi;colon", long.as_str()] {
        let r = request(app.address, "GET", "/", &[("X-Request-ID", bad)]).await;
        let rid = r.header("x-request-id").unwrap().to_owned();
        assert_ne!(rid, bad);
        assert_eq!(rid.len(), 36, "a new UUID v4: {rid}");
        assert_eq!(rid.as_bytes()[14], b'4', "{rid}");
    }
    let max = "Z".repeat(128);
    let r = request(app.address, "GET", "/", &[("X-Request-ID", &max)]).await;
    assert_eq!(r.header("x-request-id"), Some(max.as_str()));
}

#[tokio::test]
async fn request_id_header_is_configurable() {
    let app = spawn_app(&[("DOCKERFLOW_REQUEST_ID_HEADER", "X-Correlation-Id")]);
    let r = request(app.address, "GET", "/", &[("X-Correlation-Id", "corr-1")]).await;
    assert_eq!(r.header("x-correlation-id"), Some("corr-1"));
    app.wait_for_log(|v| v["Type"] == "request.summary" && v["Fields"]["rid"] == "corr-1");
}

#[tokio::test]
async fn every_record_inside_a_request_carries_its_rid() {
    let app = spawn_app(&[]);
    request(app.address, "GET", "/log", &[("X-Request-ID", "inside-1")]).await;
    let record = app.wait_for_log(|v| v["Type"] == "example");
    assert_eq!(record["Fields"]["rid"], "inside-1");
    assert_eq!(record["Fields"]["msg"], "inside a request");
}

/// Under `dockerflow::main`'s logging, the request is a tracing span: `Span::current()` in a
/// handler is it, a span the handler opens sits inside it, and a task spawned with
/// `in_current_span` carries it.
#[tokio::test]
async fn a_handler_runs_inside_the_request_span() {
    let app = spawn_app(&[]);
    let r = request(app.address, "GET", "/span", &[("X-Request-ID", "span-1")]).await;
    assert_eq!(r.text(), "dockerflow.request request rid,trace_id,span_id");
    let nested = app.wait_for_log(|v| v["Type"] == "example.nested");
    assert_eq!(nested["Fields"]["rid"], "span-1");
    assert_eq!(nested["Fields"]["step"], 1);
    assert_eq!(nested["Fields"]["msg"], "inside a nested span");
    let spawned = app.wait_for_log(|v| v["Type"] == "example.spawned");
    assert_eq!(spawned["Fields"]["rid"], "span-1");
    let traced = request(
        app.address,
        "GET",
        "/span",
        &[(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )],
    )
    .await;
    assert_eq!(traced.status, 200);
    let nested = app.wait_for_log(|v| {
        v["Type"] == "example.nested" && v["Fields"]["rid"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    });
    assert_eq!(
        nested["Fields"]["trace_id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(nested["Fields"]["span_id"], "00f067aa0ba902b7");
}

#[tokio::test]
async fn lbheartbeat_is_not_summarised_by_default_and_exclusions_are_configurable() {
    let app = spawn_app(&[]);
    for _ in 0..3 {
        get(app.address, "/__lbheartbeat__").await;
    }
    get(app.address, "/__version__").await;
    app.wait_for_log(|v| v["Type"] == "request.summary" && v["Fields"]["path"] == "/__version__");
    assert!(app
        .summaries()
        .iter()
        .all(|v| v["Fields"]["path"] != "/__lbheartbeat__"));

    let app = spawn_app(&[("DOCKERFLOW_SUMMARY_EXCLUDE", "/__version__")]);
    get(app.address, "/__version__/").await;
    get(app.address, "/__lbheartbeat__").await;
    app.wait_for_log(|v| {
        v["Type"] == "request.summary" && v["Fields"]["path"] == "/__lbheartbeat__"
    });
    assert!(app.summaries().iter().all(|v| !v["Fields"]["path"]
        .as_str()
        .unwrap()
        .starts_with("/__version__")));
}

#[tokio::test]
async fn n_concurrent_requests_give_exactly_n_whole_summaries() {
    let app = spawn_app(&[]);
    const N: usize = 300;
    let mut tasks = Vec::new();
    for i in 0..N {
        let a = app.address;
        tasks.push(tokio::spawn(async move {
            let rid = format!("req-{i}");
            let path = if i % 3 == 0 { "/__version__" } else { "/" };
            request(a, "GET", path, &[("X-Request-ID", &rid)])
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.summaries().len() < N && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let summaries = app.summaries(); // each line already parsed and schema-checked
    assert_eq!(summaries.len(), N);
    let mut rids: Vec<String> = summaries
        .iter()
        .map(|v| v["Fields"]["rid"].as_str().unwrap().to_owned())
        .collect();
    rids.sort();
    rids.dedup();
    assert_eq!(rids.len(), N, "every request once");
}

#[tokio::test]
async fn summaries_can_be_turned_off() {
    let app = spawn_app(&[("DOCKERFLOW_SUMMARY", "false")]);
    get(app.address, "/").await;
    request(app.address, "GET", "/log", &[]).await;
    app.wait_for_log(|v| v["Type"] == "example");
    assert!(app.summaries().is_empty());
}

#[tokio::test]
async fn a_panic_is_one_critical_record_with_the_rid() {
    let app = spawn_app(&[]);
    let a = app.address;
    // The connection is dropped by the panic: no response to parse.
    let _ =
        tokio::spawn(
            async move { request(a, "GET", "/panic", &[("X-Request-ID", "boom-1")]).await },
        )
        .await;
    let record = app.wait_for_log(|v| v["Type"] == "panic");
    assert_eq!(record["Severity"], 2);
    assert_eq!(record["Fields"]["rid"], "boom-1");
    assert!(record["Fields"]["msg"]
        .as_str()
        .unwrap()
        .contains("panicking on purpose"));
    assert!(record["Fields"]["backtrace"].is_string());
    assert_eq!(
        get(app.address, "/__lbheartbeat__").await.status,
        200,
        "the service survives"
    );
}
