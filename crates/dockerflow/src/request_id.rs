//! Request ids (CONTRACT 1.9): taken from the configured header when it is 1-128 characters
//! of `[A-Za-z0-9._:-]`, otherwise a new UUID v4; echoed in the response and present as `rid`
//! on every log record written while the request is handled.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use dockerflow_mozlog::RequestContext;
use http::HeaderMap;
use pin_project_lite::pin_project;

/// A request's id, placed in the request's extensions by the request layer (cheap to clone).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// Accepts `value` when it is a valid request id.
    pub fn parse(value: &str) -> Option<RequestId> {
        let valid = (1..=128).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        valid.then(|| RequestId(value.into()))
    }

    /// A new random id (UUID v4).
    ///
    /// The 122 random bits come from a per-thread splitmix64 generator seeded once from the
    /// operating system, not from a `getrandom` system call per request (which showed up in
    /// profiles). Request ids need uniqueness, not secrecy: nothing may rely on them being
    /// unguessable.
    pub fn generate() -> RequestId {
        use std::cell::Cell;
        thread_local! {
            static STATE: Cell<u64> = Cell::new(u64::from_le_bytes(
                uuid::Uuid::new_v4().as_bytes()[..8].try_into().unwrap_or([7; 8]),
            ));
        }
        let mut bytes = [0u8; 16];
        STATE.with(|state| {
            for chunk in bytes.chunks_mut(8) {
                let mut z = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
                state.set(z);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
            }
        });
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        RequestId(
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .hyphenated()
                .encode_lower(&mut text)
                .into(),
        )
    }

    /// The id in `headers[name]` when valid, else a new one.
    pub fn from_headers(headers: &HeaderMap, name: &http::HeaderName) -> RequestId {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(RequestId::parse)
            .unwrap_or_else(RequestId::generate)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a shared string (no copy).
    pub(crate) fn shared(&self) -> Arc<str> {
        self.0.clone()
    }
}

/// How a request's id reaches the records written while the request is handled: enter it
/// around every poll of the request's future (the request layer does; so does a server
/// adapter that is not a tower service).
///
/// Under the subscriber `dockerflow_mozlog::init` installed (as [`main`](crate::main) does)
/// it is a [`RequestContext`], which the mozlog and text layers read, and which costs a
/// fraction of a span; under any other subscriber it is a tracing span
/// `request{rid=..}` (target `dockerflow.request`), which every layer sees.
#[derive(Debug)]
pub enum RequestScope {
    /// A tracing span with a `rid` field.
    Span(tracing::Span),
    /// The mozlog request context.
    Context(RequestContext),
}

impl RequestScope {
    /// The scope of the request `rid`, chosen for the subscriber in use on this thread.
    pub fn new(rid: &RequestId) -> RequestScope {
        if dockerflow_mozlog::init_subscriber_in_use() {
            RequestScope::Context(RequestContext::new(rid.shared()))
        } else {
            RequestScope::Span(
                tracing::info_span!(target: "dockerflow.request", "request", rid = rid.as_str()),
            )
        }
    }

    /// Runs `f` inside the scope.
    pub fn enter<R>(&mut self, f: impl FnOnce() -> R) -> R {
        match self {
            RequestScope::Span(span) => span.in_scope(f),
            RequestScope::Context(context) => context.enter(f),
        }
    }

    /// `future`, polled inside the scope.
    pub fn wrap<F: Future>(self, future: F) -> InRequest<F> {
        let (span, context) = match self {
            RequestScope::Span(span) => (span, RequestContext::default()),
            RequestScope::Context(context) => (tracing::Span::none(), context),
        };
        InRequest {
            future,
            span,
            context,
        }
    }
}

/// Runs `future` as part of the request being handled where it is created: its log records
/// carry that request's `rid`. For tasks a handler spawns:
/// `tokio::spawn(dockerflow::request_id::in_current_request(async { .. }))`.
///
/// The request layer attaches the id either with a tracing span (under a subscriber the
/// library did not set up, so that every layer sees it) or with a cheaper
/// [`RequestContext`] (under the one `dockerflow::main` sets up); this carries both, so it
/// works either way (`tracing::Instrument::in_current_span` only carries the span).
pub fn in_current_request<F: Future>(future: F) -> InRequest<F> {
    InRequest {
        future,
        span: tracing::Span::current(),
        context: RequestContext::current(),
    }
}

pin_project! {
    /// A future polled inside a request's scope: made by [`in_current_request`] and
    /// [`RequestScope::wrap`].
    #[derive(Debug)]
    pub struct InRequest<F> {
        #[pin]
        future: F,
        span: tracing::Span,
        context: RequestContext,
    }
}

impl<F: Future> Future for InRequest<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let future = this.future;
        this.context.enter(|| future.poll(cx))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The user id an application puts in a response's extensions so `request.summary` can log it
/// as `uid` (empty otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uid(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(RequestId::parse("abc-123_X.y:z").is_some());
        assert!(RequestId::parse(&"a".repeat(128)).is_some());
        assert!(RequestId::parse(&"a".repeat(129)).is_none());
        assert!(RequestId::parse("").is_none());
        for bad in ["a b", "a/b", "é", "a\"b", "<script>"] {
            assert!(RequestId::parse(bad).is_none(), "{bad}");
        }
        let generated = RequestId::generate();
        assert_eq!(generated.as_str().len(), 36);
        assert!(RequestId::parse(generated.as_str()).is_some());
        let parsed = uuid::Uuid::parse_str(generated.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            assert!(seen.insert(RequestId::generate()), "ids never repeat");
        }
    }
}
