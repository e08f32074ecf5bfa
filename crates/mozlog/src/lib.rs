//! A [`tracing-subscriber`](tracing_subscriber) layer writing the mozlog JSON lines of the
//! Dockerflow contract (section 1.8), plus a human-readable text mode for local development.
//!
//! This crate must not depend on any other crate of the workspace: the service library
//! (`dockerflow`) depends on it, and a service that only wants mozlog lines can use it alone.
//!
//! # Example
//!
//! ```
//! use tracing_subscriber::prelude::*;
//! use dockerflow_mozlog::MozlogLayer;
//!
//! let subscriber = tracing_subscriber::registry().with(MozlogLayer::new("my-app"));
//! tracing::subscriber::with_default(subscriber, || {
//!     let _request = tracing::info_span!("request", rid = "4f1c0e").entered();
//!     tracing::info!(target: "request.summary", code = 200, t = 3, "GET /");
//!     // {"Timestamp":1795324761123456789,"Type":"request.summary","Logger":"my-app",
//!     //  "Hostname":"web-1","EnvVersion":"2.0","Severity":6,"Pid":1,
//!     //  "Fields":{"msg":"GET /","rid":"4f1c0e","code":200,"t":3}}   (on one line)
//! });
//! ```
//!
//! An application configures logging from the environment with [`LogConfig::from_env`] and
//! [`init`], and [`install_panic_hook`] to have panics logged too:
//!
//! ```no_run
//! let config = dockerflow_mozlog::LogConfig::from_env("my-app")?;
//! dockerflow_mozlog::init(&config)?;
//! dockerflow_mozlog::install_panic_hook();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Format
//!
//! Each event is one line: a JSON object, then `\n`. Spans are never written on their own.
//! The keys are always these eight, in this order:
//!
//! | key | JSON type | value |
//! |---|---|---|
//! | `Timestamp` | integer | nanoseconds since the Unix epoch (UTC), from `SystemTime` |
//! | `Type` | string | the event's `type` field (written `r#type = "..."` in the macros), else its target (`info!(target: "request.summary", ..)`) |
//! | `Logger` | string | the application name given to [`MozlogLayer::new`] |
//! | `Hostname` | string | `/proc/sys/kernel/hostname`, else `$HOSTNAME`, else `localhost` |
//! | `EnvVersion` | string | `"2.0"` |
//! | `Severity` | integer | syslog: ERROR 3, WARN 4, INFO 6, DEBUG 7, TRACE 7; 2 (critical) for an event with `critical = true` |
//! | `Pid` | integer | the process id |
//! | `Fields` | object | the payload, described below |
//!
//! `Fields` holds, in this order: `msg` (the event's message, if it has one), then the `rid` of
//! the request the thread is handling under [`init`]'s subscriber, if any (with its
//! [`Trace`]'s `trace_id` and `span_id` when it has one), then the fields of every span the event
//! is inside, outermost first, then the event's own fields. A key seen
//! twice keeps its first position and its last value: an inner span wins over an outer one,
//! the event over its spans. The `type` field and a boolean `critical` field of the event are
//! envelope information and are not copied into `Fields`. Span names are not written.
//! `Fields` is never empty: an event with no message and no fields gets `"msg": ""`.
//!
//! Values:
//!
//! - strings are strings; `i64`, `u64` (and `i128`/`u128` that fit in one of them) are numbers,
//!   larger integers are strings of their digits; finite `f64` are numbers, NaN and infinities
//!   are the strings `NaN`, `inf`, `-inf`; booleans are booleans;
//! - `?value` and `%value` are strings (the `Debug` and `Display` output);
//! - an error recorded as one (`error = &e as &dyn std::error::Error`) is a string: its
//!   `Display`, then each of its sources' joined with `": "` (a source whose text the string
//!   already ends with, from an error that prints its own source, is not repeated);
//! - by convention a backtrace goes in a string field named `backtrace` (as
//!   [`install_panic_hook`] does); nothing else treats it specially.
//!
//! Nesting (Dockerflow #19: an object in `Fields` never holds another object) holds by
//! construction: tracing values are scalars, so every value in `Fields` is a scalar.
//!
//! A line never holds a raw newline or any other control character: every key and string is
//! escaped by `serde_json`.
//!
//! ## Google Cloud Logging
//!
//! With `DOCKERFLOW_LOG_GCP=true` ([`LogConfig::gcp`], [`MozlogLayer::with_gcp`]) each line
//! also carries, after `Fields`, the keys Cloud Logging reads: `severity` (the `Severity` by
//! name: `CRITICAL`, `ERROR`, `WARNING`, `INFO`, `DEBUG`, ...), `message` (`Fields.msg`, else
//! the `Type`) and, when the record has a [`Trace`] (`Fields.trace_id` and `Fields.span_id`)
//! and a project is configured (`DOCKERFLOW_GCP_PROJECT`, else `GOOGLE_CLOUD_PROJECT`),
//! `logging.googleapis.com/trace` (`projects/PROJECT/traces/TRACE_ID`) and
//! `logging.googleapis.com/spanId`. The mozlog envelope stays whole.
//!
//! ## Size limit
//!
//! A line is at most [`MozlogLayer::with_max_line_bytes`] bytes (default 65536, trailing
//! newline included). A longer record gets `Fields.truncated`, the original line length in
//! bytes, and its longest string values are shortened at a character boundary, each ending with
//! the marker [`TRUNCATION_MARKER`] (`…[truncated]`), longest first, until the line fits. Only
//! if every string in `Fields` is already down to the marker are `Type`, `Logger` and
//! `Hostname` shortened too. A record is never split and never dropped: with a limit smaller
//! than the envelope itself the shortest possible line is written, over the limit.
//!
//! # Design decisions
//!
//! - **One `write_all` per line, under a lock.** The line is formatted into a reused
//!   thread-local buffer, then written with a single `write_all` while the layer holds its own
//!   mutex, then flushed. `Stdout::write_all` holds stdout's lock anyway; the layer's mutex
//!   extends the guarantee to any writer (a pipe handle shared by threads, where a `write(2)`
//!   over `PIPE_BUF` is not atomic). Write errors are ignored (`write_all` retries on
//!   `Interrupted`): there is nowhere else to report them.
//! - **[`init`] writes stdout through a batching queue** ([`BatchedStdout`]): each record is
//!   appended whole to a queue that one background thread writes out, many records per
//!   `write(2)`, so a busy service does not make one system call per log line. When the queue
//!   is full, producers wait (nothing is dropped); [`flush`] waits until it is empty, and the
//!   panic hook calls it. Call [`flush`] before the process exits (`dockerflow::main` does).
//! - **Span fields are stored once, in span extensions**, at creation and on `Span::record`, so
//!   an event only merges already-converted values.
//! - **[`init`] keeps spans at `info` and above** whatever the level, so the request id the
//!   service library puts in an `info_span!` reaches every record even with
//!   `DOCKERFLOW_LOG_LEVEL=warn`.
//! - **Text mode** ([`TextLayer`]) shares the field collection and has no size limit and no
//!   colours: it is for a developer's terminal, not for a log pipeline.
//! - **Lean dependencies**: `tracing`, `tracing-subscriber` without `env-filter` (which pulls a
//!   regex engine; [`Targets`](tracing_subscriber::filter::Targets) is enough), `serde_json`.
//!   Dates for the text mode are computed here rather than with `chrono` or `time`.
#![deny(missing_docs)]

