//! The envelope and `Fields`, record by record.

use std::error::Error;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::support::{capture, capture_with};

#[test]
fn envelope_has_the_eight_keys_in_order() {
    let before = now_ns();
    let c = capture(|| tracing::info!("hello"));
    let after = now_ns();
    let line = c.text();
    assert!(line.starts_with("{\"Timestamp\":"));
    let r = c.only_record();
    let ts = r["Timestamp"].as_u64().expect("integer Timestamp");
    assert!(before <= ts && ts <= after, "{before} <= {ts} <= {after}");
    assert_eq!(r["Type"], "mozlog::format");
    assert_eq!(r["Logger"], "test-app");
    assert_eq!(r["Hostname"], "test-host");
    assert_eq!(r["EnvVersion"], "2.0");
    assert_eq!(r["Severity"], 6);
    assert_eq!(r["Pid"], std::process::id());
    assert_eq!(r["Fields"], json!({"msg": "hello"}));
}

#[test]
fn severity_follows_the_syslog_table() {
    let c = capture(|| {
        tracing::error!("e");
        tracing::warn!("w");
        tracing::info!("i");
        tracing::debug!("d");
        tracing::trace!("t");
        tracing::error!(critical = true, "c");
        tracing::warn!(critical = false, "not critical");
    });
    let severities: Vec<Value> = c.records().iter().map(|r| r["Severity"].clone()).collect();
    assert_eq!(severities, [3, 4, 6, 7, 7, 2, 4]);
    for r in c.records() {
        assert!(r["Fields"].get("critical").is_none(), "{r}");
    }
}

