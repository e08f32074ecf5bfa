//! Make an actix-web 4 service Dockerflow-compliant in a few lines: the actix-web adapter of
//! the `dockerflow` library.
//!
//! The service gets section 1 of the project's `CONTRACT.md`, with the library's own pieces:
//! configuration from the environment ([`dockerflow::Config`]), mozlog logging, the heartbeat
//! runner, version.json, the endpoints (through [`dockerflow::Dockerflow::endpoint`], the same
//! function the tower layer answers with, so both servers give the same bytes), request ids
//! and `request.summary` ([`dockerflow::adapter::Summary`]), and the shutdown sequence
//! ([`dockerflow::Shutdown`]). This crate only adapts them to actix-web: a middleware and a
//! server loop. It depends on `dockerflow` (without its axum feature) and on no tooling crate.
//!
//! # Example
//!
//! ```no_run
//! use actix_web::{web, App};
//! use dockerflow::checks::TcpCheck;
//!
//! fn main() -> std::process::ExitCode {
//!     // What `#[actix_web::main]` expands to (that macro needs actix-web's `macros` feature).
//!     actix_web::rt::System::new().block_on(dockerflow_actix::main("my-service", |df| async move {
//!         df.check("database", TcpCheck::new("127.0.0.1:5432"))
//!             .serve(|| App::new().route("/", web::get().to(|| async { "hello" })))
//!             .await
//!     }))
//! }
//! ```
//!
//! [`main`] is [`dockerflow::main`]: it sets up logging, reads the configuration (an invalid
//! `PORT` is a one-line error and exit status 1) and turns the outcome into the exit status.
//! [`Builder::serve`] binds `HOST`:`PORT`, runs actix-web's `HttpServer` with the app factory
//! wrapped in [`DockerflowMiddleware`] (outermost, so the app's own middleware cannot change
//! the endpoints' answers), and on SIGTERM or SIGINT drains as the library does: 503 on
//! `/__lbheartbeat__` for the drain delay, then the listener closes, in-flight requests
//! finish, and it returns within the grace period. actix-web's own signal handling is off.
//!
//! Services that run their own `HttpServer` wrap their `App` with
//! [`Dockerflow::middleware`] last, and drive the shutdown themselves.
//!
//! # What the middleware does
//!
//! - `/__version__`, `/__heartbeat__`, `/__lbheartbeat__`, `/__error__` (with its token):
//!   answered before the app, GET and HEAD, with or without a trailing slash,
//!   `Cache-Control: no-store`, 405 for other methods.
//! - Every request: an id from the configured header when valid (else a new UUID v4), echoed
//!   in the response (also when an inner middleware returns an error), and a tracing span
//!   (`dockerflow.request`, `rid`) around the app, so every record written while handling it
//!   carries `Fields.rid`. One `request.summary` record when the response head is ready,
//!   except for excluded paths. An app reports the user as `uid` by putting a
//!   [`dockerflow::Uid`] in the response's extensions.
//!
//! # Static files
//!
//! Not served by this crate: the library's `StaticFiles` is a tower service, and bridging its
//! streamed bodies into actix-web is more than an adapter should hold. An actix-web service
//! serves `DOCKERFLOW_STATIC_DIR` (in [`dockerflow::Config::static_dir`]) itself, with
//! `actix-files` for example, which brings the ETag, `Range` and content-type handling
//! CONTRACT 1.10 asks for.
//!
//! # HTTP/2
//!
//! Plain HTTP/1.1 only (actix-web's `http2` feature is off: without TLS it would only serve
//! prior-knowledge h2c, which no load balancer in front of a Dockerflow service needs).
#![deny(missing_docs)]

mod middleware;
mod serve;

use std::future::Future;
use std::process::ExitCode;

pub use dockerflow::{Config, StartError};
pub use middleware::{DockerflowMiddleware, DockerflowService};

/// Collects what a Dockerflow service needs before it starts: [`dockerflow::Builder`] with an
/// actix-web [`Builder::serve`].
#[derive(Debug)]
pub struct Builder {
    inner: dockerflow::Builder,
}

impl Builder {
    /// The configuration in effect.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// The service's name (the mozlog `Logger`).
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Adds a heartbeat check called `name`. Names listed in
    /// `DOCKERFLOW_HEARTBEAT_NONCRITICAL` report failures as warnings.
    pub fn check(self, name: impl Into<String>, check: impl dockerflow::heartbeat::Check) -> Self {
        Builder {
            inner: self.inner.check(name, check),
        }
    }

    /// Uses this version file instead of looking for one (for tests and embedded builds).
    pub fn version_file(self, version: dockerflow::version::VersionFile) -> Self {
        Builder {
            inner: self.inner.version_file(version),
        }
    }

    /// Reads version.json, logs what is wrong with it, and builds the service.
    pub fn build(self) -> Dockerflow {
        Dockerflow::from(self.inner.build())
    }

    /// Builds the service and serves the app that `factory` makes (once per actix-web worker)
    /// until SIGTERM or SIGINT; see [`Dockerflow::serve`].
    pub async fn serve<F, T, B>(self, factory: F) -> Result<(), StartError>
    where
        F: Fn() -> actix_web::App<T> + Send + Clone + 'static,
        T: serve::AppFactory<B>,
        B: actix_web::body::MessageBody + 'static,
    {
        self.build().serve(factory).await
    }
}

impl From<dockerflow::Builder> for Builder {
    fn from(inner: dockerflow::Builder) -> Self {
        Builder { inner }
    }
}

/// A configured Dockerflow service for actix-web: the library's [`dockerflow::Dockerflow`],
/// its middleware, and its server.
#[derive(Debug, Clone)]
pub struct Dockerflow {
    inner: dockerflow::Dockerflow,
    middleware: DockerflowMiddleware,
}

impl From<dockerflow::Dockerflow> for Dockerflow {
    fn from(inner: dockerflow::Dockerflow) -> Self {
        let middleware = DockerflowMiddleware::new(inner.clone());
        Dockerflow { inner, middleware }
    }
}

impl Dockerflow {
    /// Starts a builder for the service `name` with `config`.
    pub fn builder(name: impl Into<String>, config: Config) -> Builder {
        Builder::from(dockerflow::Dockerflow::builder(name, config))
    }

    /// The configuration in effect.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// The library's service: its heartbeat, its shutdown handle, its endpoints.
    pub fn library(&self) -> &dockerflow::Dockerflow {
        &self.inner
    }

    /// The shutdown handle: [`dockerflow::Shutdown::trigger`] does what SIGTERM does.
    pub fn shutdown(&self) -> &dockerflow::Shutdown {
        self.inner.shutdown()
    }

    /// Everything Dockerflow adds to an actix-web app, as one middleware: `App::wrap` it last,
    /// so it is the outermost and no app middleware sits in front of the endpoints.
    pub fn middleware(&self) -> DockerflowMiddleware {
        self.middleware.clone()
    }
}

/// The whole life of an actix-web service in one call: [`dockerflow::main`] (logging, the
/// panic hook, the configuration, the exit status) with an actix-web [`Builder`]. Run it on
/// actix-web's runtime (`#[actix_web::main]`, or `actix_web::rt::System::new().block_on`).
pub async fn main<F, Fut>(name: &str, start: F) -> ExitCode
where
    F: FnOnce(Builder) -> Fut,
    Fut: Future<Output = Result<(), StartError>>,
{
    dockerflow::main(name, |builder| start(Builder::from(builder))).await
}
