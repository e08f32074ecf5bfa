//! The test kit's capturing writer, a scoped subscriber, and each line's exact shape (the schemas in
//! the contract are `dockerflow-testkit`'s to load).

use dockerflow_mozlog::MozlogLayer;
pub(crate) use dockerflow_testkit::capture::Capture;
pub(crate) use dockerflow_testkit::schema::validator;
use serde_json::Value;
use tracing_subscriber::prelude::*;

pub(crate) const ENVELOPE: [&str; 8] = [
    "Timestamp",
    "Type",
    "Logger",
    "Hostname",
    "EnvVersion",
    "Severity",
    "Pid",
    "Fields",
];

/// The keys Google Cloud Logging reads, which `with_gcp` adds after `Fields`.
pub(crate) const GCP: [&str; 4] = [
    "severity",
    "message",
    "logging.googleapis.com/trace",
    "logging.googleapis.com/spanId",
];

/// What a test logged through [`capture`] or [`capture_with`], read back as checked records.
pub(crate) struct Logged(Capture);

impl Logged {
    /// Everything written, as text.
    pub(crate) fn text(&self) -> String {
        self.0.text()
    }

    /// Every line, checked with [`check_line`].
    pub(crate) fn records(&self) -> Vec<Value> {
        let text = self.text();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "last line unterminated"
        );
        text.lines().map(check_line).collect()
    }

    pub(crate) fn only_record(&self) -> Value {
        let mut records = self.records();
        assert_eq!(records.len(), 1, "{records:#?}");
        records.remove(0)
    }
}

/// The records `f` logs through a `MozlogLayer` named "test-app" on host "test-host".
pub(crate) fn capture_with(
    layer: impl FnOnce(MozlogLayer<Capture>) -> MozlogLayer<Capture>,
    f: impl FnOnce(),
) -> Logged {
    let capture = Capture::default();
    let layer = layer(
        MozlogLayer::new("test-app")
            .with_hostname("test-host")
            .with_writer(capture.clone()),
    );
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
    Logged(capture)
}

pub(crate) fn capture(f: impl FnOnce()) -> Logged {
    capture_with(|l| l, f)
}

/// Parses one line (without its '\n'), checks it against the schema and the key order.
pub(crate) fn check_line(line: &str) -> Value {
    assert!(
        !line.contains('\r') && !line.contains('\n'),
        "raw newline in {line:?}"
    );
    let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    if let Err(e) = validator("mozlog.schema.json").validate(&record) {
        panic!("not a mozlog record ({e}): {line}");
    }
    let object = record.as_object().expect("an object");
    let mozlog_keys = object.keys().filter(|k| !GCP.contains(&k.as_str())).count();
    assert_eq!(mozlog_keys, ENVELOPE.len(), "{line}");
    // An unescaped quote is structural, so `,"Key":` only matches a key; the Fields keys come
    // after every envelope key, so the first match of each is the envelope's.
    assert!(line.starts_with("{\"Timestamp\":"), "{line}");
    let mut at = 0;
    for key in &ENVELOPE[1..] {
        let needle = format!(",\"{key}\":");
        let found = line[at..]
            .find(&needle)
            .unwrap_or_else(|| panic!("{key} out of order in {line}"));
        at += found + needle.len();
    }
    record
}
