//! The human-readable layer, for local development (experimenter #925).
//!
//! One line per event: `2026-11-22T05:19:21.123Z  INFO request.summary: message key=value`.
//! The timestamp is RFC 3339 in UTC with milliseconds; the level is right-aligned on five
//! columns (`CRIT` for `critical = true`); then the record's `Type` (as in mozlog), the message,
//! and the other fields (spans' included) as `key=value`. A value with spaces, quotes, `=` or
//! control characters is quoted with `\n`, `\r`, `\t`, `\"` and `\\` escapes, so a record stays
//! on one line. No colours and no size limit: this mode is for a developer's terminal.

use std::fmt;
use std::io::Stdout;

use serde_json::Value;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::fields;
use crate::mozlog::now_ns;
use crate::writer::{with_buffer, LineWriter};

/// A [`Layer`] writing every event as one human-readable line (see the module docs).
pub struct TextLayer<W = fn() -> Stdout> {
    writer: LineWriter<W>,
}

impl TextLayer {
    /// A layer writing to stdout.
    pub fn new() -> Self {
        TextLayer {
            writer: LineWriter::new(std::io::stdout),
        }
    }
}

impl Default for TextLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<W> TextLayer<W> {
    /// Writes to the writers `w` makes instead of stdout (each line with one `write_all`).
    pub fn with_writer<W2: for<'a> MakeWriter<'a> + 'static>(self, w: W2) -> TextLayer<W2> {
        TextLayer {
            writer: LineWriter::new(w),
        }
    }
}

impl<W> fmt::Debug for TextLayer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextLayer").finish_non_exhaustive()
    }
}

impl<S, W> Layer<S> for TextLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        fields::on_new_span(attrs, id, &ctx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        fields::on_record(id, values, &ctx);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let collected = fields::collect(event, &ctx);
        let level = if collected.critical {
            "CRIT"
        } else {
            match *metadata.level() {
                Level::ERROR => "ERROR",
                Level::WARN => "WARN",
                Level::INFO => "INFO",
                Level::DEBUG => "DEBUG",
                Level::TRACE => "TRACE",
            }
        };
        let kind = match &collected.kind {
            Some(kind) if !kind.is_empty() => kind.as_str(),
            _ => metadata.target(),
        };
        with_buffer(|buf| {
            let mut line = String::new();
            push_rfc3339_millis(&mut line, now_ns());
            line.push_str(&format!(" {level:>5} "));
            push_escaped(&mut line, kind);
            line.push(':');
            if let Some(msg) = collected.fields.get("msg") {
                line.push(' ');
                push_plain(&mut line, msg);
            }
            for (key, value) in collected.fields.iter().filter(|(k, _)| *k != "msg") {
                line.push(' ');
                line.push_str(key);
                line.push('=');
                push_quoted_if_needed(&mut line, value);
            }
            line.push('\n');
            buf.extend_from_slice(line.as_bytes());
            self.writer.write_line(buf, metadata);
        });
    }
}

/// The message: as is, with control characters escaped.
fn push_plain(line: &mut String, value: &Value) {
    match value {
        Value::String(s) => push_escaped(line, s),
        other => line.push_str(&other.to_string()),
    }
}

fn push_quoted_if_needed(line: &mut String, value: &Value) {
    match value {
        Value::String(s) if s.is_empty() || s.chars().any(needs_quotes) => {
            line.push('"');
            push_escaped(line, s);
            line.push('"');
        }
        Value::String(s) => line.push_str(s),
        other => line.push_str(&other.to_string()),
    }
}

fn needs_quotes(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '=' | '\\')
}

fn push_escaped(line: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                line.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => line.push(c),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for nanoseconds since the Unix epoch (`u64` nanoseconds end in
/// 2554, inside the years `humantime` formats).
pub(crate) fn push_rfc3339_millis(line: &mut String, ns: u64) {
    use std::fmt::Write;
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns);
    let _ = write!(line, "{}", humantime::format_rfc3339_millis(at));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc3339(ns: u64) -> String {
        let mut s = String::new();
        push_rfc3339_millis(&mut s, ns);
        s
    }

    #[test]
    fn timestamps_match_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // `date -u -d @951782400` (a leap day in a century year divisible by 400).
        assert_eq!(rfc3339(951_782_400_000_000_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            rfc3339(1_795_320_920_850_108_416),
            "2026-11-22T04:15:20.850Z"
        );
        assert_eq!(
            rfc3339(4_107_542_399_999_999_999),
            "2100-02-28T23:59:59.999Z"
        );
        assert_eq!(
            rfc3339(4_107_542_400_000_000_000),
            "2100-03-01T00:00:00.000Z"
        );
    }

    #[test]
    fn values_stay_on_one_line() {
        let mut s = String::new();
        push_quoted_if_needed(&mut s, &Value::String("a b\nc\r\"d\"".into()));
        assert_eq!(s, r#""a b\nc\r\"d\"""#);
        let mut s = String::new();
        push_quoted_if_needed(&mut s, &Value::String("plain".into()));
        assert_eq!(s, "plain");
    }
}
