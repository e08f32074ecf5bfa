//! Records over the line limit are shortened, never split or dropped.

use dockerflow_mozlog::TRUNCATION_MARKER;

use crate::support::capture_with;

#[test]
fn a_one_megabyte_message_fits_in_1024_bytes() {
    let message = "é".repeat(500_000) + "end"; // 1 MB, two-byte chars to test char boundaries
    let c = capture_with(
        |l| l.with_max_line_bytes(1024),
        || {
            let _r = tracing::info_span!("request", rid = "rid-1").entered();
            tracing::info!(small = "kept", "{message}");
        },
    );
    let text = c.text();
    assert!(text.len() <= 1024, "{} bytes", text.len());
    assert!(
        text.len() > 900,
        "cut more than needed: {} bytes",
        text.len()
    );
    let r = c.only_record();
    let msg = r["Fields"]["msg"].as_str().expect("msg");
    assert!(msg.ends_with(TRUNCATION_MARKER));
    assert!(message.starts_with(msg.strip_suffix(TRUNCATION_MARKER).expect("marker")));
    let original = r["Fields"]["truncated"].as_u64().expect("truncated");
    assert!(original > 1_000_000, "{original}");
    assert_eq!(r["Fields"]["rid"], "rid-1");
    assert_eq!(r["Fields"]["small"], "kept");
}

#[test]
fn the_longest_values_are_shortened_first() {
    let long = "a".repeat(6000);
    let medium = "b".repeat(1500);
    let c = capture_with(
        |l| l.with_max_line_bytes(4096),
        || tracing::info!(long = long.as_str(), medium = medium.as_str(), "m"),
    );
    assert!(c.text().len() <= 4096);
    let r = c.only_record();
    assert_eq!(r["Fields"]["medium"], medium.as_str());
    assert!(r["Fields"]["long"]
        .as_str()
        .expect("long")
        .ends_with(TRUNCATION_MARKER));
    assert_eq!(r["Fields"]["msg"], "m");
}

#[test]
fn escaped_characters_count_as_written() {
    let quoted = "\"\n".repeat(5000); // 10 KB raw, 20 KB escaped
    let c = capture_with(
        |l| l.with_max_line_bytes(2048),
        || tracing::warn!(v = quoted.as_str(), "quotes"),
    );
    let text = c.text();
    assert!(
        text.len() <= 2048 && text.len() > 1900,
        "{} bytes",
        text.len()
    );
    c.only_record();
}

#[test]
fn the_envelope_is_shortened_only_when_fields_cannot_be() {
    let kind = "t".repeat(5000);
    let c = capture_with(
        |l| l.with_max_line_bytes(1024),
        || tracing::info!(r#type = kind.as_str(), "short"),
    );
    assert!(c.text().len() <= 1024);
    let r = c.only_record();
    assert!(r["Type"]
        .as_str()
        .expect("Type")
        .ends_with(TRUNCATION_MARKER));
    assert_eq!(r["Fields"]["msg"], "short");
}

#[test]
fn an_absurd_limit_still_writes_one_record() {
    let c = capture_with(
        |l| l.with_max_line_bytes(10),
        || tracing::info!("{}", "x".repeat(10_000)),
    );
    let r = c.only_record();
    assert!(r["Fields"]["truncated"].as_u64().is_some());
    assert!(c.text().len() < 400, "{} bytes", c.text().len());
}

#[test]
fn records_within_the_limit_are_untouched() {
    let c = capture_with(
        |l| l.with_max_line_bytes(1024),
        || tracing::info!("{}", "x".repeat(800)),
    );
    let r = c.only_record();
    assert!(r["Fields"].get("truncated").is_none());
    assert_eq!(r["Fields"]["msg"].as_str().map(str::len), Some(800));
}
