//! Google Cloud Logging's keys beside the mozlog envelope (CONTRACT 1.8).
//!
//! Cloud Logging reads a JSON line's level from a top-level `severity` string and its text from
//! `message`; without them every mozlog line shows at the default level. With
//! [`MozlogLayer::with_gcp`](crate::MozlogLayer::with_gcp) each line gets, after `Fields`:
//!
//! | key | value |
//! |---|---|
//! | `severity` | `Severity` by name: `EMERGENCY` 0, `ALERT` 1, `CRITICAL` 2, `ERROR` 3, `WARNING` 4, `NOTICE` 5, `INFO` 6, `DEBUG` 7 |
//! | `message` | `Fields.msg`, or the record's `Type` when it has no message (a `request.summary`) |
//! | `logging.googleapis.com/trace` | `projects/PROJECT/traces/TRACE_ID`, when the record has `Fields.trace_id` and `Fields.span_id` and a project is configured |
//! | `logging.googleapis.com/spanId` | `Fields.span_id`, with the key above |
//!
//! The eight mozlog keys are unchanged, so a mozlog reader reads the same lines.

use std::fmt;

use crate::fields::push_json_str;

/// The ids of a W3C trace context (`traceparent`): a 32-hex-digit trace id and the caller's
/// 16-hex-digit span id, lowercase, neither all zeros. Copied, never allocated.
///
/// Inside a [`RequestContext`](crate::RequestContext) that has one, every record carries them as
/// `Fields.trace_id` and `Fields.span_id` (after `rid`), and so do Cloud Logging's trace keys.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Trace {
    trace_id: [u8; 32],
    span_id: [u8; 16],
}

impl Trace {
    /// The trace `trace_id` (32 lowercase hex digits, not all `0`) and span `span_id` (16, not
    /// all `0`), or `None` when either is not that.
    pub fn new(trace_id: &str, span_id: &str) -> Option<Trace> {
        Trace::from_hex(trace_id.as_bytes(), span_id.as_bytes())
    }

    /// [`Trace::new`] from bytes (a header's), with no UTF-8 check: hex digits are ASCII.
    pub fn from_hex(trace_id: &[u8], span_id: &[u8]) -> Option<Trace> {
        Some(Trace {
            trace_id: hex_id(trace_id)?,
            span_id: hex_id(span_id)?,
        })
    }

    /// The trace id's bytes, for writers that need no `str` (hex digits need no escaping).
    pub(crate) fn trace_id_bytes(&self) -> &[u8] {
        &self.trace_id
    }

    /// The span id's bytes.
    pub(crate) fn span_id_bytes(&self) -> &[u8] {
        &self.span_id
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id(&self) -> &str {
        // Only lowercase hex digits are ever stored.
        std::str::from_utf8(&self.trace_id).unwrap_or_default()
    }

    /// The span id, 16 lowercase hex digits.
    pub fn span_id(&self) -> &str {
        std::str::from_utf8(&self.span_id).unwrap_or_default()
    }

    /// The ids from a record's raw `trace_id` and `span_id` JSON values (quoted strings).
    pub(crate) fn from_json(trace_id: &[u8], span_id: &[u8]) -> Option<Trace> {
        let unquote = |v: &'_ [u8]| -> Option<Vec<u8>> {
            Some(v.strip_prefix(b"\"")?.strip_suffix(b"\"")?.to_vec())
        };
        Trace::from_hex(&unquote(trace_id)?, &unquote(span_id)?)
    }
}

/// Whether a byte is a lowercase hex digit (a table: this runs on every traced request).
static LOWER_HEX: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'0'..=b'9' | b'a'..=b'f');
        b += 1;
    }
    table
};

/// Whether every byte is a lowercase hex digit.
pub(crate) fn is_lower_hex(bytes: &[u8]) -> bool {
    let mut ok = true;
    for &b in bytes {
        ok &= LOWER_HEX[usize::from(b)];
    }
    ok
}

