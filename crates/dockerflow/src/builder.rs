//! Assembling a service: [`Builder`] collects the configuration and the checks, and
//! [`Dockerflow`] hands out the tower layers and runs the server.

use std::sync::Arc;

use tower_layer::{Layer, Stack};

use crate::config::Config;
use crate::endpoints::{EndpointsLayer, State};
use crate::heartbeat::{Check, Heartbeat};
use crate::request_summary::RequestSummaryLayer;
use crate::shutdown::Shutdown;
use crate::version::VersionFile;

/// Collects what a Dockerflow service needs before it starts.
pub struct Builder {
    name: String,
    config: Config,
    checks: Vec<(String, Arc<dyn Check>)>,
    version: Option<VersionFile>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("checks", &names)
            .finish()
    }
}

impl Builder {
    /// The configuration in effect.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The service's name (the mozlog `Logger`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a heartbeat check called `name`. Names listed in
    /// `DOCKERFLOW_HEARTBEAT_NONCRITICAL` report failures as warnings.
    pub fn check(mut self, name: impl Into<String>, check: impl Check) -> Builder {
        self.checks.push((name.into(), Arc::new(check)));
        self
    }

    /// Uses this version file instead of looking for one (for tests and embedded builds).
    pub fn version_file(mut self, version: VersionFile) -> Builder {
        self.version = Some(version);
        self
    }

    /// Reads version.json, logs what is wrong with it, and builds the service.
    pub fn build(self) -> Dockerflow {
        let version = self
            .version
            .unwrap_or_else(|| VersionFile::locate(self.config.version_file.as_deref()));
        if let Some(reason) = version.unusable_reason() {
            tracing::warn!(target: "dockerflow.version", path = %version.path().display(), "/__version__ will answer 404: {reason}");
        }
        for m in version.messages() {
            if version.bytes().is_some() {
                tracing::warn!(target: "dockerflow.version", id = %m.id, "{}", m.text);
            }
        }
        let mut checks = Vec::with_capacity(self.checks.len() + 1);
        let version_for_check = version.clone();
        checks.push((
            "version".to_owned(),
            Arc::new(move || {
                let messages = version_for_check.messages();
                async move { messages }
            }) as Arc<dyn Check>,
        ));
        checks.extend(self.checks);
        let heartbeat = Heartbeat::new(self.config.heartbeat.clone(), checks);
        let shutdown = Shutdown::new();
        let state = Arc::new(State {
            version,
            heartbeat,
            shutdown,
            error_token: self.config.error_token.clone(),
        });
        Dockerflow {
            inner: Arc::new(Inner {
                name: self.name,
                config: self.config,
                state,
            }),
        }
    }

    /// Builds the service and serves `app` until SIGTERM or SIGINT (see [`Dockerflow::serve`]).
    pub async fn serve<S, B>(self, app: S) -> Result<(), crate::StartError>
    where
        S: crate::serve::App<B>,
        B: crate::serve::AppBody,
    {
        self.build().serve(app).await
    }
}

/// A configured Dockerflow service: its layers, its shutdown handle and its server.
#[derive(Debug, Clone)]
pub struct Dockerflow {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) config: Config,
    pub(crate) state: Arc<State>,
}

/// The layer of [`Dockerflow::layer`]: request ids and `request.summary` outside, the
/// Dockerflow endpoints inside, the application innermost.
pub type DockerflowLayer = Stack<EndpointsLayer, RequestSummaryLayer>;

impl Dockerflow {
    /// Starts a builder for the service `name` with `config`.
    pub fn builder(name: impl Into<String>, config: Config) -> Builder {
        Builder {
            name: name.into(),
            config,
            checks: Vec::new(),
            version: None,
        }
    }

    /// The configuration in effect.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The heartbeat, to run it outside HTTP (a CLI health command, for instance).
    pub fn heartbeat(&self) -> &Heartbeat {
        &self.inner.state.heartbeat
    }

