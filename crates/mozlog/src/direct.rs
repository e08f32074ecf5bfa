//! Records with fixed fields, written without tracing's field machinery.
//!
//! A service writes one `request.summary` per request. Through `tracing::event!` that record
//! costs a callsite check, the subscriber's dispatch, a visitor per field, a merge with the
//! span fields, and a copy of every value into the fields buffer before the line is built.
//! [`write_direct`] builds the same line straight into the line buffer: the caller appends its
//! fields in order, and the line goes to the batched stdout queue.
//!
//! It only does so when the result is exactly what the tracing path would write, which it can
//! know only for the subscriber [`init`](crate::init) installed in mozlog format (it holds
//! nothing but the level filter and the mozlog layer, so no other
//! layer misses the event):
//! - the current dispatcher is that subscriber (not a scoped one set by a test or a library);
//! - no span and no [`RequestContext`](crate::RequestContext) is entered (the tracing path
//!   would add their fields);
//! - the line fits within the line limit (the tracing path would truncate it).
//!
//! Otherwise it returns [`Direct::NotWritten`] and writes nothing, and the caller emits its
//! tracing event as before. The level filter is applied the same way as the tracing path:
//! an event the filter drops is not written.

use std::sync::OnceLock;

use tracing::Level;
use tracing_subscriber::filter::Targets;

use crate::fields::{push_json_str, push_u64};
use crate::gcp::{Gcp, Message};
use crate::mozlog::{now_ns, severity};
use crate::writer::with_buffer;
use crate::Trace;

/// What [`write_direct`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "when nothing was written the caller must emit its tracing event"]
pub enum Direct {
    /// The line was queued for stdout.
    Written,
    /// The level filter drops this record, as it would drop the tracing event.
    Filtered,
    /// Nothing was written: emit the record as a tracing event instead.
    NotWritten,
}

/// A field name, checked once at compile time to need no JSON escaping (ASCII letters,
/// digits, `_`, `.` and `-`, at most [`Key::MAX_LEN`] bytes), so that writing it is a copy.
///
/// It holds its JSON text (`"name":`) in a fixed-size array: writing a key copies 32 bytes,
/// which compiles to a few moves instead of a `memcpy` call (10 keys per `request.summary`).
#[derive(Clone, Copy)]
pub struct Key {
    text: [u8; 32],
    len: u8,
}

impl Key {
    /// The longest name a key may have.
    pub const MAX_LEN: usize = 29;

    /// The key `name`; panics (at compile time in a `const`) when `name` is empty, longer than
    /// [`Key::MAX_LEN`], or holds another character.
    pub const fn new(name: &'static str) -> Key {
        let bytes = name.as_bytes();
        assert!(!bytes.is_empty(), "a mozlog key is not empty");
        assert!(
            bytes.len() <= Key::MAX_LEN,
            "a direct mozlog key has at most 29 bytes"
        );
        let mut text = [0u8; 32];
        text[0] = b'"';
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            assert!(
                b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-',
                "a direct mozlog key is ASCII letters, digits, '_', '.' or '-'"
            );
            text[i + 1] = b;
            i += 1;
        }
        text[i + 1] = b'"';
        text[i + 2] = b':';
        Key {
            text,
            len: (i + 3) as u8,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        // Only ASCII was accepted by `new`.
        std::str::from_utf8(&self.text[1..usize::from(self.len) - 2]).unwrap_or_default()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Key").field(&self.name()).finish()
    }
}

/// The `Fields` object of a record being written by [`write_direct`].
#[derive(Debug)]
pub struct DirectFields<'b> {
    buf: &'b mut Vec<u8>,
    empty: bool,
    trace: Option<Trace>,
}

impl DirectFields<'_> {
    fn key(&mut self, key: Key) {
        if !std::mem::take(&mut self.empty) {
            self.buf.push(b',');
        }
        // The whole array (a fixed-size copy), then back to the key's own length.
        let end = self.buf.len() + usize::from(key.len);
        self.buf.extend_from_slice(&key.text);
        self.buf.truncate(end);
    }

    /// Appends a string field.
    pub fn str(&mut self, key: Key, value: &str) -> &mut Self {
        self.key(key);
        push_json_str(self.buf, value);
        self
    }

    /// Appends an integer field.
    pub fn u64(&mut self, key: Key, value: u64) -> &mut Self {
        self.key(key);
        push_u64(self.buf, value);
        self
    }

    /// Appends `trace_id` and `span_id`, which Cloud Logging's trace keys also take.
    pub fn trace(&mut self, trace: &Trace) -> &mut Self {
        // Hex digits need no escaping: the bytes are copied as they are.
        for (key, value) in [
            (const { Key::new("trace_id") }, trace.trace_id_bytes()),
            (const { Key::new("span_id") }, trace.span_id_bytes()),
        ] {
            self.key(key);
            self.buf.push(b'"');
            self.buf.extend_from_slice(value);
            self.buf.push(b'"');
        }
        self.trace = Some(*trace);
        self
    }
}

