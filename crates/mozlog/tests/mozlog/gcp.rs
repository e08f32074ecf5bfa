//! Google Cloud Logging's keys (`with_gcp`): after the whole mozlog envelope, on every line,
//! in the tracing path and the truncation path alike.

use dockerflow_mozlog::{RequestContext, Trace};
use serde_json::{json, Value};

use crate::support::{capture_with, validator, GCP};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

fn trace() -> Trace {
    Trace::new(TRACE_ID, SPAN_ID).expect("a valid trace")
}

/// The keys after `Fields`, in the order written.
fn tail(line: &str) -> Vec<String> {
    let record: Value = serde_json::from_str(line).expect("JSON");
    let fields_end = line.rfind("},\"").map_or(line.len(), |i| i + 1);
    let mut keys: Vec<(usize, String)> = record
        .as_object()
        .expect("object")
        .keys()
        .filter(|k| GCP.contains(&k.as_str()))
        .map(|k| {
            let at = line[fields_end..]
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} is not after Fields in {line}"));
            (at, k.clone())
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

#[test]
fn every_level_is_named_and_every_message_repeated() {
    let capture = capture_with(
        |l| l.with_gcp(Some("my-project")),
        || {
            tracing::error!(critical = true, "on fire");
            tracing::error!("broken");
            tracing::warn!("odd");
            tracing::info!(n = 1, "fine \"quoted\"\nline");
            tracing::debug!("detail");
            tracing::trace!("noise");
            tracing::info!(target: "request.summary", code = 200);
            tracing::event!(target: "empty", tracing::Level::INFO, {});
        },
    );
    let text = capture.text();
    let records = capture.records();
    let got: Vec<(i64, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["Severity"].as_i64().unwrap(),
                r["severity"].as_str().unwrap(),
                r["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "CRITICAL", "on fire"),
            (3, "ERROR", "broken"),
            (4, "WARNING", "odd"),
            (6, "INFO", "fine \"quoted\"\nline"),
            (7, "DEBUG", "detail"),
            (7, "DEBUG", "noise"),
            (6, "INFO", "request.summary"),
            (6, "INFO", ""),
        ]
    );
    for line in text.lines() {
        assert_eq!(
            tail(line),
            ["severity", "message"],
            "no trace, no trace keys"
        );
    }
}

#[test]
fn a_request_with_a_trace_context_has_the_trace_keys() {
    let capture = capture_with(
        |l| l.with_gcp(Some("my-project")),
        || {
            RequestContext::new("rid-1".into())
                .with_trace(Some(trace()))
                .enter(|| tracing::info!("in the request"));
            RequestContext::new("rid-2".into()).enter(|| tracing::info!("untraced request"));
            let span = tracing::info_span!(
                "request",
                rid = "rid-3",
                trace_id = TRACE_ID,
                span_id = SPAN_ID
            );
            span.in_scope(|| tracing::warn!("in a span"));
        },
    );
    let text = capture.text();
    let records = capture.records();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(records.len(), 3);
    for i in [0, 2] {
        assert_eq!(tail(lines[i]), GCP, "{}", lines[i]);
        assert_eq!(
            records[i]["logging.googleapis.com/trace"],
            json!(format!("projects/my-project/traces/{TRACE_ID}"))
        );
        assert_eq!(records[i]["logging.googleapis.com/spanId"], json!(SPAN_ID));
        assert_eq!(records[i]["Fields"]["trace_id"], json!(TRACE_ID));
        assert_eq!(records[i]["Fields"]["span_id"], json!(SPAN_ID));
    }
    assert!(lines[0].contains(&format!(
        r#""Fields":{{"msg":"in the request","rid":"rid-1","trace_id":"{TRACE_ID}","span_id":"{SPAN_ID}"}}"#
    )), "{}", lines[0]);
    assert_eq!(tail(lines[1]), ["severity", "message"]);
    assert!(records[1]["Fields"].get("trace_id").is_none());
}

#[test]
fn without_a_project_there_is_no_trace_key() {
    let capture = capture_with(
        |l| l.with_gcp(None),
        || {
            RequestContext::new("rid-1".into())
                .with_trace(Some(trace()))
                .enter(|| tracing::info!("in the request"));
        },
    );
    let record = capture.only_record();
    assert_eq!(record["severity"], "INFO");
    assert_eq!(
        record["Fields"]["trace_id"], TRACE_ID,
        "Fields keep the ids"
    );
    assert!(record.get("logging.googleapis.com/trace").is_none());
}

#[test]
fn without_gcp_lines_are_plain_mozlog() {
    let capture = capture_with(
        |l| l,
        || {
            RequestContext::new("rid-1".into())
                .with_trace(Some(trace()))
                .enter(|| tracing::info!("in the request"));
        },
    );
    let record = capture.only_record();
    for key in GCP {
        assert!(record.get(key).is_none(), "{key}");
    }
    assert_eq!(record["Fields"]["span_id"], SPAN_ID);
}

#[test]
fn a_truncated_line_keeps_its_keys_and_fits() {
    let capture = capture_with(
        |l| l.with_gcp(Some("my-project")).with_max_line_bytes(1024),
        || {
            RequestContext::new("rid-1".into())
                .with_trace(Some(trace()))
                .enter(|| tracing::error!(big = "y".repeat(5000), "{}", "x".repeat(5000)));
        },
    );
    let text = capture.text();
    assert!(text.len() <= 1024, "{} bytes", text.len());
    let record = capture.only_record();
    assert_eq!(record["severity"], "ERROR");
    assert_eq!(record["message"], record["Fields"]["msg"]);
    assert!(record["Fields"]["truncated"].as_u64().unwrap() > 10_000);
    assert_eq!(
        record["logging.googleapis.com/trace"],
        json!(format!("projects/my-project/traces/{TRACE_ID}"))
    );
    assert_eq!(tail(text.trim_end()), GCP);
}

#[test]
fn the_schema_holds_the_gcp_keys_to_the_envelope() {
    let v = validator("mozlog.schema.json");
    let good = json!({
        "Timestamp": 1, "Type": "t", "Logger": "l", "Hostname": "h", "EnvVersion": "2.0",
        "Severity": 3, "Pid": 1, "Fields": {"msg": "m", "trace_id": TRACE_ID, "span_id": SPAN_ID},
        "severity": "ERROR", "message": "m",
        "logging.googleapis.com/trace": format!("projects/p/traces/{TRACE_ID}"),
        "logging.googleapis.com/spanId": SPAN_ID,
    });
    assert!(v.is_valid(&good));
    let mut cases = Vec::new();
    let mut wrong_name = good.clone();
    wrong_name["severity"] = json!("INFO");
    cases.push(("severity not naming Severity", wrong_name));
    let mut no_message = good.clone();
    no_message.as_object_mut().unwrap().remove("message");
    cases.push(("severity without message", no_message));
    let mut no_span = good.clone();
    no_span
        .as_object_mut()
        .unwrap()
        .remove("logging.googleapis.com/spanId");
    cases.push(("trace without spanId", no_span));
    let mut no_fields_trace = good.clone();
    no_fields_trace["Fields"] = json!({"msg": "m"});
    cases.push(("trace keys without Fields.trace_id", no_fields_trace));
    let mut bad_trace = good.clone();
    bad_trace["logging.googleapis.com/trace"] = json!(TRACE_ID);
    cases.push(("trace not projects/P/traces/T", bad_trace));
    for (what, record) in cases {
        assert!(!v.is_valid(&record), "{what} must be refused");
    }
}
