//! The human-readable format.

use dockerflow_mozlog::TextLayer;
use tracing_subscriber::prelude::*;

use crate::support::Capture;

fn text(f: impl FnOnce()) -> String {
    let capture = Capture::default();
    let layer = TextLayer::new().with_writer(capture.clone());
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
    capture.text()
}

#[test]
fn one_readable_line_per_record() {
    let out = text(|| {
        let _r = tracing::info_span!("request", rid = "abc").entered();
        tracing::info!(target: "request.summary", code = 200, path = "/a b", "GET done\nnext");
        tracing::error!(critical = true, "down");
    });
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let (timestamp, rest) = lines[0].split_once(' ').expect("timestamp");
    // 2026-11-22T05:19:21.123Z
    assert_eq!(timestamp.len(), 24, "{timestamp}");
    assert!(
        timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T',
        "{timestamp}"
    );
    assert_eq!(
        rest,
        r#" INFO request.summary: GET done\nnext rid=abc code=200 path="/a b""#
    );
    assert!(
        lines[1].contains(" CRIT mozlog::text: down rid=abc"),
        "{}",
        lines[1]
    );
}
