//! Collecting tracing field values into a record's `Fields`.
//!
//! Values are rendered to JSON text as they are visited ([`RawFields`]): a record's fields are
//! one byte buffer plus, per key, the range of its value, so writing a line is a copy, with no
//! intermediate `serde_json::Value` and no allocation per field. Spans keep their fields the
//! same way in a [`SpanFields`] extension (recorded when the span is created and on every
//! `Span::record`), so that an event is merged over the spans it is inside without re-visiting
//! them. [`collect`] turns the raw fields into [`Fields`] of values for the paths that need to
//! inspect or edit them (the text layer, and truncation of an over-long line).
//!
//! The JSON text is byte for byte what `serde_json` writes for the same value (a test checks
//! it), so both paths write identical lines.

use std::error::Error;
use std::fmt;
use std::ops::Range;

use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// An ordered list of `Fields` entries: the first insertion fixes a key's position, the last
/// one its value (so inner spans and the event win over outer spans).
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields {
    entries: Vec<(&'static str, Value)>,
}

impl Fields {
    pub(crate) fn insert(&mut self, key: &'static str, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// The string values, for truncation.
    pub(crate) fn strings_mut(&mut self) -> impl Iterator<Item = &mut String> {
        self.entries.iter_mut().filter_map(|(_, v)| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
    }
}

/// Fields rendered as JSON: every value's JSON text in one buffer, and per key (in `Fields`
/// order: first insertion fixes the position, the last one the value) its byte range.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawFields {
    text: Vec<u8>,
    entries: Vec<(&'static str, Range<usize>)>,
}

impl RawFields {
    /// Sets `key` to the JSON value `render` appends to the buffer.
    fn insert_with(&mut self, key: &'static str, render: impl FnOnce(&mut Vec<u8>)) {
        let start = self.text.len();
        render(&mut self.text);
        let range = start..self.text.len();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = range,
            None => self.entries.push((key, range)),
        }
    }

    fn merge(&mut self, other: &RawFields) {
        for (key, range) in &other.entries {
            self.insert_with(key, |buf| buf.extend_from_slice(&other.text[range.clone()]));
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The JSON text of `key`'s value.
    pub(crate) fn get_raw(&self, key: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, range)| &self.text[range.clone()])
    }

    /// The trace context the record's `trace_id` and `span_id` hold, if valid.
    pub(crate) fn trace(&self) -> Option<crate::Trace> {
        crate::Trace::from_json(self.get_raw("trace_id")?, self.get_raw("span_id")?)
    }

    /// Bytes of JSON text held (a reused buffer above some size is not kept).
    pub(crate) fn capacity(&self) -> usize {
        self.text.capacity()
    }

    /// Moves `msg` to the front, where a reader looks first.
    fn msg_first(&mut self) {
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == "msg") {
            self.entries[..=i].rotate_right(1);
        }
    }

    /// Appends the fields as one JSON object.
    pub(crate) fn write_object(&self, buf: &mut Vec<u8>) {
        buf.push(b'{');
        for (i, (key, range)) in self.entries.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_json_str(buf, key);
            buf.push(b':');
            buf.extend_from_slice(&self.text[range.clone()]);
        }
        buf.push(b'}');
    }

    /// The same fields as values (each JSON text parsed back, which is exact).
    pub(crate) fn to_values(&self) -> Fields {
        let entries = self
            .entries
            .iter()
            .map(|(key, range)| {
                let value = serde_json::from_slice(&self.text[range.clone()])
                    .unwrap_or_else(|_| Value::String(String::new()));
                (*key, value)
            })
            .collect();
        Fields { entries }
    }
}