#[test]
fn type_comes_from_the_type_field_else_the_target() {
    let c = capture(|| {
        tracing::info!(target: "request.summary", code = 200, "");
        tracing::info!(r#type = "raw.ident", "a");
        tracing::info!("type" = "string.name", "b");
        tracing::info!(target: "ignored", r#type = 7, "c");
    });
    let r = c.records();
    assert_eq!(r[0]["Type"], "request.summary");
    assert_eq!(r[1]["Type"], "raw.ident");
    assert_eq!(r[2]["Type"], "string.name");
    assert_eq!(r[3]["Type"], "7");
    for record in &r {
        assert!(record["Fields"].get("type").is_none(), "{record}");
        assert!(record["Fields"].get("r#type").is_none(), "{record}");
    }
}

#[test]
fn message_is_msg_and_fields_are_never_empty() {
    let c = capture(|| {
        tracing::info!(count = 1, "text {}", 42);
        tracing::info!(r#type = "only.type");
        tracing::info!(k = "v");
    });
    let r = c.records();
    assert_eq!(r[0]["Fields"], json!({"msg": "text 42", "count": 1}));
    assert!(r[0]["Fields"].get("message").is_none());
    assert_eq!(r[1]["Fields"], json!({"msg": ""}));
    assert_eq!(r[2]["Fields"], json!({"k": "v"}));
}

struct Shown;

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shown")
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Debugged {
    a: u8,
}

#[test]
fn values_keep_their_json_types() {
    let c = capture(|| {
        tracing::info!(
            s = "str",
            neg = -5i64,
            big = u64::MAX,
            huge = i128::MAX,
            small128 = 12i128,
            f = 1.5f64,
            nan = f64::NAN,
            inf = f64::INFINITY,
            yes = true,
            disp = %Shown,
            dbg = ?Debugged { a: 1 },
            "values"
        );
    });
    let f = &c.only_record()["Fields"];
    assert_eq!(f["s"], "str");
    assert_eq!(f["neg"], -5);
    assert_eq!(f["big"], u64::MAX);
    assert_eq!(f["huge"], i128::MAX.to_string());
    assert_eq!(f["small128"], 12);
    assert_eq!(f["f"], 1.5);
    assert_eq!(f["nan"], "NaN");
    assert_eq!(f["inf"], "inf");
    assert_eq!(f["yes"], true);
    assert_eq!(f["disp"], "shown");
    assert_eq!(f["dbg"], "Debugged { a: 1 }");
}

#[test]
fn span_fields_merge_innermost_first_event_wins() {
    let c = capture(|| {
        let outer = tracing::info_span!("outer", a = 1, b = "outer", late = tracing::field::Empty);
        let _o = outer.enter();
        let _i = tracing::info_span!("inner", b = "inner", c = "inner").entered();
        outer.record("late", "recorded");
        tracing::info!(c = "event", d = 4, "merged");
    });
    let r = c.only_record();
    assert_eq!(
        r["Fields"],
        json!({"msg": "merged", "a": 1, "b": "inner", "late": "recorded", "c": "event", "d": 4})
    );
    let line = c.text();
    assert!(!line.contains("spans") && !line.contains("outer\"") && !line.contains("\"inner\":"));
    // Keys keep their first position: outer span's, then inner's, then the event's.
    let keys: Vec<&str> = ["\"msg\"", "\"a\"", "\"b\"", "\"late\"", "\"c\"", "\"d\""].to_vec();
    let positions: Vec<usize> = keys.iter().map(|k| line.find(k).expect(k)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
}

#[test]
fn request_id_from_the_request_span_is_on_every_record() {
    let rid = "0d3e8d9c-2f2b-4d49-9c39-6f0b0b7a1a55".to_owned();
    let c = capture(|| {
        let _request = tracing::info_span!("request", rid = %rid).entered();
        tracing::debug!("inside");
        tracing::warn!(target: "request.summary", code = 500, "done");
    });
    let records = c.records();
    assert_eq!(records.len(), 2);
    for r in records {
        assert_eq!(r["Fields"]["rid"], rid.as_str());
    }
}

#[derive(Debug)]
struct Layered {
    text: &'static str,
    source: Option<Box<Layered>>,
}

impl fmt::Display for Layered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl Error for Layered {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

fn chain(texts: &[&'static str]) -> Layered {
    let mut error: Option<Box<Layered>> = None;
    for text in texts.iter().rev() {
        error = Some(Box::new(Layered {
            text,
            source: error,
        }));
    }
    *error.expect("non-empty")
}

#[test]
fn errors_carry_their_source_chain() {
    let e = chain(&[
        "cannot load config",
        "cannot open /app/config.toml",
        "permission denied",
    ]);
    // An error that already prints its source: the source is not repeated.
    let self_printing = chain(&["query failed: timed out", "timed out"]);
    let c = capture(|| {
        tracing::error!(error = &e as &dyn Error, "start-up failed");
        tracing::error!(
            error = &self_printing as &dyn Error,
            backtrace = "0: main\n1: start",
            "db"
        );
    });
    let r = c.records();
    assert_eq!(
        r[0]["Fields"]["error"],
        "cannot load config: cannot open /app/config.toml: permission denied"
    );
    assert_eq!(r[0]["Severity"], 3);
    assert_eq!(r[1]["Fields"]["error"], "query failed: timed out");
    assert_eq!(r[1]["Fields"]["backtrace"], "0: main\n1: start");
}

#[test]
fn no_raw_newline_ever() {
    let c = capture_with(
        |l| l.with_hostname("host\nname"),
        || {
            let _s = tracing::info_span!("s", span_value = "x\ny").entered();
            tracing::info!(
                r#type = "t\r\n",
                v = "a\rb\u{0}c",
                "line one\nline two\r\nend"
            );
        },
    );
    let text = c.text();
    assert_eq!(text.matches('\n').count(), 1);
    assert!(text.ends_with('\n') && !text.contains('\r'));
    let r = c.only_record();
    assert_eq!(r["Fields"]["msg"], "line one\nline two\r\nend");
    assert_eq!(r["Fields"]["v"], "a\rb\u{0}c");
    assert_eq!(r["Type"], "t\r\n");
}

fn now_ns() -> u64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    u64::try_from(d.as_nanos()).expect("before 2554")
}
