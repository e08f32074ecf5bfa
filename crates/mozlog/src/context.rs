//! The request a thread is working for: a request id that every record written meanwhile
//! carries as `Fields.rid`, without a tracing span.
//!
//! A `tracing` span per request costs a span slot in the registry, its fields rendered and
//! stored in the span's extensions, an enter and an exit per poll, and a close: about a tenth
//! of the whole cost of a small request. A [`RequestContext`] is one reference-counted string
//! moved into a thread-local while the request's future is polled, and back out after.
//!
//! The service library uses it instead of its request span when [`init`](crate::init)'s
//! subscriber is the one in use; under any other subscriber it keeps the span, so layers it
//! does not know still see `rid`. It is an internal detail of the two crates: users see the
//! request span either way, because `init`'s subscriber makes it the moment something asks
//! for it (`Span::current()`, or a new span inside the request; see `request_span.rs`), and
//! the context then enters, exits and closes it with itself.

use std::cell::Cell;
use std::sync::Arc;

use tracing::span::Id;

use crate::Trace;

/// What a thread's records carry: one cell, so entering a request is one thread-local swap.
/// The trace is boxed (allocated once per traced request) so the cell stays small: it is
/// swapped on every poll of every request.
#[derive(Default)]
struct Current {
    rid: Option<Arc<str>>,
    trace: Option<Box<Trace>>,
    /// The request's span, once made (entered in the registry while the context is).
    span: Option<Id>,
}

thread_local! {
    static CURRENT: Cell<Current> =
        const { Cell::new(Current { rid: None, trace: None, span: None }) };
}

/// A request id that the mozlog and text layers add as `Fields.rid` (first after `msg`, as the
/// outermost span's field would be) to every record written on this thread while the context
/// is [entered](RequestContext::enter). A `rid` field of a span or of the event itself
/// replaces its value. With a [`Trace`], `Fields.trace_id` and `Fields.span_id` follow `rid`.
///
/// Under [`init`](crate::init)'s subscriber it also holds the request's span once something
/// asked for it: entered and exited with the context, closed when the last context holding it
/// drops.
#[derive(Debug, Default)]
pub struct RequestContext {
    rid: Option<Arc<str>>,
    trace: Option<Box<Trace>>,
    span: Option<Id>,
}

impl Clone for RequestContext {
    fn clone(&self) -> Self {
        RequestContext {
            rid: self.rid.clone(),
            trace: self.trace.clone(),
            span: self.span.as_ref().map(clone_span),
        }
    }
}

impl Drop for RequestContext {
    fn drop(&mut self) {
        if let Some(id) = self.span.take() {
            tracing::dispatcher::get_default(|d| d.try_close(id.clone()));
        }
    }
}

fn clone_span(id: &Id) -> Id {
    tracing::dispatcher::get_default(|d| d.clone_span(id))
}

impl RequestContext {
    /// A context for the request `rid`.
    pub fn new(rid: Arc<str>) -> RequestContext {
        RequestContext {
            rid: Some(rid),
            trace: None,
            span: None,
        }
    }

    /// The same context, with the request's trace context.
    pub fn with_trace(mut self, trace: Option<Trace>) -> RequestContext {
        self.trace = trace.map(Box::new);
        self
    }

    /// The context this thread is in (empty outside any): to carry it into a task the
    /// request spawns.
    pub fn current() -> RequestContext {
        let (rid, trace, span) = CURRENT.with(|c| {
            let current = c.take();
            let parts = (
                current.rid.clone(),
                current.trace.clone(),
                current.span.clone(),
            );
            c.set(current);
            parts
        });
        // Outside the cell: cloning a span calls the subscriber.
        RequestContext {
            rid,
            trace,
            span: span.as_ref().map(clone_span),
        }
    }

    /// The request id, if any.
    pub fn rid(&self) -> Option<&str> {
        self.rid.as_deref()
    }

    /// The trace context, if any.
    pub fn trace(&self) -> Option<Trace> {
        self.trace.as_deref().copied()
    }