/// The key a tracing field is written under: the event message (`message`) is `msg`, and a raw
/// identifier (`r#type`) loses its `r#`.
pub(crate) fn key_for(name: &'static str) -> &'static str {
    match name {
        "message" => "msg",
        name => name.strip_prefix("r#").unwrap_or(name),
    }
}

/// The fields a span carries, kept in its extensions.
#[derive(Debug, Default)]
pub(crate) struct SpanFields(RawFields);

/// An event's fields merged over its spans', with the two fields that are not payload taken out.
#[derive(Debug)]
pub(crate) struct Collected<F> {
    /// The event's `type` (or `r#type`) field, rendered as a string.
    pub(crate) kind: Option<String>,
    /// The event has `critical = true`.
    pub(crate) critical: bool,
    pub(crate) fields: F,
}

/// Records a new span's fields (once, even if several of our layers are installed).
pub(crate) fn on_new_span<S>(attrs: &Attributes<'_>, id: &Id, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = ctx.span(id) else { return };
    let mut extensions = span.extensions_mut();
    if extensions.get_mut::<SpanFields>().is_none() {
        let mut fields = SpanFields::default();
        attrs.record(&mut Visitor::span(&mut fields.0));
        extensions.insert(fields);
    }
}

/// Records values given later with `Span::record`.
pub(crate) fn on_record<S>(id: &Id, values: &Record<'_>, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = ctx.span(id) else { return };
    let mut extensions = span.extensions_mut();
    match extensions.get_mut::<SpanFields>() {
        Some(fields) => values.record(&mut Visitor::span(&mut fields.0)),
        None => {
            let mut fields = SpanFields::default();
            values.record(&mut Visitor::span(&mut fields.0));
            extensions.insert(fields);
        }
    }
}

/// The event's record as JSON text, into `fields` (cleared first, so a reused one keeps its
/// buffers): the request context's `rid`, span fields outermost first, then the event's own
/// fields. Returns the record's
/// kind and whether it is critical.
pub(crate) fn collect_into<S>(
    event: &Event<'_>,
    ctx: &Context<'_, S>,
    fields: &mut RawFields,
) -> (Option<String>, bool)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fields.text.clear();
    fields.entries.clear();
    crate::context::with_current(|rid, trace| {
        if let Some(rid) = rid {
            fields.insert_with("rid", |buf| push_json_str(buf, rid));
            if let Some(trace) = trace {
                fields.insert_with("trace_id", |buf| push_json_str(buf, trace.trace_id()));
                fields.insert_with("span_id", |buf| push_json_str(buf, trace.span_id()));
            }
        }
    });
    if let Some(scope) = ctx.event_scope(event) {
        for span in scope.from_root() {
            if let Some(span_fields) = span.extensions().get::<SpanFields>() {
                fields.merge(&span_fields.0);
            }
        }
    }
    let mut visitor = Visitor {
        fields,
        event: true,
        kind: None,
        critical: false,
    };
    event.record(&mut visitor);
    let (kind, critical) = (visitor.kind, visitor.critical);
    fields.msg_first();
    (kind, critical)
}

/// The event's record as values (see [`collect_into`]).
pub(crate) fn collect<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> Collected<Fields>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut raw = RawFields::default();
    let (kind, critical) = collect_into(event, ctx, &mut raw);
    Collected {
        kind,
        critical,
        fields: raw.to_values(),
    }
}

/// The error's text followed by its source chain, joined with ": ". A source whose text the
/// chain already ends with (an error that prints its source itself) is not repeated.
pub(crate) fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` does: `"` and `\`, the short
/// forms `\b \t \n \f \r`, and `\u00XX` (lower-case hex) for the other control characters.
pub(crate) fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    buf.reserve(s.len() + 2);
    buf.push(b'"');
    push_escaped(buf, s);
    buf.push(b'"');
}

/// For each byte: 0 when it is written as is, else the letter after the backslash.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

