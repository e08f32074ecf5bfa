//! The mozlog JSON layer.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::io::Stdout;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::fields::{self, push_json_str, push_u64, Fields, RawFields};
use crate::gcp::{Gcp, Message, Trace};
use crate::truncate;
use crate::writer::{with_buffer, LineWriter};

/// The default line limit: 64 KiB, trailing newline included.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024;

/// A [`Layer`] writing every event as one mozlog JSON line (see the [crate] documentation for
/// the format).
///
/// Spans are not written; their fields are merged into the `Fields` of every event inside them.
pub struct MozlogLayer<W = fn() -> Stdout> {
    logger: String,
    hostname: String,
    pid: u32,
    max_line_bytes: usize,
    gcp: Option<Gcp>,
    writer: LineWriter<W>,
}

impl MozlogLayer {
    /// A layer writing to stdout, with `logger` as every record's `Logger`.
    pub fn new(logger: impl Into<String>) -> Self {
        MozlogLayer {
            logger: logger.into(),
            hostname: default_hostname().to_owned(),
            pid: std::process::id(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            gcp: None,
            writer: LineWriter::new(std::io::stdout),
        }
    }
}

impl<W> MozlogLayer<W> {
    /// Writes to the writers `w` makes instead of stdout (each line with one `write_all`).
    pub fn with_writer<W2: for<'a> MakeWriter<'a> + 'static>(self, w: W2) -> MozlogLayer<W2> {
        MozlogLayer {
            logger: self.logger,
            hostname: self.hostname,
            pid: self.pid,
            max_line_bytes: self.max_line_bytes,
            gcp: self.gcp,
            writer: LineWriter::new(w),
        }
    }

    /// The longest line written, in bytes, trailing newline included (default 65536). A longer
    /// record has its longest string values shortened until it fits (see the [crate] docs).
    pub fn with_max_line_bytes(mut self, n: usize) -> Self {
        self.max_line_bytes = n;
        self
    }

    /// Adds Google Cloud Logging's keys to every line, after the mozlog envelope: `severity`,
    /// `message` and, when the record has a trace context (`Fields.trace_id` and
    /// `Fields.span_id`) and `project` is given, `logging.googleapis.com/trace` and
    /// `logging.googleapis.com/spanId` (see [`Trace`](crate::Trace)). The envelope is unchanged.
    pub fn with_gcp(mut self, project: Option<&str>) -> Self {
        self.gcp = Some(Gcp::new(project));
        self
    }

    /// The `Hostname` written (default: `/proc/sys/kernel/hostname`, else `$HOSTNAME`, else
    /// `localhost`, read once per process).
    pub fn with_hostname(mut self, h: impl Into<String>) -> Self {
        self.hostname = h.into();
        self
    }
}

impl<W> MozlogLayer<W> {
    pub(crate) fn hostname(&self) -> &str {
        &self.hostname
    }
}

impl<W> fmt::Debug for MozlogLayer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MozlogLayer")
            .field("logger", &self.logger)
            .field("hostname", &self.hostname)
            .field("pid", &self.pid)
            .field("max_line_bytes", &self.max_line_bytes)
            .field("gcp", &self.gcp.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, W> Layer<S> for MozlogLayer<W>
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
        with_scratch(|fields| self.write_event(event, &ctx, fields));
    }
}

thread_local! {
    /// The fields of the record being written, reused across records on this thread.
    static SCRATCH: RefCell<RawFields> = RefCell::new(RawFields::default());
}

/// Runs `f` with this thread's reusable fields (fresh ones when a record is written from
/// inside another record's formatting).
fn with_scratch<R>(f: impl FnOnce(&mut RawFields) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut fields) => {
            let result = f(&mut fields);
            if fields.capacity() > 256 * 1024 {
                *fields = RawFields::default();
            }
            result
        }
        Err(_) => f(&mut RawFields::default()),
    })
}