    /// Runs `f` in this context (restoring the thread's previous context after, also when `f`
    /// panics; the panic's own record is written inside, so it carries the `rid`). The
    /// request's span, if made, is entered in the subscriber for as long.
    pub fn enter<R>(&mut self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a> {
            context: &'a mut RequestContext,
            previous: Current,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let previous = std::mem::take(&mut self.previous);
                let entered = CURRENT.with(|c| c.replace(previous));
                if let Some(id) = &entered.span {
                    tracing::dispatcher::get_default(|d| d.exit(id));
                }
                self.context.rid = entered.rid;
                self.context.trace = entered.trace;
                self.context.span = entered.span;
            }
        }
        if self.rid.is_none() {
            return f();
        }
        if let Some(id) = &self.span {
            tracing::dispatcher::get_default(|d| d.enter(id));
        }
        let entered = Current {
            rid: self.rid.take(),
            trace: self.trace.take(),
            span: self.span.take(),
        };
        let previous = CURRENT.with(|c| c.replace(entered));
        let _restore = Restore {
            context: self,
            previous,
        };
        f()
    }
}

/// Makes the span of the request this thread is in with `make` (given the context's id and
/// trace; it returns the new span, entered, or `None`), unless the thread is in no request or
/// the span exists already.
pub(crate) fn materialize(make: impl FnOnce(&str, Option<&Trace>) -> Option<Id>) {
    CURRENT.with(|c| {
        let mut current = c.take();
        if current.span.is_none() {
            if let Some(rid) = &current.rid {
                current.span = make(rid, current.trace.as_deref());
            }
        }
        c.set(current);
    });
}

/// Runs `f` with the current request id and trace context (without cloning the id).
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&str>, Option<&Trace>) -> R) -> R {
    CURRENT.with(|c| {
        let current = c.take();
        let result = f(current.rid.as_deref(), current.trace.as_deref());
        c.set(current);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entered_contexts_nest_and_restore() {
        assert_eq!(RequestContext::current().rid(), None);
        let mut outer = RequestContext::new("outer".into());
        outer.enter(|| {
            assert_eq!(RequestContext::current().rid(), Some("outer"));
            let mut inner = RequestContext::new("inner".into());
            inner.enter(|| assert_eq!(RequestContext::current().rid(), Some("inner")));
            assert_eq!(inner.rid(), Some("inner"), "handed back after the call");
            assert_eq!(RequestContext::current().rid(), Some("outer"));
            RequestContext::default().enter(|| {
                assert_eq!(
                    RequestContext::current().rid(),
                    Some("outer"),
                    "empty: no change"
                )
            });
        });
        assert_eq!(outer.rid(), Some("outer"));
        assert_eq!(RequestContext::current().rid(), None);
    }

    #[test]
    fn records_in_a_context_carry_its_rid_first() {
        use crate::test_support::Capture;
        use tracing_subscriber::prelude::*;
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry()
            .with(crate::MozlogLayer::new("x").with_writer(capture.clone()));
        tracing::subscriber::with_default(subscriber, || {
            RequestContext::new("r1".into()).enter(|| {
                tracing::info!(a = 1, "hello");
                let _span = tracing::info_span!("s", rid = "from-span", b = 2).entered();
                tracing::info!("inner");
            });
            tracing::info!("outside");
        });
        let text = capture.text();
        let fields: Vec<&str> = text
            .lines()
            .map(|l| l.split_once(r#""Fields":"#).unwrap().1)
            .collect();
        assert_eq!(
            fields,
            [
                r#"{"msg":"hello","rid":"r1","a":1}}"#,
                r#"{"msg":"inner","rid":"from-span","b":2}}"#,
                r#"{"msg":"outside"}}"#,
            ]
        );
    }

    #[test]
    fn the_trace_is_entered_and_restored_with_the_rid() {
        let trace = Trace::new("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        let mut outer = RequestContext::new("outer".into()).with_trace(trace);
        outer.enter(|| {
            assert_eq!(RequestContext::current().trace(), trace);
            RequestContext::new("inner".into()).enter(|| {
                assert_eq!(RequestContext::current().trace(), None, "not inherited");
            });
            assert_eq!(RequestContext::current().trace(), trace, "restored");
        });
        assert_eq!(outer.trace(), trace, "handed back after the call");
        assert_eq!(RequestContext::current().trace(), None);
    }

    #[test]
    fn restored_after_a_panic() {
        let mut context = RequestContext::new("r".into());
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            context.enter(|| panic!("in the request"))
        }));
        assert!(caught.is_err());
        assert_eq!(RequestContext::current().rid(), None);
        assert_eq!(context.rid(), Some("r"));
    }
}