mod batch;
mod config;
mod context;
mod direct;
mod fields;
mod gcp;
mod mozlog;
mod panic;
mod request_span;
mod text;
mod truncate;
mod writer;

pub use batch::{flush, BatchedStdout, BatchedStdoutWriter, MAX_QUEUED};
pub use config::{
    init, ConfigError, Format, InitError, LogConfig, APP_NAME_VAR, FORMAT_VAR, GCP_PROJECT_VAR,
    GCP_VAR, GOOGLE_CLOUD_PROJECT_VAR, LEVEL_VAR, MAX_BYTES_VAR, MIN_MAX_LINE_BYTES,
};
// The fast paths the service library (`dockerflow`) takes under `init`'s subscriber: public
// only because it is another crate. Not part of the API: nothing a handler or a log reader sees
// depends on them (see `request_span.rs`).
#[doc(hidden)]
pub use context::RequestContext;
#[doc(hidden)]
pub use direct::{init_subscriber_in_use, write_direct, Direct, DirectFields, Key};
pub use gcp::Trace;
pub use mozlog::{MozlogLayer, DEFAULT_MAX_LINE_BYTES};
pub use panic::install_panic_hook;
pub use text::TextLayer;
pub use truncate::MARKER as TRUNCATION_MARKER;

#[cfg(test)]
pub(crate) mod test_support;
