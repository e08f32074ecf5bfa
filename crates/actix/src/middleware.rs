//! The middleware: request ids, the `rid` span and `request.summary` outside, the Dockerflow
//! endpoints inside, the app innermost (the order of the library's tower layers).
//!
//! actix-web 4 speaks `http` 0.2 and the library `http` 1: requests for an endpoint are
//! converted at this edge (method, headers by name and bytes), and so are the answers.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderName, HeaderValue, ACCEPT_LANGUAGE, USER_AGENT};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use bytes::Bytes;
use dockerflow::adapter::{RequestScope, Summary};
use dockerflow::Uid;

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The Dockerflow middleware for an actix-web `App` (see [`crate::Dockerflow::middleware`]).
#[derive(Debug, Clone)]
pub struct DockerflowMiddleware {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    df: dockerflow::Dockerflow,
    /// The configured request id header, as actix-web's header name.
    rid_header: HeaderName,
}

impl DockerflowMiddleware {
    pub(crate) fn new(df: dockerflow::Dockerflow) -> Self {
        let configured = df.config().requests.request_id_header.as_str();
        // Both `http` versions accept the same header-name grammar, so this never falls back.
        let rid_header = HeaderName::from_bytes(configured.as_bytes())
            .unwrap_or_else(|_| HeaderName::from_static("x-request-id"));
        DockerflowMiddleware {
            shared: Arc::new(Shared { df, rid_header }),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for DockerflowMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = DockerflowService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(DockerflowService {
            inner: Rc::new(service),
            shared: self.shared.clone(),
        }))
    }
}

/// The service made by [`DockerflowMiddleware`].
#[derive(Debug)]
pub struct DockerflowService<S> {
    inner: Rc<S>,
    shared: Arc<Shared>,
}

/// What the summary needs from the request (reference-counted views, no copies).
struct Pending {
    method: Method,
    uri: Uri,
    agent: Option<HeaderValue>,
    lang: Option<HeaderValue>,
    querystring: bool,
}

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for DockerflowService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<Result<Self::Response, Error>>;

    actix_web::dev::forward_ready!(inner);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let shared = self.shared.clone();
        let config = &shared.df.config().requests;
        let identity = dockerflow::request_id::identify_values(
            req.headers().get(&shared.rid_header).map(|v| v.as_bytes()),
            req.headers().get(TRACEPARENT).map(|v| v.as_bytes()),
        );
        let (rid, trace) = (identity.rid, identity.trace);
        let header = HeaderValue::from_str(rid.as_str()).ok();
        // An endpoint is answered here, and reads neither the id header nor the extensions.
        let for_app = !dockerflow::endpoints::is_endpoint(req.path());
        if let (true, false, Some(value)) = (for_app, identity.from_header, &header) {
            // The layers inside (and the app) see the id the logs show.
            req.headers_mut()
                .insert(shared.rid_header.clone(), value.clone());
        }
        if for_app {
            req.extensions_mut().insert(rid.clone());
        }
        let pending = config.wants_summary(req.path()).then(|| Pending {
            method: req.method().clone(),
            uri: req.uri().clone(),
            agent: req.headers().get(USER_AGENT).cloned(),
            lang: req.headers().get(ACCEPT_LANGUAGE).cloned(),
            querystring: config.summary_querystring,
        });
        let mut scope = RequestScope::new(&rid, trace);
        let call = scope.enter(|| match endpoint(&shared.df, &req) {
            Some(answer) => {
                let (request, _payload) = req.into_parts();
                Call::Endpoint(request, answer)
            }
            None => Call::App(self.inner.call(req)),
        });
        Box::pin(async move {
            let result = scope
                .wrap(async move {
                    match call {
                        Call::Endpoint(request, answer) => {
                            let response = to_actix(answer.await);
                            Ok(ServiceResponse::new(request, response).map_into_right_body())
                        }
                        Call::App(fut) => fut.await.map(ServiceResponse::map_into_left_body),
                    }
                })
                .await;
            let (result, code, uid) = match result {
                Ok(mut response) => {
                    if let Some(value) = header {
                        response
                            .headers_mut()
                            .insert(shared.rid_header.clone(), value);
                    }
                    let code = response.status().as_u16();
                    let uid = response.response().extensions().get::<Uid>().cloned();
                    (Ok(response), code, uid)
                }
                Err(error) => {
                    // An inner middleware failed: actix-web renders the error after us, so the
                    // id goes into the error's response.
                    let code = error.as_response_error().status_code().as_u16();
                    let error = WithRequestId {
                        error,
                        header: header.map(|v| (shared.rid_header.clone(), v)),
                    };
                    (Err(Error::from(error)), code, None)
                }
            };
            dockerflow::metrics::record_request(code);
            if let Some(p) = pending {
                Summary {
                    rid: rid.as_str(),
                    trace,
                    method: p.method.as_str(),
                    path: p.uri.path(),
                    querystring: p.querystring.then(|| p.uri.query().unwrap_or_default()),
                    agent: &text(&p.agent),
                    lang: &text(&p.lang),
                    code,
                    uid: uid.as_ref().map(|u| u.0.as_str()).unwrap_or_default(),
                    t: started.elapsed().as_millis() as u64,
                }
                .write();
            }
            result
        })
    }
}

/// A header's value as text: borrowed when it is UTF-8 (`from_utf8` checks ASCII a word at a
/// time), lossy otherwise.
fn text(value: &Option<HeaderValue>) -> std::borrow::Cow<'_, str> {
    match value.as_ref().map(|v| v.as_bytes()) {
        None => "".into(),
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => text.into(),
            Err(_) => String::from_utf8_lossy(bytes),
        },
    }
}

enum Call<F> {
    Endpoint(actix_web::HttpRequest, dockerflow::adapter::Answer),
    App(F),
}

/// The library's answer when the request is for one of its endpoints.
fn endpoint(
    df: &dockerflow::Dockerflow,
    req: &ServiceRequest,
) -> Option<dockerflow::adapter::Answer> {
    if !dockerflow::endpoints::is_endpoint(req.path()) {
        return None;
    }
    // actix-web writes `Content-Length` from the body and leaves a HEAD response's body out
    // itself, so a HEAD request is asked the GET answer: same status, headers and length.
    let method = if req.method() == Method::HEAD {
        http::Method::GET
    } else {
        http::Method::from_bytes(req.method().as_str().as_bytes()).ok()?
    };
    let mut headers = http::HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    df.endpoint(&method, req.path(), &headers)
}

/// An endpoint's answer as an actix-web response: status and headers by number and bytes.
fn to_actix(response: http::Response<Bytes>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status =
        StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = HttpResponse::with_body(status, body);
    let headers = out.headers_mut();
    for (name, value) in &parts.headers {
        // actix-web writes Content-Length itself, from the body.
        if name == http::header::CONTENT_LENGTH {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    out.map_into_boxed_body()
}

/// An error from inside the app, rendered as it would be, plus the request id header.
#[derive(Debug)]
struct WithRequestId {
    error: Error,
    header: Option<(HeaderName, HeaderValue)>,
}

impl std::fmt::Display for WithRequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for WithRequestId {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.error.error_response();
        if let Some((name, value)) = &self.header {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}
