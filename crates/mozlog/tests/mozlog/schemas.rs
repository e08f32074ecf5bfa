//! The contract schemas accept the contract's examples and reject what it forbids.

use serde_json::{json, Value};

use crate::support::{validator, ENVELOPE};

fn record(fields: Value) -> Value {
    json!({
        "Timestamp": 1_795_320_920_850_108_416u64, "Type": "app.log", "Logger": "demo-app",
        "Hostname": "vm", "EnvVersion": "2.0", "Severity": 6, "Pid": 10406, "Fields": fields
    })
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().expect("object").remove(key);
    v
}

#[test]
fn mozlog_schema() {
    let v = validator("mozlog.schema.json");
    let good =
        record(json!({"msg": "hi", "list": [1, "a", true, null], "obj": {"k": "v", "n": 1}}));
    assert!(v.is_valid(&good));
    let mut with_time = good.clone();
    with_time["Time"] = json!("2026-11-22T05:19:21Z");
    assert!(v.is_valid(&with_time), "extra envelope keys are allowed");

    let mut bad = Vec::new();
    for key in ENVELOPE {
        bad.push((format!("missing {key}"), without(good.clone(), key)));
    }
    let mut severity_9 = good.clone();
    severity_9["Severity"] = json!(9);
    bad.push(("Severity 9".into(), severity_9));
    let mut env_version = good.clone();
    env_version["EnvVersion"] = json!("1.0");
    bad.push(("EnvVersion 1.0".into(), env_version));
    let mut negative = good.clone();
    negative["Timestamp"] = json!(-1);
    bad.push(("negative Timestamp".into(), negative));
    let mut float_ts = good.clone();
    float_ts["Timestamp"] = json!(1.5);
    bad.push(("fractional Timestamp".into(), float_ts));
    bad.push((
        "nested object".into(),
        record(json!({"obj": {"inner": {"deep": 1}}})),
    ));
    bad.push((
        "object in array".into(),
        record(json!({"list": [{"a": 1}]})),
    ));
    bad.push(("array in object".into(), record(json!({"obj": {"a": [1]}}))));
    bad.push(("empty Fields".into(), record(json!({}))));
    let mut lowercase = without(good.clone(), "Type");
    lowercase["type"] = json!("app.log");
    bad.push(("lowercase type".into(), lowercase));
    for (what, value) in bad {
        assert!(!v.is_valid(&value), "accepted {what}: {value}");
    }
}

fn summary(code: u16, errno: u16, severity: u8) -> Value {
    let mut r = record(json!({
        "agent": "curl/8", "path": "/hello", "method": "GET", "code": code, "errno": errno,
        "lang": "fr", "t": 0, "rid": "abc-123", "uid": ""
    }));
    r["Type"] = json!("request.summary");
    r["Severity"] = json!(severity);
    r
}

#[test]
fn request_summary_schema() {
    let v = validator("request-summary.schema.json");
    assert!(v.is_valid(&summary(200, 0, 6)));
    assert!(v.is_valid(&summary(404, 404, 6)));
    assert!(v.is_valid(&summary(503, 503, 3)));
    let mut with_query = summary(200, 0, 6);
    with_query["Fields"]["querystring"] = json!("a=1");
    assert!(v.is_valid(&with_query));

    let mut bad = vec![
        ("errno set below 400", summary(200, 200, 6)),
        ("errno 0 on an error", summary(500, 0, 3)),
        ("5xx at info", summary(500, 500, 6)),
        ("2xx at error", summary(200, 0, 3)),
        ("code 600", summary(600, 600, 3)),
    ];
    for key in [
        "agent", "path", "method", "code", "errno", "lang", "t", "rid", "uid",
    ] {
        let mut r = summary(200, 0, 6);
        r["Fields"].as_object_mut().expect("Fields").remove(key);
        bad.push(("a missing field", r));
    }
    let mut t_float = summary(200, 0, 6);
    t_float["Fields"]["t"] = json!(1.5);
    bad.push(("fractional t", t_float));
    let mut other_type = summary(200, 0, 6);
    other_type["Type"] = json!("app.log");
    bad.push(("another Type", other_type));
    bad.push((
        "no EnvVersion (the envelope is checked too)",
        without(summary(200, 0, 6), "EnvVersion"),
    ));
    for (what, value) in bad {
        assert!(!v.is_valid(&value), "accepted {what}: {value}");
    }
}

#[test]
fn version_schema() {
    let v = validator("version.schema.json");
    let good = json!({
        "source": "https://github.com/mozilla-services/Dockerflow", "version": "",
        "commit": "8f8771b", "build": "https://ci.example/job/1", "extra": {"kept": true}
    });
    assert!(v.is_valid(&good));
    let mut stub = good.clone();
    stub["commit"] = json!("none. stub"); // the reference app's stub
    assert!(!v.is_valid(&stub));
    assert!(!v.is_valid(&without(good.clone(), "build")));
    let mut number = good.clone();
    number["version"] = json!(1);
    assert!(!v.is_valid(&number));
    let mut long = good.clone();
    long["commit"] = json!("a".repeat(65));
    assert!(!v.is_valid(&long));
    assert!(!v.is_valid(&json!(["not", "an", "object"])));
}

#[test]
fn heartbeat_schema() {
    let v = validator("heartbeat.schema.json");
    assert!(v.is_valid(&json!({"status": "ok", "checks": {}, "details": {}})));
    let warning = json!({
        "status": "warning",
        "checks": {"database": "ok", "cache": "warning"},
        "details": {"cache": {"status": "warning", "level": 30,
                              "messages": {"cache.W001": "slow"}, "duration_ms": 12}},
        "duration_ms": 40
    });
    assert!(v.is_valid(&warning));
    for (what, value) in [
        ("no status", json!({"checks": {}})),
        ("unknown status", json!({"status": "fine"})),
        (
            "level 35",
            json!({"status": "error", "details": {"db": {"status": "error", "level": 35, "messages": {}}}}),
        ),
        (
            "message not a string",
            json!({"status": "error", "details": {"db": {"status": "error", "level": 40, "messages": {"x": 1}}}}),
        ),
        (
            "check status not a name",
            json!({"status": "ok", "checks": {"db": 0}}),
        ),
    ] {
        assert!(!v.is_valid(&value), "accepted {what}: {value}");
    }
}