fn push_escaped(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Most strings need no escape at all: find the first 8-byte word that may hold one (a
    // word test that is exact: no escape is ever missed; the last, partial word is padded
    // with spaces, which need none), then go byte by byte from there.
    let mut clean = 0;
    while clean + 8 <= bytes.len() {
        let w = &bytes[clean..clean + 8];
        if may_need_escape(u64::from_le_bytes([
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
        ])) {
            break;
        }
        clean += 8;
    }
    if bytes.len() - clean < 8 {
        let mut tail = [b' '; 8];
        tail[..bytes.len() - clean].copy_from_slice(&bytes[clean..]);
        if !may_need_escape(u64::from_le_bytes(tail)) {
            buf.extend_from_slice(bytes);
            return;
        }
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(clean) {
        let short = ESCAPE[usize::from(b)];
        if short == 0 {
            continue;
        }
        buf.extend_from_slice(&bytes[start..i]);
        buf.push(b'\\');
        buf.push(short);
        if short == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        }
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// Whether some byte of `w` is below 0x20, `"` or `\` (the classic "has a byte less than n" and
/// "has a zero byte" word tricks: never a false negative).
fn may_need_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
    below_space || has_zero(w ^ (ONES * u64::from(b'"'))) || has_zero(w ^ (ONES * u64::from(b'\\')))
}

/// Appends the decimal digits of `n` (what `Display` writes, without its machinery).
pub(crate) fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    const PAIRS: &[u8; 200] = b"\
        0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
    }
    buf.extend_from_slice(&digits[i..]);
}

fn push_i64(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_u64(buf, n.unsigned_abs());
}

/// Escapes what a `Debug` or `Display` implementation writes, chunk by chunk.
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_escaped(self.0, s);
        Ok(())
    }
}

fn push_debug(buf: &mut Vec<u8>, value: &dyn fmt::Debug) {
    buf.push(b'"');
    let _ = fmt::write(&mut Escaping(buf), format_args!("{value:?}"));
    buf.push(b'"');
}

/// An integer as a JSON number, or a string when beyond i64/u64 (as `serde_json::Value`).
fn push_int<T>(buf: &mut Vec<u8>, v: T)
where
    T: Copy + fmt::Display + TryInto<i64> + TryInto<u64>,
{
    if let Ok(i) = TryInto::<i64>::try_into(v) {
        push_i64(buf, i);
    } else if let Ok(u) = TryInto::<u64>::try_into(v) {
        push_u64(buf, u);
    } else {
        push_json_str(buf, &v.to_string());
    }
}

/// A float as a JSON number (`serde_json`'s formatting), or a string when not finite.
fn push_f64(buf: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        let _ = serde_json::to_writer(&mut *buf, &v);
    } else {
        push_json_str(buf, &v.to_string());
    }
}

/// A [`Visit`]or rendering values as JSON: str to string, integers to numbers (a string when
/// beyond i64/u64), f64 to a number (a string when not finite), bool to bool, errors to their
/// source chain, anything else to its `Debug` (which is `Display` for `%x`).
///
/// For an event, `type` and `critical = <bool>` are envelope information, not payload.
struct Visitor<'a> {
    fields: &'a mut RawFields,
    event: bool,
    kind: Option<String>,
    critical: bool,
}

impl<'a> Visitor<'a> {
    fn span(fields: &'a mut RawFields) -> Self {
        Visitor {
            fields,
            event: false,
            kind: None,
            critical: false,
        }
    }

    /// Stores the value `render` writes under the field's key; an event's `type` becomes the
    /// record's kind instead (a JSON string's content, or another value's JSON text).
    fn put(&mut self, field: &Field, render: impl FnOnce(&mut Vec<u8>)) {
        let key = key_for(field.name());
        if self.event && key == "type" {
            let mut text = Vec::new();
            render(&mut text);
            self.kind = Some(
                serde_json::from_slice::<String>(&text)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&text).into_owned()),
            );
        } else {
            self.fields.insert_with(key, render);
        }
    }
}

