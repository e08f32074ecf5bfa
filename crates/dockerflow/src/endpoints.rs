//! The Dockerflow endpoints as one tower layer: `/__version__`, `/__heartbeat__`,
//! `/__lbheartbeat__` and `/__error__` (CONTRACT 1.2-1.7).
//!
//! The layer answers these paths itself, before the application sees the request, so the
//! application's own middleware (authentication, redirects) placed inside it cannot change
//! their answers (CONTRACT 1.6). Every other request goes to the application untouched.
//! All four answer GET and HEAD, with or without a trailing slash, with
//! `Cache-Control: no-store`; other methods get 405.
//!
//! The answers themselves come from one framework-neutral function (method, path and headers
//! in, an [`Answer`] out, exposed as [`crate::Dockerflow::endpoint`]): the tower layer calls it,
//! and so do adapters to servers that are not tower services.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{
    HeaderValue, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::adapter::{Answer, AnswerKind};
use crate::heartbeat::Heartbeat;
use crate::shutdown::Shutdown;
use crate::version::VersionFile;

/// The body of a response that went through [`EndpointsLayer`]: ours, or the application's.
pub type Body<B> = Either<Full<Bytes>, B>;

/// What the endpoints need, shared by every clone of the service.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) version: VersionFile,
    pub(crate) heartbeat: Heartbeat,
    pub(crate) shutdown: Shutdown,
    pub(crate) error_token: Option<String>,
}

/// Serves the Dockerflow endpoints in front of an application.
#[derive(Debug, Clone)]
pub struct EndpointsLayer {
    state: Arc<State>,
}

impl EndpointsLayer {
    pub(crate) fn new(state: Arc<State>) -> Self {
        EndpointsLayer { state }
    }
}

impl<S> Layer<S> for EndpointsLayer {
    type Service = Endpoints<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Endpoints {
            inner,
            state: self.state.clone(),
        }
    }
}

/// The service made by [`EndpointsLayer`].
#[derive(Debug, Clone)]
pub struct Endpoints<S> {
    inner: S,
    state: Arc<State>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Version,
    Heartbeat,
    LbHeartbeat,
    Error,
}

fn route(path: &str) -> Option<Endpoint> {
    match path.strip_suffix('/').unwrap_or(path) {
        "/__version__" => Some(Endpoint::Version),
        "/__heartbeat__" => Some(Endpoint::Heartbeat),
        "/__lbheartbeat__" => Some(Endpoint::LbHeartbeat),
        "/__error__" => Some(Endpoint::Error),
        _ => None,
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Endpoints<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<Body<ResBody>>;
    type Error = S::Error;
    type Future = EndpointFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        match self
            .state
            .answer(req.method(), req.uri().path(), req.headers())
        {
            Some(answer) => EndpointFuture::answer(answer),
            None => EndpointFuture::inner(self.inner.call(req)),
        }
    }
}

/// Whether `path` is one of the endpoints' paths (`/__error__` included, whether or not it is
/// enabled): a cheap test for adapters that must convert a request before calling
/// [`crate::Dockerflow::endpoint`].
pub fn is_endpoint(path: &str) -> bool {
    route(path).is_some()
}

impl State {
    /// The one implementation of the endpoints, framework-neutral: the answer to `method
    /// path`, or `None` when the request is the application's (any other path, and
    /// `/__error__` without its token).
    pub(crate) fn answer(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Answer> {
        let endpoint = match route(path) {
            Some(Endpoint::Error) if !self.error_authorized(headers) => None,
            other => other,
        }?;
        let head = method == Method::HEAD;
        if method != Method::GET && !head {
            let mut response = respond(StatusCode::METHOD_NOT_ALLOWED, None, Bytes::new(), false);
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Some(Answer::ready(response));
        }
        let response = match endpoint {
            Endpoint::Version => match self.version.bytes() {
                Some(bytes) => respond(StatusCode::OK, Some(JSON), bytes.clone(), head),
                None => {
                    let reason = self.version.unusable_reason().unwrap_or_default();
                    let body = serde_json::json!({ "error": reason }).to_string();
                    respond(StatusCode::NOT_FOUND, Some(JSON), Bytes::from(body), head)
                }
            },
            Endpoint::LbHeartbeat => {
                let status = if self.shutdown.is_draining() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                };
                respond(status, None, Bytes::new(), head)
            }
            Endpoint::Error => {
                tracing::error!(
                    target: "dockerflow.error",
                    error = "dockerflow test error",
                    "/__error__ was called: this error was raised on purpose to test error reporting"
                );
                let body = r#"{"error":"dockerflow test error: raised on purpose by /__error__"}"#;
                respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Some(JSON),
                    Bytes::from_static(body.as_bytes()),
                    head,
                )
            }
            Endpoint::Heartbeat => {
                let heartbeat = self.heartbeat.clone();
                return Some(Answer {
                    kind: AnswerKind::Heartbeat(Box::pin(async move {
                        let report = heartbeat.report().await;
                        let body = report.body_bytes(heartbeat.details());
                        respond(heartbeat.status(&report), Some(JSON), body, head)
                    })),
                });
            }
        };
        Some(Answer::ready(response))
    }

    /// `/__error__` exists only with a token configured and the request carrying it
    /// (`Authorization: Bearer <token>`); otherwise the path is left to the application, which
    /// answers as it would for any unknown path (CONTRACT 1.7, Dockerflow #70).
    fn error_authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.error_token else {
            return false;
        };
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        constant_time_eq(given.as_bytes(), token.as_bytes())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const JSON: &str = "application/json";

fn respond(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Bytes,
    head: bool,
) -> Response<Bytes> {
    let length = body.len();
    let mut response = Response::new(if head { Bytes::new() } else { body });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(ct) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    // hyper writes a GET's Content-Length from the body's exact size; a HEAD response has
    // an empty body, so it says what a GET would send.
    if head {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}

pin_project! {
    /// The future of [`Endpoints`].
    pub struct EndpointFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Answer { answer: Answer },
        Inner { #[pin] fut: F },
    }
}

impl<F> EndpointFuture<F> {
    fn answer(answer: Answer) -> Self {
        EndpointFuture {
            kind: Kind::Answer { answer },
        }
    }

    fn inner(fut: F) -> Self {
        EndpointFuture {
            kind: Kind::Inner { fut },
        }
    }
}

impl<F, ResBody, E> Future for EndpointFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<Body<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Answer { answer } => Pin::new(answer)
                .poll(cx)
                .map(|r| Ok(r.map(|b| Either::Left(Full::new(b))))),
            KindProj::Inner { fut } => fut.poll(cx).map(|r| r.map(|r| r.map(Either::Right))),
        }
    }
}

/// A service answering 404 to everything, for running the endpoints alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFound;

impl<B> Service<Request<B>> for NotFound {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<B>) -> Self::Future {
        let mut response =
            Response::new(Full::new(Bytes::from_static(b"{\"error\":\"not found\"}")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
        std::future::ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/__version__"), Some(Endpoint::Version));
        assert_eq!(route("/__version__/"), Some(Endpoint::Version));
        assert_eq!(route("/__lbheartbeat__/"), Some(Endpoint::LbHeartbeat));
        assert_eq!(route("/__version__//"), None);
        assert_eq!(route("/x/__version__"), None);
        assert_eq!(route("/__VERSION__"), None);
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
