//! Request ids (CONTRACT 1.9): taken from the configured header when it is 1-128 characters
//! of `[A-Za-z0-9._:-]`, otherwise the trace id of a valid W3C `traceparent` header, otherwise
//! a new UUID v4; echoed in the response, set on the request for the layers inside, and present
//! as `rid` on every log record written while the request is handled. A valid `traceparent`'s
//! ids ([`Trace`]) are on those records too (`trace_id`, `span_id`); an invalid one is ignored.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use dockerflow_mozlog::RequestContext;
pub use dockerflow_mozlog::Trace;
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

    /// The id in `headers[name]` when valid, else a valid `traceparent`'s trace id, else a new
    /// one (see [`identify`]).
    pub fn from_headers(headers: &HeaderMap, name: &http::HeaderName) -> RequestId {
        identify(headers, name).rid
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a shared string (no copy).
    pub(crate) fn shared(&self) -> Arc<str> {
        self.0.clone()
    }

    /// The id as a header value that shares the id's bytes: one allocation, and its clones
    /// (the request's header and the response's) are reference counts. A value made by
    /// `HeaderValue::from_str` would copy the id, then allocate again on its first clone.
    pub(crate) fn header_value(&self) -> Option<http::HeaderValue> {
        struct Text(Arc<str>);
        impl AsRef<[u8]> for Text {
            fn as_ref(&self) -> &[u8] {
                self.0.as_bytes()
            }
        }
        http::HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(Text(self.shared()))).ok()
    }
}

/// A request's id and trace context, as [`identify`] finds them in its headers.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The request id.
    pub rid: RequestId,
    /// The ids of a valid `traceparent` header.
    pub trace: Option<Trace>,
    /// Whether `rid` is the request id header's own value (else the header is absent or
    /// invalid, and the request layer sets it on the request for the layers inside).
    pub from_header: bool,
}

/// The request id in `headers[name]` when valid (1-128 characters of `[A-Za-z0-9._:-]`), else
/// the trace id of a valid W3C `traceparent` header, else a new UUID v4; and that
/// `traceparent`'s ids.
pub fn identify(headers: &HeaderMap, name: &http::HeaderName) -> Identity {
    identify_values(
        headers.get(name).map(|v| v.as_bytes()),
        headers.get(TRACEPARENT).map(|v| v.as_bytes()),
    )
}

/// [`identify`] from the two headers' values, for a server whose header types are not
/// `http` 1's (the actix-web adapter).
pub fn identify_values(request_id: Option<&[u8]>, traceparent: Option<&[u8]>) -> Identity {
    let trace = traceparent.and_then(parse_traceparent);
    if let Some(rid) = request_id
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(RequestId::parse)
    {
        return Identity {
            rid,
            trace,
            from_header: true,
        };
    }
    Identity {
        rid: fallback(trace.as_ref()),
        trace,
        from_header: false,
    }
}

/// The id when the request brought no valid one: the trace id, else a new UUID.
fn fallback(trace: Option<&Trace>) -> RequestId {
    match trace {
        Some(trace) => RequestId(trace.trace_id().into()),
        None => RequestId::generate(),
    }
}

/// [`identify`] for the request layer, which also sets the id on the request (when it is not
/// the header's own, and `set` says the request goes on to layers that may read it) and
/// returns the header value to echo: one hash of the header name, and no copy of an id that
/// came in the header.
pub(crate) fn identify_request(
    headers: &mut HeaderMap,
    name: &http::HeaderName,
    set: bool,
) -> (RequestId, Option<Trace>, Option<http::HeaderValue>) {
    use http::header::Entry;
    let trace = headers
        .get(TRACEPARENT)
        .and_then(|v| parse_traceparent(v.as_bytes()));
    let entry = headers.entry(name.clone());
    let valid = match &entry {
        Entry::Occupied(e) => e.get().to_str().ok().and_then(RequestId::parse),
        Entry::Vacant(_) => None,
    };
    if let Some(rid) = valid {
        let value = match &entry {
            Entry::Occupied(e) => Some(e.get().clone()),
            Entry::Vacant(_) => None,
        };
        return (rid, trace, value);
    }
    let rid = fallback(trace.as_ref());
    let value = rid.header_value();
    if let (true, Some(value)) = (set, &value) {
        match entry {
            Entry::Occupied(mut e) => {
                e.insert(value.clone());
            }
            Entry::Vacant(e) => {
                e.insert(value.clone());
            }
        }
    }
    (rid, trace, value)
}

/// The W3C trace context header.
pub const TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");

/// The ids of a W3C `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`, lowercase), or `None`
/// when it is not valid: another length for version `00`, version `ff`, upper-case or other
/// digits, an all-zero id. A later version may append `-...` after the flags (W3C Trace
/// Context, "versioning of traceparent").
pub fn parse_traceparent(value: &[u8]) -> Option<Trace> {
    let hex = |b: &[u8]| {
        b.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    };
    let (version, flags) = (value.get(..2)?, value.get(53..55)?);
    let shape = value[2] == b'-' && value[35] == b'-' && value[52] == b'-';
    let length = match version {
        b"00" => value.len() == 55,
        b"ff" => false,
        _ => value.len() == 55 || value[55] == b'-',
    };
    if !(shape && length && hex(version) && hex(flags)) {
        return None;
    }
    Trace::from_hex(&value[3..35], &value[36..52])
}

/// Runs `future` as part of the request being handled where it is created: its log records
/// carry that request's `rid`. For tasks a handler spawns,
/// `tokio::spawn(async { .. }.in_current_span())` (`tracing::Instrument`) does the same,
/// since the request is the current span in a handler under every subscriber (see
/// [`RequestScope`](crate::adapter::RequestScope)); this one carries the library's
/// thread-local request context too.
pub fn in_current_request<F: Future>(future: F) -> InRequest<F> {
    InRequest {
        future,
        span: tracing::Span::current(),
        context: RequestContext::current(),
    }
}

pin_project! {
    /// A future polled inside a request's scope: made by [`in_current_request`] and
    /// [`RequestScope::wrap`](crate::adapter::RequestScope::wrap).
    #[derive(Debug)]
    pub struct InRequest<F> {
        #[pin]
        pub(crate) future: F,
        pub(crate) span: tracing::Span,
        pub(crate) context: RequestContext,
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

    #[test]
    fn traceparent() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let trace = parse_traceparent(good.as_bytes()).unwrap();
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(trace.span_id(), "00f067aa0ba902b7");
        let future = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes";
        assert!(parse_traceparent(future.as_bytes()).is_some());
        for bad in [
            "",
            "00",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(parse_traceparent(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_id_falls_back_to_the_trace_id() {
        let name = http::HeaderName::from_static("x-request-id");
        let mut headers = HeaderMap::new();
        headers.insert(
            TRACEPARENT,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let id = identify(&headers, &name);
        assert_eq!(id.rid.as_str(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(!id.from_header);
        headers.insert(name.clone(), "bad id".parse().unwrap());
        assert_eq!(
            identify(&headers, &name).rid.as_str(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        headers.insert(name.clone(), "mine".parse().unwrap());
        let id = identify(&headers, &name);
        assert_eq!((id.rid.as_str(), id.from_header), ("mine", true));
        assert!(
            id.trace.is_some(),
            "the trace context is kept beside the header's id"
        );
        headers.insert(TRACEPARENT, "00-bad".parse().unwrap());
        headers.remove(&name);
        let id = identify(&headers, &name);
        assert!(id.trace.is_none());
        assert_eq!(id.rid.as_str().len(), 36, "a new UUID: {}", id.rid);
    }
}