impl Visit for Visitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, |b| push_f64(b, value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, |b| push_int(b, value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, |b| push_int(b, value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(field, |b| push_int(b, value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put(field, |b| push_int(b, value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.event && key_for(field.name()) == "critical" {
            self.critical = value;
            return;
        }
        self.put(field, |b| {
            b.extend_from_slice(if value { b"true" } else { b"false" })
        });
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, |b| push_json_str(b, value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn Error + 'static)) {
        self.put(field, |b| push_json_str(b, &error_chain(value)));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, |b| push_debug(b, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        let mut all = String::new();
        for c in (0u32..0x80).chain([0xe9, 0x20ac, 0x1f600, 0x2028]) {
            all.push(char::from_u32(c).unwrap());
        }
        for s in [
            all.as_str(),
            "",
            "plain",
            "a\"b\\c\n\r\t\u{1}\u{8}\u{c}\u{7f}é",
        ] {
            let mut buf = Vec::new();
            push_json_str(&mut buf, s);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(s).unwrap()
            );
            let mut buf = Vec::new();
            push_debug(&mut buf, &format_args!("{s}"));
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_values_are() {
        let cases: Vec<(Vec<u8>, Value)> = vec![
            (with(|b| push_int(b, -5i64)), Value::from(-5i64)),
            (with(|b| push_int(b, 0u64)), Value::from(0u64)),
            (with(|b| push_int(b, i64::MIN)), Value::from(i64::MIN)),
            (
                with(|b| push_int(b, 1234567890u64)),
                Value::from(1234567890u64),
            ),
            (with(|b| push_int(b, 7u64)), Value::from(7u64)),
            (with(|b| push_int(b, 42u64)), Value::from(42u64)),
            (with(|b| push_int(b, 100u64)), Value::from(100u64)),
            (
                with(|b| push_int(b, 1_000_000_007u64)),
                Value::from(1_000_000_007u64),
            ),
            (with(|b| push_int(b, u64::MAX)), Value::from(u64::MAX)),
            (
                with(|b| push_int(b, i128::MIN)),
                Value::String(i128::MIN.to_string()),
            ),
            (
                with(|b| push_int(b, u128::MAX)),
                Value::String(u128::MAX.to_string()),
            ),
            (with(|b| push_f64(b, 0.1)), serde_json::json!(0.1)),
            (with(|b| push_f64(b, 1e300)), serde_json::json!(1e300)),
            (with(|b| push_f64(b, 2.0)), serde_json::json!(2.0)),
            (with(|b| push_f64(b, f64::NAN)), Value::String("NaN".into())),
        ];
        for (text, value) in cases {
            assert_eq!(String::from_utf8(text).unwrap(), value.to_string());
        }
    }

    #[test]
    fn every_byte_in_every_word_position_is_escaped_as_serde_json_does() {
        for c in (0u8..0x80).map(char::from).chain(['é', '€']) {
            for len in 1..20 {
                for at in 0..len {
                    let s: String = (0..len).map(|i| if i == at { c } else { 'a' }).collect();
                    let mut buf = Vec::new();
                    push_json_str(&mut buf, &s);
                    assert_eq!(
                        String::from_utf8(buf).unwrap(),
                        serde_json::to_string(&s).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn integers_match_display() {
        let mut n = 1u64;
        for _ in 0..70 {
            for m in [n - 1, n, n.wrapping_add(1), n.wrapping_mul(7)] {
                assert_eq!(with(|b| push_u64(b, m)), m.to_string().into_bytes());
            }
            n = n.saturating_mul(2).max(1);
        }
        assert_eq!(
            with(|b| push_u64(b, u64::MAX)),
            u64::MAX.to_string().into_bytes()
        );
    }

    fn with(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut b = Vec::new();
        f(&mut b);
        b
    }

    #[test]
    fn raw_fields_keep_first_position_and_last_value() {
        let mut f = RawFields::default();
        f.insert_with("a", |b| push_int(b, 1));
        f.insert_with("msg", |b| push_json_str(b, "m"));
        f.insert_with("a", |b| push_int(b, 2));
        f.msg_first();
        let mut out = Vec::new();
        f.write_object(&mut out);
        assert_eq!(out, br#"{"msg":"m","a":2}"#);
        let values = f.to_values();
        assert_eq!(values.get("a"), Some(&Value::from(2)));
    }
}