fn hex_id<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let bytes: [u8; N] = text.try_into().ok()?;
    let mut nonzero = false;
    for &b in &bytes {
        nonzero |= b != b'0';
    }
    (is_lower_hex(&bytes) && nonzero).then_some(bytes)
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("trace_id", &self.trace_id())
            .field("span_id", &self.span_id())
            .finish()
    }
}

/// Cloud Logging's severity name for a syslog severity.
pub(crate) fn severity_name(severity: u8) -> &'static str {
    match severity {
        0 => "EMERGENCY",
        1 => "ALERT",
        2 => "CRITICAL",
        3 => "ERROR",
        4 => "WARNING",
        5 => "NOTICE",
        6 => "INFO",
        _ => "DEBUG",
    }
}

/// The `message` of a record: a value's JSON text, or plain text to quote.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Message<'a> {
    /// `Fields.msg`'s JSON text.
    Json(&'a [u8]),
    /// The `Type`, when there is no message.
    Text(&'a str),
}

/// What Cloud Logging needs beside the envelope, set up once per layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gcp {
    /// `,"logging.googleapis.com/trace":"projects/PROJECT/traces/`, when a project is known.
    trace_prefix: Option<Vec<u8>>,
}

impl Gcp {
    pub(crate) fn new(project: Option<&str>) -> Gcp {
        let trace_prefix = project.map(|project| {
            let mut prefix = b",\"logging.googleapis.com/trace\":".to_vec();
            push_json_str(&mut prefix, &format!("projects/{project}/traces/"));
            prefix.pop(); // the closing quote: the trace id follows
            prefix
        });
        Gcp { trace_prefix }
    }

    /// Appends `,"severity":..,"message":..` and, with a trace and a project, the trace keys.
    pub(crate) fn write_tail(
        &self,
        buf: &mut Vec<u8>,
        severity: u8,
        message: Message<'_>,
        trace: Option<&Trace>,
    ) {
        buf.extend_from_slice(b",\"severity\":\"");
        buf.extend_from_slice(severity_name(severity).as_bytes());
        buf.extend_from_slice(b"\",\"message\":");
        match message {
            Message::Json(json) if json.first() == Some(&b'"') => buf.extend_from_slice(json),
            Message::Json(json) => push_json_str(buf, &String::from_utf8_lossy(json)),
            Message::Text(text) => push_json_str(buf, text),
        }
        if let (Some(prefix), Some(trace)) = (&self.trace_prefix, trace) {
            buf.extend_from_slice(prefix);
            buf.extend_from_slice(trace.trace_id_bytes());
            buf.extend_from_slice(b"\",\"logging.googleapis.com/spanId\":\"");
            buf.extend_from_slice(trace.span_id_bytes());
            buf.push(b'"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_are_lowercase_hex_and_not_zero() {
        let t = Trace::new("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7").unwrap();
        assert_eq!(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.span_id(), "00f067aa0ba902b7");
        for (trace, span) in [
            ("4BF92F3577B34DA6A3CE929D0E0E4736", "00f067aa0ba902b7"),
            ("00000000000000000000000000000000", "00f067aa0ba902b7"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "0000000000000000"),
            ("4bf92f3577b34da6a3ce929d0e0e473", "00f067aa0ba902b7"),
            ("4bf92f3577b34da6a3ce929d0e0e473g", "00f067aa0ba902b7"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7a"),
        ] {
            assert!(Trace::new(trace, span).is_none(), "{trace} {span}");
        }
    }

    #[test]
    fn tail() {
        let trace = Trace::new("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        let mut buf = Vec::new();
        Gcp::new(Some("my-project")).write_tail(
            &mut buf,
            3,
            Message::Json(br#""boom \"x\"""#),
            trace.as_ref(),
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#","severity":"ERROR","message":"boom \"x\"","logging.googleapis.com/trace":"projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736","logging.googleapis.com/spanId":"00f067aa0ba902b7""#
        );
        let mut buf = Vec::new();
        Gcp::new(None).write_tail(
            &mut buf,
            6,
            Message::Text("request.summary"),
            trace.as_ref(),
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#","severity":"INFO","message":"request.summary""#
        );
    }
}
