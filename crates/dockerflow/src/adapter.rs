//! What a server that is not a tower service needs to give the same contract with this
//! library (the actix-web adapter, a hand-written hyper loop): an endpoint's [`Answer`], the
//! request's [`RequestScope`] (its span, as handlers see it) and the [`Summary`] record. Services built on tower or axum never
//! need this module.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use dockerflow_mozlog::RequestContext;
use http::Response;

use crate::heartbeat::BoxFuture;
use crate::request_id::{InRequest, RequestId, Trace};

/// The answer of an endpoint (see [`crate::Dockerflow::endpoint`]): ready at once, except
/// `/__heartbeat__`'s, which waits for the heartbeat run. The body is whole; for `HEAD` it is
/// empty and `Content-Length` still gives the length of the `GET` body.
pub struct Answer {
    pub(crate) kind: AnswerKind,
}

pub(crate) enum AnswerKind {
    Ready(Option<Response<Bytes>>),
    Heartbeat(BoxFuture<'static, Response<Bytes>>),
}

impl Answer {
    pub(crate) fn ready(response: Response<Bytes>) -> Answer {
        Answer {
            kind: AnswerKind::Ready(Some(response)),
        }
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            AnswerKind::Ready(r) => f.debug_tuple("Answer::Ready").field(r).finish(),
            AnswerKind::Heartbeat(_) => f.write_str("Answer::Heartbeat"),
        }
    }
}

impl Future for Answer {
    type Output = Response<Bytes>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.kind {
            AnswerKind::Ready(response) => match response.take() {
                Some(r) => Poll::Ready(r),
                None => panic!("Answer polled after completion"),
            },
            AnswerKind::Heartbeat(fut) => fut.as_mut().poll(cx),
        }
    }
}

/// The request's scope: enter it around every poll of the request's future (the request layer
/// does; so does a server adapter that is not a tower service), and every record written
/// meanwhile carries the request's `rid` (and its trace ids).
///
/// As far as handlers can see, it is a tracing span `request{rid, trace_id, span_id}`
/// (target `dockerflow.request`) under every subscriber: `Span::current()` in a handler is
/// it, a span the handler opens is its child, and a task spawned with
/// `tracing::Instrument::in_current_span` carries it. Under the subscriber
/// `dockerflow_mozlog::init` installs (as [`main`](crate::main) does), the span is only made
/// when something asks for it; until then the mozlog and text layers read the id from a
/// thread-local context, which costs a fraction of a span per request.
#[derive(Debug)]
pub struct RequestScope(Scope);

#[derive(Debug)]
enum Scope {
    /// A tracing span with a `rid` field.
    Span(tracing::Span),
    /// The mozlog request context, which makes the span when asked.
    Context(RequestContext),
}

impl RequestScope {
    /// The scope of the request `rid` (with its trace context, if any), for the subscriber in
    /// use on this thread.
    pub fn new(rid: &RequestId, trace: Option<Trace>) -> RequestScope {
        RequestScope(if dockerflow_mozlog::init_subscriber_in_use() {
            Scope::Context(RequestContext::new(rid.shared()).with_trace(trace))
        } else {
            Scope::Span(tracing::info_span!(target: "dockerflow.request", "request",
                rid = rid.as_str(),
                trace_id = trace.as_ref().map(Trace::trace_id),
                span_id = trace.as_ref().map(Trace::span_id)))
        })
    }

    /// Runs `f` inside the scope.
    pub fn enter<R>(&mut self, f: impl FnOnce() -> R) -> R {
        match &mut self.0 {
            Scope::Span(span) => span.in_scope(f),
            Scope::Context(context) => context.enter(f),
        }
    }

    /// `future`, polled inside the scope.
    pub fn wrap<F: Future>(self, future: F) -> InRequest<F> {
        let (span, context) = match self.0 {
            Scope::Span(span) => (span, RequestContext::default()),
            Scope::Context(context) => (tracing::Span::none(), context),
        };
        InRequest {
            future,
            span,
            context,
        }
    }
}

/// One `request.summary` record (CONTRACT 1.9), as [`RequestSummaryLayer`](crate::request_summary::RequestSummaryLayer) writes it: for
/// servers that are not tower services (an actix-web adapter, a hand-written hyper loop) to
/// write exactly the same record.
///
/// The record is written at `ERROR` when `code` is 500 or more, else at `INFO`; `errno` is
/// `code` when it is 400 or more, else 0. Its `Fields` are, in this order: `agent`, `path`,
/// `method`, `code`, `errno`, `lang`, `t`, `rid`, `uid`, `trace_id` and `span_id` when there is
/// a trace context, and `querystring` when it is `Some`.
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a> {
    /// The request id.
    pub rid: &'a str,
    /// The ids of the request's valid `traceparent`, if any.
    pub trace: Option<Trace>,
    /// The request method.
    pub method: &'a str,
    /// The path, without the query string.
    pub path: &'a str,
    /// The query string (without `?`), only when the service opted in to logging it.
    pub querystring: Option<&'a str>,
    /// The `User-Agent` header, empty when absent.
    pub agent: &'a str,
    /// The `Accept-Language` header, empty when absent.
    pub lang: &'a str,
    /// The response status.
    pub code: u16,
    /// The user id ([`Uid`](crate::Uid)), empty when unknown.
    pub uid: &'a str,
    /// Milliseconds from receiving the request to the response head.
    pub t: u64,
}

impl Summary<'_> {
    /// Writes the record.
    pub fn write(&self) {
        let Summary {
            rid,
            trace,
            method,
            path,
            querystring,
            agent,
            lang,
            code,
            uid,
            t,
        } = *self;
        let errno = if code >= 400 { code } else { 0 };
        let level = if code >= 500 {
            tracing::Level::ERROR
        } else {
            tracing::Level::INFO
        };
        // The same line without tracing's visitors when the mozlog subscriber of `init` is
        // the one in use (see `dockerflow_mozlog::write_direct`): a third of the record's cost.
        let direct = dockerflow_mozlog::write_direct("request.summary", level, |f| {
            use dockerflow_mozlog::Key;
            f.str(const { Key::new("agent") }, agent)
                .str(const { Key::new("path") }, path)
                .str(const { Key::new("method") }, method)
                .u64(const { Key::new("code") }, code.into())
                .u64(const { Key::new("errno") }, errno.into())
                .str(const { Key::new("lang") }, lang)
                .u64(const { Key::new("t") }, t)
                .str(const { Key::new("rid") }, rid)
                .str(const { Key::new("uid") }, uid);
            if let Some(trace) = &trace {
                f.trace(trace);
            }
            if let Some(q) = querystring {
                f.str(const { Key::new("querystring") }, q);
            }
        });
        if direct != dockerflow_mozlog::Direct::NotWritten {
            return;
        }
        // An `Option` field that is `None` is not recorded.
        let trace_id = trace.as_ref().map(Trace::trace_id);
        let span_id = trace.as_ref().map(Trace::span_id);
        macro_rules! summary {
            ($level:expr) => {
                tracing::event!(target: "request.summary", $level,
                    agent, path, method, code, errno, lang, t, rid, uid, trace_id, span_id,
                    querystring)
            };
        }
        if level == tracing::Level::ERROR {
            summary!(tracing::Level::ERROR)
        } else {
            summary!(tracing::Level::INFO)
        }
    }
}