/// What [`init`](crate::init) set up, when it set up mozlog: the parts of the envelope that
/// never change, already JSON text.
#[derive(Debug)]
struct Installed {
    /// `,"Logger":..,"Hostname":..,"EnvVersion":"2.0","Severity":`
    logger_to_severity: Vec<u8>,
    /// `,"Pid":..,"Fields":{`
    pid_to_fields: Vec<u8>,
    max_line_bytes: usize,
    targets: Targets,
    gcp: Option<Gcp>,
}

impl Installed {
    fn new(
        logger: &str,
        hostname: &str,
        max_line_bytes: usize,
        targets: Targets,
        gcp: Option<Gcp>,
    ) -> Self {
        let mut logger_to_severity = b",\"Logger\":".to_vec();
        push_json_str(&mut logger_to_severity, logger);
        logger_to_severity.extend_from_slice(b",\"Hostname\":");
        push_json_str(&mut logger_to_severity, hostname);
        logger_to_severity.extend_from_slice(b",\"EnvVersion\":\"2.0\",\"Severity\":");
        let mut pid_to_fields = b",\"Pid\":".to_vec();
        push_u64(&mut pid_to_fields, u64::from(std::process::id()));
        pid_to_fields.extend_from_slice(b",\"Fields\":{");
        Installed {
            logger_to_severity,
            pid_to_fields,
            max_line_bytes,
            targets,
            gcp,
        }
    }
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Whether the subscriber [`init`](crate::init) installed (either format) is the current
/// dispatcher on this thread: then nothing but the mozlog or text layer reads spans, and a
/// [`RequestContext`](crate::RequestContext) carries the request id as well as a span would
/// (the request's span is made when something asks for it).
pub fn init_subscriber_in_use() -> bool {
    tracing::dispatcher::get_default(crate::config::is_init)
}

/// Called by `init` once the mozlog subscriber is the global default.
pub(crate) fn install(
    logger: &str,
    hostname: &str,
    max_line_bytes: usize,
    targets: Targets,
    gcp: Option<Gcp>,
) {
    let _ = INSTALLED.set(Installed::new(
        logger,
        hostname,
        max_line_bytes,
        targets,
        gcp,
    ));
}

/// Writes a record of type `target` at `level` whose `Fields` are what `fields` appends, in
/// that order, when this is exactly the line a `tracing::event!(target: .., level, ..)` with
/// the same fields (and no message) would make: under the subscriber [`init`](crate::init)
/// installed in mozlog format, with no span and no [`RequestContext`](crate::RequestContext)
/// entered, and a line within the limit. Keys must be distinct; an empty `Fields` gets
/// `"msg": ""` as on the tracing path.
///
/// Returns [`Direct::NotWritten`] (having written nothing) when it cannot promise that; the
/// caller then emits the tracing event.
pub fn write_direct(
    target: &str,
    level: Level,
    fields: impl FnOnce(&mut DirectFields<'_>),
) -> Direct {
    let Some(installed) = INSTALLED.get() else {
        return Direct::NotWritten;
    };
    // The context first: inside a request, asking for the current span would make it.
    let ours = crate::context::with_current(|rid, _| rid.is_none())
        && tracing::dispatcher::get_default(|dispatch| {
            crate::config::is_init(dispatch) && dispatch.current_span().id().is_none()
        });
    if !ours {
        return Direct::NotWritten;
    }
    if !installed.targets.would_enable(target, &level) {
        return Direct::Filtered;
    }
    with_buffer(|buf| {
        render(installed, target, level, now_ns(), buf, fields);
        if buf.len() > installed.max_line_bytes {
            return Direct::NotWritten;
        }
        crate::batch::enqueue(buf);
        Direct::Written
    })
}

fn render(
    installed: &Installed,
    target: &str,
    level: Level,
    timestamp: u64,
    buf: &mut Vec<u8>,
    fields: impl FnOnce(&mut DirectFields<'_>),
) {
    // What `Head::write` writes, from the parts computed once.
    buf.extend_from_slice(b"{\"Timestamp\":");
    push_u64(buf, timestamp);
    buf.extend_from_slice(b",\"Type\":");
    push_json_str(buf, target);
    buf.extend_from_slice(&installed.logger_to_severity);
    buf.push(b'0' + severity(level));
    buf.extend_from_slice(&installed.pid_to_fields);
    let mut object = DirectFields {
        buf,
        empty: true,
        trace: None,
    };
    fields(&mut object);
    let (empty, trace) = (object.empty, object.trace);
    if empty {
        buf.extend_from_slice(br#""msg":"""#);
    }
    buf.push(b'}');
    if let Some(gcp) = &installed.gcp {
        let message = if empty {
            Message::Json(b"\"\"")
        } else {
            Message::Text(target)
        };
        gcp.write_tail(buf, severity(level), message, trace.as_ref());
    }
    buf.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Capture;
    use crate::MozlogLayer;
    use tracing_subscriber::prelude::*;

    /// The direct line and the tracing line for the same fields are the same bytes, apart
    /// from the timestamp, with and without Cloud Logging's keys.
    #[test]
    fn same_line_as_the_tracing_path() {
        for project in [None, Some(Some("my-project")), Some(None)] {
            same_line(project);
        }
    }

    fn same_line(gcp: Option<Option<&str>>) {
        let (logger, hostname) = ("app \"quoted\"", "host\n1");
        let installed = Installed::new(logger, hostname, 65536, Targets::new(), gcp.map(Gcp::new));
        let capture = Capture::default();
        let mut layer = MozlogLayer::new(logger)
            .with_hostname(hostname)
            .with_writer(capture.clone());
        if let Some(project) = gcp {
            layer = layer.with_gcp(project);
        }
        let subscriber = tracing_subscriber::registry().with(layer);
        let (agent, path, method, lang, rid, uid) = (
            "Mozilla/5.0 \"x\"\t\u{1}é",
            "/a\\b",
            "GET",
            "fr-CH, fr;q=0.9",
            "4f1c",
            "",
        );
        let trace = Trace::new("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7").unwrap();
        let (trace_id, span_id) = (trace.trace_id(), trace.span_id());
        let (code, errno, t) = (503u16, 503u16, 12u64);
        tracing::subscriber::with_default(subscriber, || {
            tracing::event!(target: "request.summary", Level::ERROR,
                agent, path, method, code, errno, lang, t, rid, uid, trace_id, span_id,
                querystring = "a=1");
            tracing::event!(target: "request.summary", Level::INFO,
                agent, path, method, code, errno, lang, t, rid, uid);
            tracing::event!(target: "empty", Level::INFO, {});
        });
        let text = capture.text();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut direct = Vec::new();
        render(
            &installed,
            "request.summary",
            Level::ERROR,
            0,
            &mut direct,
            |f| {
                f.str(Key::new("agent"), agent)
                    .str(Key::new("path"), path)
                    .str(Key::new("method"), method)
                    .u64(Key::new("code"), code.into())
                    .u64(Key::new("errno"), errno.into())
                    .str(Key::new("lang"), lang)
                    .u64(Key::new("t"), t)
                    .str(Key::new("rid"), rid)
                    .str(Key::new("uid"), uid)
                    .trace(&trace)
                    .str(Key::new("querystring"), "a=1");
            },
        );
        let mut untraced = Vec::new();
        render(
            &installed,
            "request.summary",
            Level::INFO,
            0,
            &mut untraced,
            |f| {
                f.str(Key::new("agent"), agent)
                    .str(Key::new("path"), path)
                    .str(Key::new("method"), method)
                    .u64(Key::new("code"), code.into())
                    .u64(Key::new("errno"), errno.into())
                    .str(Key::new("lang"), lang)
                    .u64(Key::new("t"), t)
                    .str(Key::new("rid"), rid)
                    .str(Key::new("uid"), uid);
            },
        );
        let mut empty = Vec::new();
        render(&installed, "empty", Level::INFO, 0, &mut empty, |_| {});
        for (tracing_line, direct_line) in lines.iter().zip([direct, untraced, empty]) {
            let direct_line = String::from_utf8(direct_line).unwrap();
            assert_eq!(
                without_timestamp(tracing_line),
                without_timestamp(&direct_line)
            );
            assert_eq!(direct_line.contains(r#""severity":"#), gcp.is_some());
        }
        assert_eq!(lines.len(), 3);
        if gcp == Some(Some("my-project")) {
            assert!(lines[0].ends_with(r#""severity":"ERROR","message":"request.summary","logging.googleapis.com/trace":"projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736","logging.googleapis.com/spanId":"00f067aa0ba902b7"}
"#), "{}", lines[0]);
            assert!(lines[1].ends_with(
                r#","severity":"INFO","message":"request.summary"}
"#
            ));
        }
    }

    #[test]
    #[should_panic(expected = "ASCII letters")]
    fn keys_that_need_escaping_are_refused() {
        let _ = Key::new("a\"b");
    }

    fn without_timestamp(line: &str) -> String {
        let rest = line.split_once(',').unwrap().1;
        assert!(line.starts_with("{\"Timestamp\":"), "{line}");
        rest.to_owned()
    }

    /// Outside the subscriber `init` installs, nothing is written directly.
    #[test]
    fn not_written_under_another_subscriber() {
        let capture = Capture::default();
        let subscriber =
            tracing_subscriber::registry().with(MozlogLayer::new("x").with_writer(capture.clone()));
        let direct = tracing::subscriber::with_default(subscriber, || {
            write_direct("request.summary", Level::INFO, |f| {
                f.u64(Key::new("code"), 200);
            })
        });
        assert_eq!(direct, Direct::NotWritten);
        assert!(capture.text().is_empty());
    }
}
