//! The request layer (CONTRACT 1.9): a request id for every request and one `request.summary`
//! record per request.
//!
//! The id goes into the request's extensions ([`RequestId`]), into the response header, and
//! into a tracing span (`rid`) that is entered whenever the inner service's future is polled,
//! so every record written while handling the request carries `Fields.rid`. The summary is
//! written when the response head is ready; `t` is the time until then, in milliseconds.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderValue, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::RequestConfig;
use crate::request_id::{RequestId, Uid};

/// Adds request ids and `request.summary` records to a service.
#[derive(Debug, Clone)]
pub struct RequestSummaryLayer {
    config: Arc<RequestConfig>,
}

impl RequestSummaryLayer {
    /// A layer configured by `config`.
    pub fn new(config: RequestConfig) -> Self {
        RequestSummaryLayer {
            config: Arc::new(config),
        }
    }
}

impl<S> Layer<S> for RequestSummaryLayer {
    type Service = RequestSummary<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestSummary {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service made by [`RequestSummaryLayer`].
#[derive(Debug, Clone)]
pub struct RequestSummary<S> {
    inner: S,
    config: Arc<RequestConfig>,
}

/// What the summary needs from the request, kept without copying: the method, URI and header
/// values are reference-counted views of what hyper parsed.
struct Pending {
    rid: RequestId,
    method: http::Method,
    uri: http::Uri,
    agent: Option<HeaderValue>,
    lang: Option<HeaderValue>,
    querystring: bool,
    started: Instant,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestSummary<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let config = &self.config;
        let rid = RequestId::from_headers(req.headers(), &config.request_id_header);
        let path = req.uri().path();
        let logged = config.summary && !config.summary_exclude.iter().any(|p| same_path(p, path));
        let pending = logged.then(|| Pending {
            rid: rid.clone(),
            method: req.method().clone(),
            uri: req.uri().clone(),
            agent: req.headers().get(http::header::USER_AGENT).cloned(),
            lang: req.headers().get(http::header::ACCEPT_LANGUAGE).cloned(),
            querystring: config.summary_querystring,
            started,
        });
        let span = tracing::info_span!(target: "dockerflow.request", "request", rid = rid.as_str());
        let header = HeaderValue::from_str(rid.as_str()).ok();
        req.extensions_mut().insert(rid);
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture {
            inner,
            span,
            pending,
            header_name: config.request_id_header.clone(),
            header,
        }
    }
}

/// `/__heartbeat__` in the exclusion list also excludes `/__heartbeat__/`.
fn same_path(excluded: &str, path: &str) -> bool {
    excluded.trim_end_matches('/') == path.trim_end_matches('/') && !path.is_empty()
}

pin_project! {
    /// The future of [`RequestSummary`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: tracing::Span,
        pending: Option<Pending>,
        header_name: http::HeaderName,
        header: Option<HeaderValue>,
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = {
            let _entered = this.span.enter();
            match this.inner.poll(cx) {
                Poll::Ready(r) => r,
                Poll::Pending => return Poll::Pending,
            }
        };
        let result = result.map(|mut response| {
            if let Some(value) = this.header.take() {
                response
                    .headers_mut()
                    .insert(this.header_name.clone(), value);
            }
            response
        });
        if let Some(p) = this.pending.take() {
            let (code, uid) = match &result {
                Ok(r) => (
                    r.status().as_u16(),
                    r.extensions()
                        .get::<Uid>()
                        .map(|u| u.0.as_str())
                        .unwrap_or_default(),
                ),
                Err(_) => (500, ""),
            };
            write_summary(&p, code, uid);
        }
        Poll::Ready(result)
    }
}

fn write_summary(p: &Pending, code: u16, uid: &str) {
    let (agent, lang) = (text(p.agent.as_ref()), text(p.lang.as_ref()));
    Summary {
        rid: p.rid.as_str(),
        method: p.method.as_str(),
        path: p.uri.path(),
        querystring: p.querystring.then(|| p.uri.query().unwrap_or_default()),
        agent: &agent,
        lang: &lang,
        code,
        uid,
        t: p.started.elapsed().as_millis() as u64,
    }
    .write();
}

/// One `request.summary` record (CONTRACT 1.9), as [`RequestSummaryLayer`] writes it: for
/// servers that are not tower services (an actix-web adapter, a hand-written hyper loop) to
/// write exactly the same record.
///
/// The record is written at `ERROR` when `code` is 500 or more, else at `INFO`; `errno` is
/// `code` when it is 400 or more, else 0. Its `Fields` are, in this order: `agent`, `path`,
/// `method`, `code`, `errno`, `lang`, `t`, `rid`, `uid`, and `querystring` when it is `Some`.
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a> {
    /// The request id.
    pub rid: &'a str,
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
    /// The user id ([`Uid`]), empty when unknown.
    pub uid: &'a str,
    /// Milliseconds from receiving the request to the response head.
    pub t: u64,
}

impl Summary<'_> {
    /// Writes the record.
    pub fn write(&self) {
        let Summary {
            rid,
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
        macro_rules! summary {
            ($level:expr) => {
                match querystring {
                    Some(q) => tracing::event!(target: "request.summary", $level,
                        agent, path, method, code, errno, lang, t, rid, uid, querystring = q),
                    None => tracing::event!(target: "request.summary", $level,
                        agent, path, method, code, errno, lang, t, rid, uid),
                }
            };
        }
        if code >= 500 {
            summary!(tracing::Level::ERROR)
        } else {
            summary!(tracing::Level::INFO)
        }
    }
}

/// A header's value as text (lossy for bytes that are not UTF-8; borrowed when it is).
fn text(value: Option<&HeaderValue>) -> Cow<'_, str> {
    value.map_or(Cow::Borrowed(""), |v| String::from_utf8_lossy(v.as_bytes()))
}
