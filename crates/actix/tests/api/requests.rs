//! Request ids and `request.summary` (CONTRACT 1.9), written by the middleware with the
//! library's `Summary`.

use std::collections::HashSet;

use crate::helpers::*;

/// Under the adapter's logging (`dockerflow_mozlog::init`), `Span::current()` in a handler is
/// the request span, and the records of a span it opens and of a task it spawns with
/// `in_current_span` carry the request's `rid`.
#[tokio::test]
async fn a_handler_sees_the_request_as_its_current_span() {
    let app = spawn_app(&[]);
    let r = request(
        app.address,
        "GET",
        "/span",
        &[("X-Request-ID", "actix-span")],
    )
    .await;
    assert_eq!(r.text(), "dockerflow.request request");
    for kind in ["example.nested", "example.spawned"] {
        let record = app.wait_for_log(|v| v["Type"] == kind);
        assert_eq!(record["Fields"]["rid"], "actix-span", "{kind}");
    }
}

#[tokio::test]
async fn a_valid_request_id_is_echoed_and_on_the_handlers_records() {
    let app = spawn_app(&[]);
    let r = request(
        app.address,
        "GET",
        "/log",
        &[("X-Request-ID", "abc-123.x:y_z")],
    )
    .await;
    assert_eq!((r.status, r.text()), (200, "logged".to_owned()));
    assert_eq!(r.header("x-request-id"), Some("abc-123.x:y_z"));
    let record = app.wait_for_log(|v| v["Type"] == "example");
    assert_eq!(record["Fields"]["rid"], "abc-123.x:y_z");
    assert_eq!(record["Fields"]["msg"], "inside a request");
    let summary =
        app.wait_for_log(|v| v["Type"] == "request.summary" && v["Fields"]["path"] == "/log");
    assert_eq!(summary["Fields"]["rid"], "abc-123.x:y_z");
    assert_eq!(summary["Fields"]["method"], "GET");
    assert_eq!(summary["Fields"]["code"], 200);
    assert_eq!(summary["Fields"]["errno"], 0);
    assert_eq!(summary["Fields"]["agent"], "dockerflow-tests");
    assert_eq!(summary["Fields"]["uid"], "");
    assert_eq!(summary["Severity"], 6);
    assert!(summary["Fields"].get("querystring").is_none());
}

#[tokio::test]
async fn an_invalid_or_missing_request_id_is_replaced_by_a_uuid() {
    let app = spawn_app(&[]);
    let mut seen = HashSet::new();
    for headers in [
        &[][..],
        &[("X-Request-ID", "not valid!")][..],
        &[("X-Request-ID", &*"a".repeat(129))][..],
    ] {
        let r = request(app.address, "GET", "/", headers).await;
        let rid = r.header("x-request-id").expect("an id").to_owned();
        assert_eq!(rid.len(), 36, "{rid}");
        assert_eq!(rid.as_bytes()[14], b'4', "UUID v4: {rid}");
        assert!(seen.insert(rid));
    }
    // Endpoints get ids too.
    let r = get(app.address, "/__version__").await;
    assert_eq!(r.header("x-request-id").map(str::len), Some(36));
}

#[tokio::test]
async fn the_request_id_header_is_configurable() {
    let app = spawn_app(&[("DOCKERFLOW_REQUEST_ID_HEADER", "X-Trace")]);
    let r = request(app.address, "GET", "/", &[("X-Trace", "trace-1")]).await;
    assert_eq!(r.header("x-trace"), Some("trace-1"));
    assert_eq!(r.header("x-request-id"), None);
}

#[tokio::test]
async fn concurrent_requests_each_get_one_whole_summary() {
    let app = spawn_app(&[]);
    const N: usize = 64;
    let mut tasks = Vec::new();
    for i in 0..N {
        let address = app.address;
        tasks.push(tokio::spawn(async move {
            let rid = format!("concurrent-{i}");
            let r = request(address, "GET", "/log", &[("X-Request-ID", &rid)]).await;
            assert_eq!(r.header("x-request-id"), Some(rid.as_str()));
        }));
    }
    for t in tasks {
        t.await.expect("request task");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        // `logs()` parses and validates every line: a torn or merged line fails here.
        let summaries: Vec<_> = app
            .summaries()
            .into_iter()
            .filter(|v| v["Fields"]["path"] == "/log")
            .collect();
        if summaries.len() >= N || std::time::Instant::now() > deadline {
            let rids: HashSet<String> = summaries
                .iter()
                .map(|v| v["Fields"]["rid"].as_str().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(summaries.len(), N);
            assert_eq!(rids.len(), N, "one summary per request");
            // Each handler record carries its own request's id.
            let handler_rids: HashSet<String> = app
                .logs()
                .iter()
                .filter(|v| v["Type"] == "example")
                .map(|v| v["Fields"]["rid"].as_str().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(handler_rids, rids);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test]
async fn exclusions_querystring_uid_and_app_errors() {
    let app = spawn_app(&[("DOCKERFLOW_SUMMARY_QUERYSTRING", "true")]);
    assert_eq!(get(app.address, "/__lbheartbeat__").await.status, 200);
    assert_eq!(get(app.address, "/slow?ms=1").await.status, 200);
    assert_eq!(get(app.address, "/uid").await.status, 200);
    assert_eq!(get(app.address, "/nowhere").await.status, 404);
    // The app's middleware fails this one with an error: the id is still echoed.
    let denied = request(
        app.address,
        "GET",
        "/denied",
        &[("X-Request-ID", "denied-1")],
    )
    .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.header("x-request-id"), Some("denied-1"));
    app.wait_for_log(|v| v["Type"] == "request.summary" && v["Fields"]["path"] == "/denied");

    let summaries = app.summaries();
    let by_path = |path: &str| {
        summaries
            .iter()
            .find(|v| v["Fields"]["path"] == path)
            .unwrap_or_else(|| panic!("no summary for {path}: {summaries:#?}"))
            .clone()
    };
    assert!(
        summaries
            .iter()
            .all(|v| v["Fields"]["path"] != "/__lbheartbeat__"),
        "lbheartbeat is excluded by default"
    );
    assert_eq!(by_path("/slow")["Fields"]["querystring"], "ms=1");
    assert_eq!(by_path("/uid")["Fields"]["uid"], "user-42");
    assert_eq!(by_path("/nowhere")["Fields"]["code"], 404);
    assert_eq!(by_path("/nowhere")["Fields"]["errno"], 404);
    let denied = by_path("/denied");
    assert_eq!(denied["Fields"]["code"], 403);
    assert_eq!(denied["Fields"]["rid"], "denied-1");
    assert_eq!(denied["Severity"], 6);
}