impl<W: for<'a> MakeWriter<'a> + 'static> MozlogLayer<W> {
    fn write_event<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>, fields: &mut RawFields)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let metadata = event.metadata();
        let (kind, critical) = fields::collect_into(event, ctx, fields);
        let kind = match kind {
            Some(kind) if !kind.is_empty() => Cow::Owned(kind),
            _ => Cow::Borrowed(metadata.target()),
        };
        let severity = if critical {
            2
        } else {
            severity(*metadata.level())
        };
        let head = Head {
            timestamp: now_ns(),
            kind,
            logger: Cow::Borrowed(&self.logger),
            hostname: Cow::Borrowed(&self.hostname),
            severity,
            pid: self.pid,
        };
        with_buffer(|buf| {
            // The fields are already JSON text: the line is a few copies. Only a line over
            // the limit takes the slower path through values, where strings can be shortened.
            head.write(buf);
            if fields.is_empty() {
                buf.extend_from_slice(br#"{"msg":""}"#);
            } else {
                fields.write_object(buf);
            }
            if let Some(gcp) = &self.gcp {
                let message = match fields.get_raw("msg") {
                    Some(json) => Message::Json(json),
                    None if fields.is_empty() => Message::Json(b"\"\""),
                    None => Message::Text(&head.kind),
                };
                gcp.write_tail(buf, head.severity, message, fields.trace().as_ref());
            }
            buf.extend_from_slice(b"}\n");
            if buf.len() > self.max_line_bytes {
                let mut envelope = Envelope {
                    head,
                    fields: fields.to_values(),
                    gcp: self.gcp.as_ref(),
                };
                if envelope.fields.is_empty() {
                    envelope.fields.insert("msg", Value::String(String::new()));
                }
                truncate::write_fitting(&mut envelope, self.max_line_bytes, buf);
            }
            self.writer.write_line(buf, metadata);
        });
    }
}

/// Syslog severity for a tracing level (`critical = true` is handled by the caller).
pub(crate) fn severity(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// Nanoseconds since the Unix epoch (0 for a clock set before 1970; saturating in 2554).
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn default_hostname() -> &'static str {
    static HOSTNAME: OnceLock<String> = OnceLock::new();
    HOSTNAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| "localhost".to_owned())
    })
}

/// A record's envelope: everything but `Fields`.
#[derive(Debug)]
pub(crate) struct Head<'a> {
    pub(crate) timestamp: u64,
    pub(crate) kind: Cow<'a, str>,
    pub(crate) logger: Cow<'a, str>,
    pub(crate) hostname: Cow<'a, str>,
    pub(crate) severity: u8,
    pub(crate) pid: u32,
}

impl Head<'_> {
    /// Appends the envelope's keys in the contract's order, up to `"Fields":`.
    pub(crate) fn write(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b"{\"Timestamp\":");
        push_u64(buf, self.timestamp);
        buf.extend_from_slice(b",\"Type\":");
        push_json_str(buf, &self.kind);
        buf.extend_from_slice(b",\"Logger\":");
        push_json_str(buf, &self.logger);
        buf.extend_from_slice(b",\"Hostname\":");
        push_json_str(buf, &self.hostname);
        buf.extend_from_slice(b",\"EnvVersion\":\"2.0\",\"Severity\":");
        push_u64(buf, u64::from(self.severity));
        buf.extend_from_slice(b",\"Pid\":");
        push_u64(buf, u64::from(self.pid));
        buf.extend_from_slice(b",\"Fields\":");
    }
}

/// One record as values, for truncation.
#[derive(Debug)]
pub(crate) struct Envelope<'a> {
    pub(crate) head: Head<'a>,
    pub(crate) fields: Fields,
    pub(crate) gcp: Option<&'a Gcp>,
}

impl Envelope<'_> {
    /// Appends the record as one JSON line, keys in the contract's order, ending with '\n'.
    pub(crate) fn write_line(&self, buf: &mut Vec<u8>) {
        self.head.write(buf);
        buf.push(b'{');
        for (i, (key, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_json_str(buf, key);
            buf.push(b':');
            push_json(buf, value);
        }
        buf.push(b'}');
        if let Some(gcp) = self.gcp {
            let mut message = Vec::new();
            let message = match self.fields.get("msg") {
                Some(value) => {
                    push_json(&mut message, value);
                    Message::Json(&message)
                }
                None => Message::Text(&self.head.kind),
            };
            let text = |key| self.fields.get(key).and_then(Value::as_str);
            let trace = Trace::new(
                text("trace_id").unwrap_or_default(),
                text("span_id").unwrap_or_default(),
            );
            gcp.write_tail(buf, self.head.severity, message, trace.as_ref());
        }
        buf.extend_from_slice(b"}\n");
    }
}

/// A value as JSON. serde_json escapes every control character, so no value can hold a raw
/// newline.
fn push_json(buf: &mut Vec<u8>, value: &Value) {
    let mark = buf.len();
    if serde_json::to_writer(&mut *buf, value).is_err() {
        // Unreachable for `Value`s written into a Vec; keep the line valid anyway.
        buf.truncate(mark);
        buf.extend_from_slice(b"null");
    }
}
