//! The request span of [`init`](crate::init)'s subscriber, made only when something asks for
//! it.
//!
//! Under any subscriber, a request handled by the service library is a tracing span
//! `request{rid, trace_id, span_id}` (target `dockerflow.request`): `Span::current()` in a
//! handler is that span, a span the handler opens is its child, and a task spawned with
//! `.in_current_span()` carries it. Under the subscriber `init` installs, most requests never
//! look: their records get `rid` from the thread's [`RequestContext`](crate::RequestContext),
//! a few moves per poll, where a registry span costs a slab slot, a span stack push and pop per
//! poll, its fields stored, and a close (a tenth of a small request; BENCHMARKS.md).
//!
//! So `init` wraps its subscriber in [`RequestSpans`], which makes the span the moment the
//! request needs it: when `Span::current()` asks for the current span, or a span is created
//! whose parent is the current one, while a request context is entered on this thread. The
//! span is made with the context's values, entered in the registry, and its id kept in the
//! context, which from then on enters and exits it with itself on every poll and closes it
//! when the request ends. Every other call passes straight through.

use tracing::callsite::{Callsite, Identifier};
use tracing::field::{FieldSet, Value};
use tracing::level_filters::LevelFilter;
use tracing::metadata::Kind;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_core::span::Current;

use crate::Trace;

/// The request span's callsite. Never registered: the span is only ever made by
/// [`RequestSpans`], which asks its subscriber whether it is enabled first.
struct RequestCallsite;

static CALLSITE: RequestCallsite = RequestCallsite;

/// The request span's metadata: the same target, name and fields as the span the service
/// library makes under any other subscriber.
static METADATA: Metadata<'static> = Metadata::new(
    "request",
    "dockerflow.request",
    Level::INFO,
    Some(file!()),
    Some(line!()),
    Some(module_path!()),
    FieldSet::new(&["rid", "trace_id", "span_id"], Identifier(&CALLSITE)),
    Kind::SPAN,
);

impl Callsite for RequestCallsite {
    fn set_interest(&self, _: Interest) {}

    fn metadata(&self) -> &Metadata<'_> {
        &METADATA
    }
}

/// `init`'s subscriber, which makes a request's span when something asks for it (see the
/// module documentation); everything else goes to `S` as it is.
///
/// It does not forward `downcast_raw` (that would take `unsafe`, which the crates deny):
/// `Dispatch::is` and `downcast_ref` see this type, not the registry or the layers inside.
/// Nothing needs them there: no layer but the crate's own is ever added to `init`'s
/// subscriber, and [`init_subscriber_in_use`](crate::init_subscriber_in_use) asks for this
/// type.
#[derive(Debug)]
pub(crate) struct RequestSpans<S> {
    inner: S,
}

impl<S: Subscriber> RequestSpans<S> {
    pub(crate) fn new(inner: S) -> Self {
        RequestSpans { inner }
    }

    /// Makes and enters the span of the request this thread is in, unless there is none or it
    /// exists already.
    fn materialize(&self) {
        crate::context::materialize(|rid, trace| self.request_span(rid, trace));
    }

    /// A new request span with these values, entered; `None` when the subscriber's filter
    /// turns it away.
    fn request_span(&self, rid: &str, trace: Option<&Trace>) -> Option<Id> {
        if !self.inner.enabled(&METADATA) {
            return None;
        }
        let fields = METADATA.fields();
        let field = |name| fields.field(name).expect("the request span's own field");
        let (trace_id, span_id) = match trace {
            Some(t) => (Some(t.trace_id()), Some(t.span_id())),
            None => (None, None),
        };
        let values = [
            (&field("rid"), Some(&rid as &dyn Value)),
            (
                &field("trace_id"),
                trace_id.as_ref().map(|v| v as &dyn Value),
            ),
            (&field("span_id"), span_id.as_ref().map(|v| v as &dyn Value)),
        ];
        let values = fields.value_set(&values);
        let id = self.inner.new_span(&Attributes::new(&METADATA, &values));
        self.inner.enter(&id);
        Some(id)
    }
}

