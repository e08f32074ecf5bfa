//! Collecting tracing field values into a record's `Fields`.
//!
//! Spans keep their fields in a [`SpanFields`] extension (recorded when the span is created and
//! on every `Span::record`), so that an event can be merged over the spans it is inside without
//! re-visiting them.

use std::error::Error;
use std::fmt;

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

    fn merge(&mut self, other: &Fields) {
        for (key, value) in &other.entries {
            self.insert(key, value.clone());
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

    /// Moves `msg` to the front, where a reader looks first.
    fn msg_first(&mut self) {
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == "msg") {
            self.entries[..=i].rotate_right(1);
        }
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
pub(crate) struct SpanFields(Fields);

/// An event's fields merged over its spans', with the two fields that are not payload taken out.
#[derive(Debug)]
pub(crate) struct Collected {
    /// The event's `type` (or `r#type`) field, rendered as a string.
    pub(crate) kind: Option<String>,
    /// The event has `critical = true`.
    pub(crate) critical: bool,
    pub(crate) fields: Fields,
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
        attrs.record(&mut Wrap(PlainSink(&mut fields.0)));
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
        Some(fields) => values.record(&mut Wrap(PlainSink(&mut fields.0))),
        None => {
            let mut fields = SpanFields::default();
            values.record(&mut Wrap(PlainSink(&mut fields.0)));
            extensions.insert(fields);
        }
    }
}

/// The event's record: span fields outermost first, then the event's own fields.
pub(crate) fn collect<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> Collected
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut fields = Fields::default();
    if let Some(scope) = ctx.event_scope(event) {
        for span in scope.from_root() {
            if let Some(span_fields) = span.extensions().get::<SpanFields>() {
                fields.merge(&span_fields.0);
            }
        }
    }
    let mut visitor = Wrap(EventSink {
        kind: None,
        critical: false,
        fields,
    });
    event.record(&mut visitor);
    let EventSink {
        kind,
        critical,
        mut fields,
    } = visitor.0;
    fields.msg_first();
    Collected {
        kind,
        critical,
        fields,
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

fn int_value<T>(v: T) -> Value
where
    T: Copy + fmt::Display + TryInto<i64> + TryInto<u64>,
{
    if let Ok(i) = TryInto::<i64>::try_into(v) {
        Value::from(i)
    } else if let Ok(u) = TryInto::<u64>::try_into(v) {
        Value::from(u)
    } else {
        Value::String(v.to_string())
    }
}

fn float_value(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number)
}

/// Where a visited value goes; [`Wrap`] turns each tracing value into a JSON value first.
trait Sink {
    fn put(&mut self, field: &Field, value: Value);
}

impl<T: Sink> Visit for Wrap<T> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.put(field, float_value(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.put(field, Value::from(value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.0.put(field, int_value(value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.0.put(field, int_value(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.put(field, Value::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.put(field, Value::String(value.to_owned()));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn Error + 'static)) {
        self.0.put(field, Value::String(error_chain(value)));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.put(field, Value::String(format!("{value:?}")));
    }
}

/// A [`Visit`]or converting values to JSON: str to string, integers to numbers (a string when
/// beyond i64/u64), f64 to a number (a string when not finite), bool to bool, errors to their
/// source chain, anything else to its `Debug` (which is `Display` for `%x`).
struct Wrap<T>(T);

/// Span fields: every field is payload.
struct PlainSink<'a>(&'a mut Fields);

impl Sink for PlainSink<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        self.0.insert(key_for(field.name()), value);
    }
}

/// Event fields: `type` and `critical = <bool>` are envelope information, not payload.
struct EventSink {
    kind: Option<String>,
    critical: bool,
    fields: Fields,
}

impl Sink for EventSink {
    fn put(&mut self, field: &Field, value: Value) {
        match (key_for(field.name()), value) {
            ("type", Value::String(s)) => self.kind = Some(s),
            ("type", other) => self.kind = Some(other.to_string()),
            ("critical", Value::Bool(b)) => self.critical = b,
            (key, value) => self.fields.insert(key, value),
        }
    }
}
