//! The request layer (CONTRACT 1.9): a request id for every request and one `request.summary`
//! record per request.
//!
//! The id goes into the request's extensions ([`RequestId`]), into the request header when the request did not bring a valid one (so
//! layers inside, such as tower-http's `PropagateRequestId`, see the id the logs show), into
//! the response header, and
//! into a scope entered whenever the inner service's future is polled, so every record written
//! while handling the request carries `Fields.rid`: a tracing span (`rid`) in general, or,
//! under the subscriber `dockerflow_mozlog::init` installs (as `dockerflow::main` does), a
//! `dockerflow_mozlog::RequestContext`, which those layers read and which costs far less
//! (see [`RequestScope`]). Tasks a handler
//! spawns carry the id with [`in_current_request`](crate::request_id::in_current_request). The summary is
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

use crate::adapter::{RequestScope, Summary};
use crate::config::RequestConfig;
use crate::request_id::{RequestId, Trace, Uid};

/// Adds request ids and `request.summary` records to a service.
#[derive(Debug, Clone)]
pub struct RequestSummaryLayer {
    config: Arc<RequestConfig>,
    endpoints_inside: bool,
}

impl RequestSummaryLayer {
    /// A layer configured by `config`.
    pub fn new(config: RequestConfig) -> Self {
        RequestSummaryLayer {
            config: Arc::new(config),
            endpoints_inside: false,
        }
    }

    /// The layer right outside the endpoints layer (as in [`crate::Dockerflow::layer`]): a
    /// request for an endpoint is answered by the library, which reads neither the request id
    /// header nor the extensions, so the id is not set on that request (the response and the
    /// records still carry it). Load balancers poll `/__lbheartbeat__` all day: this saves an
    /// extensions map and a header per poll.
    pub(crate) fn endpoints_inside(mut self) -> Self {
        self.endpoints_inside = true;
        self
    }
}

impl<S> Layer<S> for RequestSummaryLayer {
    type Service = RequestSummary<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestSummary {
            inner,
            config: self.config.clone(),
            endpoints_inside: self.endpoints_inside,
        }
    }
}

/// The service made by [`RequestSummaryLayer`].
#[derive(Debug, Clone)]
pub struct RequestSummary<S> {
    inner: S,
    config: Arc<RequestConfig>,
    endpoints_inside: bool,
}

/// What the summary needs from the request, kept without copying: the method, URI and header
/// values are reference-counted views of what hyper parsed.
struct Pending {
    rid: RequestId,
    trace: Option<Trace>,
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
        // The endpoints inside read neither the id header nor the extensions.
        let for_app = !(self.endpoints_inside && crate::endpoints::is_endpoint(req.uri().path()));
        let (rid, trace, header) = crate::request_id::identify_request(
            req.headers_mut(),
            &config.request_id_header,
            for_app,
        );
        let logged = config.wants_summary(req.uri().path());
        let pending = logged.then(|| Pending {
            rid: rid.clone(),
            trace,
            method: req.method().clone(),
            uri: req.uri().clone(),
            agent: req.headers().get(http::header::USER_AGENT).cloned(),
            lang: req.headers().get(http::header::ACCEPT_LANGUAGE).cloned(),
            querystring: config.summary_querystring,
            started,
        });
        let mut scope = RequestScope::new(&rid, trace);
        if for_app {
            req.extensions_mut().insert(rid);
        }
        let inner = scope.enter(|| self.inner.call(req));
        ResponseFuture {
            inner,
            scope,
            pending,
            header_name: config.request_id_header.clone(),
            header,
        }
    }
}

pin_project! {
    /// The future of [`RequestSummary`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        scope: RequestScope,
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
        let inner = this.inner;
        let result = match this.scope.enter(|| inner.poll(cx)) {
            Poll::Ready(r) => r,
            Poll::Pending => return Poll::Pending,
        };
        let result = result.map(|mut response| {
            if let Some(value) = this.header.take() {
                response
                    .headers_mut()
                    .insert(this.header_name.clone(), value);
            }
            response
        });
        let code = match &result {
            Ok(r) => r.status().as_u16(),
            Err(_) => 500,
        };
        crate::metrics::record_request(code);
        if let Some(p) = this.pending.take() {
            let uid = match &result {
                Ok(r) => r
                    .extensions()
                    .get::<Uid>()
                    .map(|u| u.0.as_str())
                    .unwrap_or_default(),
                Err(_) => "",
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
        trace: p.trace,
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

/// A header's value as text (lossy for bytes that are not UTF-8; borrowed when it is).
fn text(value: Option<&HeaderValue>) -> Cow<'_, str> {
    // `from_utf8` first: it checks ASCII a word at a time, `from_utf8_lossy` by chunks.
    value.map_or(Cow::Borrowed(""), |v| {
        match std::str::from_utf8(v.as_bytes()) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(v.as_bytes()),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use tower::{Service, ServiceExt};
    use tracing_subscriber::prelude::*;

    use super::*;

    #[derive(Clone)]
    struct SharedVec(Arc<Mutex<Vec<u8>>>);

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SharedVec {
        type Writer = SharedVec;
        fn make_writer(&'a self) -> SharedVec {
            self.clone()
        }
    }

    impl std::io::Write for SharedVec {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Under a subscriber the library did not install, the id travels in a tracing span, which
    /// the mozlog layer (and any other layer) sees.
    #[tokio::test]
    async fn under_another_subscriber_the_rid_is_a_span_field() {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let subscriber = tracing_subscriber::registry()
            .with(dockerflow_mozlog::MozlogLayer::new("t").with_writer(SharedVec(out.clone())));
        let _default = tracing::subscriber::set_default(subscriber);
        assert!(!dockerflow_mozlog::init_subscriber_in_use());
        let app = tower::service_fn(|_req: Request<()>| async {
            tokio::task::yield_now().await;
            tracing::info!(target: "handler", "after a yield");
            assert!(
                tracing::Span::current().id().is_some(),
                "inside the request span"
            );
            Ok::<_, Infallible>(Response::new(()))
        });
        let config = crate::Config::default().requests;
        let mut service = RequestSummaryLayer::new(config).layer(app);
        let request = Request::get("/x?q=1")
            .header("x-request-id", "span-1")
            .body(())
            .unwrap();
        let response = service.ready().await.unwrap().call(request).await.unwrap();
        assert_eq!(response.headers()["x-request-id"], "span-1");
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["Type"], "handler");
        assert_eq!(lines[0]["Fields"]["rid"], "span-1");
        assert_eq!(lines[1]["Type"], "request.summary");
        assert_eq!(lines[1]["Fields"]["rid"], "span-1");
        assert_eq!(lines[1]["Fields"]["path"], "/x");
    }
}