impl<S: Subscriber> Subscriber for RequestSpans<S> {
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        if span.is_contextual() {
            // Its parent is the current span: inside a request, the request's.
            self.materialize();
        }
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows);
    }

    fn event_enabled(&self, event: &Event<'_>) -> bool {
        self.inner.event_enabled(event)
    }

    fn event(&self, event: &Event<'_>) {
        self.inner.event(event);
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    #[allow(deprecated)]
    fn drop_span(&self, id: Id) {
        self.inner.drop_span(id);
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }

    fn current_span(&self) -> Current {
        self.materialize();
        self.inner.current_span()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use tracing_subscriber::layer::{Context, Layer};
    use tracing_subscriber::prelude::*;

    use super::*;
    use crate::test_support::Capture;
    use crate::{MozlogLayer, RequestContext};

    /// Counts spans made and closed.
    #[derive(Clone, Default)]
    struct Spans {
        made: Arc<AtomicUsize>,
        closed: Arc<AtomicUsize>,
    }

    impl<S: Subscriber> Layer<S> for Spans {
        fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
            self.made.fetch_add(1, Ordering::SeqCst);
        }
        fn on_close(&self, _: Id, _: Context<'_, S>) {
            self.closed.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn fields(capture: &Capture) -> Vec<String> {
        capture
            .text()
            .lines()
            .map(|l| l.split_once(r#""Fields":"#).unwrap().1.to_owned())
            .collect()
    }

    #[test]
    fn no_span_is_made_until_something_asks() {
        let (capture, spans) = (Capture::default(), Spans::default());
        let subscriber = RequestSpans::new(
            tracing_subscriber::registry()
                .with(MozlogLayer::new("x").with_writer(capture.clone()))
                .with(spans.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            let mut context = RequestContext::new("r1".into());
            context.enter(|| tracing::info!("inside"));
            context.enter(|| tracing::info!("again"));
        });
        assert_eq!(spans.made.load(Ordering::SeqCst), 0);
        assert_eq!(
            fields(&capture),
            [
                r#"{"msg":"inside","rid":"r1"}}"#,
                r#"{"msg":"again","rid":"r1"}}"#
            ]
        );
    }

    #[test]
    fn the_current_span_in_a_request_is_the_request_and_carries_it_elsewhere() {
        let (capture, spans) = (Capture::default(), Spans::default());
        let subscriber = RequestSpans::new(
            tracing_subscriber::registry()
                .with(MozlogLayer::new("x").with_writer(capture.clone()))
                .with(spans.clone()),
        );
        let trace = Trace::new("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        tracing::subscriber::with_default(subscriber, || {
            let mut context = RequestContext::new("r2".into()).with_trace(trace);
            let current = context.enter(tracing::Span::current);
            let meta = current.metadata().expect("a span");
            assert_eq!(
                (meta.target(), meta.name()),
                ("dockerflow.request", "request")
            );
            let names: Vec<&str> = meta.fields().iter().map(|f| f.name()).collect();
            assert_eq!(names, ["rid", "trace_id", "span_id"]);
            // Asked again in a later poll: the same span, not a second one.
            let again = context.enter(tracing::Span::current);
            assert_eq!(again.id(), current.id());
            // A span opened in the request is its child; outside the context (another thread,
            // a spawned task), the span alone carries the request.
            context.enter(|| {
                tracing::info_span!("step", n = 1).in_scope(|| tracing::info!("nested"));
            });
            current.in_scope(|| tracing::info!("elsewhere"));
            tracing::info!("outside");
            drop(again);
            drop(current);
            assert_eq!(spans.closed.load(Ordering::SeqCst), 1, "the step span");
            drop(context);
            assert_eq!(
                spans.closed.load(Ordering::SeqCst),
                2,
                "closed with the request"
            );
        });
        assert_eq!(spans.made.load(Ordering::SeqCst), 2);
        let ids = r#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7""#;
        assert_eq!(
            fields(&capture),
            [
                format!(r#"{{"msg":"nested","rid":"r2",{ids},"n":1}}}}"#),
                format!(r#"{{"msg":"elsewhere","rid":"r2",{ids}}}}}"#),
                r#"{"msg":"outside"}}"#.to_owned(),
            ]
        );
    }

    #[test]
    fn outside_a_request_nothing_changes() {
        let spans = Spans::default();
        let subscriber = RequestSpans::new(tracing_subscriber::registry().with(spans.clone()));
        tracing::subscriber::with_default(subscriber, || {
            assert!(tracing::Span::current().is_none());
            let outer = tracing::info_span!("outer").entered();
            assert_eq!(tracing::Span::current().id(), outer.id());
        });
        assert_eq!(spans.made.load(Ordering::SeqCst), 1);
    }
}