    /// The shutdown handle: [`Shutdown::trigger`] does what SIGTERM does.
    pub fn shutdown(&self) -> &Shutdown {
        &self.inner.state.shutdown
    }

    /// A future for `axum::serve(..).with_graceful_shutdown(..)` (or any server's graceful
    /// shutdown): it listens for SIGTERM and SIGINT, and resolves once the configured drain
    /// delay has passed after the first (at once on a second), `/__lbheartbeat__` answering 503
    /// meanwhile. Needs a tokio runtime with I/O enabled; if the signals cannot be listened
    /// for, a warning is logged and only [`Shutdown::trigger`] ends it.
    ///
    /// ```no_run
    /// # async fn run(df: dockerflow::Dockerflow, app: axum::Router) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind(("0.0.0.0", df.config().port)).await?;
    /// let app = app.layer(df.layer());
    /// axum::serve(listener, app)
    ///     .with_graceful_shutdown(df.shutdown_signal())
    ///     .await
    /// # }
    /// ```
    pub fn shutdown_signal(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let shutdown = self.shutdown();
        if let Err(e) = shutdown.listen_for_signals() {
            tracing::warn!(target: "dockerflow.shutdown", error = %e,
                "cannot listen for SIGTERM and SIGINT: only Shutdown::trigger ends the server");
        }
        shutdown.drained(self.config().shutdown.drain_delay)
    }

    /// Everything Dockerflow adds to a service, as one tower layer: wrap the whole application
    /// with it, outermost, so no application middleware sits in front of the endpoints.
    ///
    /// ```
    /// # use dockerflow::{Config, Dockerflow};
    /// # use tower_layer::Layer;
    /// let df = Dockerflow::builder("my-service", Config::default()).build();
    /// let service = df.layer().layer(dockerflow::NotFound);
    /// # let _ = service;
    /// ```
    pub fn layer(&self) -> DockerflowLayer {
        Stack::new(
            self.endpoints_layer(),
            self.request_summary_layer().endpoints_inside(),
        )
    }

    /// The endpoints without tower, for adapters to other servers (the actix-web adapter
    /// uses it): the answer to a request for `method path` with `headers`, or `None` when the
    /// request is the application's. [`Dockerflow::endpoints_layer`] answers through this
    /// same function, so every server gives the same bytes.
    ///
    /// ```
    /// # use dockerflow::{Config, Dockerflow};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let df = Dockerflow::builder("my-service", Config::default()).build();
    /// let answer = df.endpoint(&http::Method::GET, "/__lbheartbeat__", &http::HeaderMap::new());
    /// assert_eq!(answer.expect("an endpoint").await.status(), 200);
    /// assert!(df.endpoint(&http::Method::GET, "/", &http::HeaderMap::new()).is_none());
    /// # }
    /// ```
    pub fn endpoint(
        &self,
        method: &http::Method,
        path: &str,
        headers: &http::HeaderMap,
    ) -> Option<crate::adapter::Answer> {
        self.inner.state.answer(method, path, headers)
    }

    /// Only the endpoints (`/__version__`, `/__heartbeat__`, `/__lbheartbeat__`, `/__error__`).
    pub fn endpoints_layer(&self) -> EndpointsLayer {
        EndpointsLayer::new(self.inner.state.clone())
    }

    /// Only request ids and `request.summary`.
    pub fn request_summary_layer(&self) -> RequestSummaryLayer {
        RequestSummaryLayer::new(self.inner.config.requests.clone())
    }

    /// Wraps `app` in [`Dockerflow::layer`].
    pub fn wrap<S>(&self, app: S) -> <DockerflowLayer as Layer<S>>::Service {
        self.layer().layer(app)
    }
}

#[cfg(feature = "axum")]
impl Dockerflow {
    /// Wraps an axum `Router` in [`Dockerflow::layer`], for services that run `axum::serve`
    /// themselves. Add it last, so it is the outermost layer.
    pub fn router(&self, app: axum::Router) -> axum::Router {
        app.layer(self.layer())
    }
}
