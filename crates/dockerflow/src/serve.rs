//! Binding `$PORT`, serving HTTP/1 and HTTP/2 with hyper, and shutting down gracefully
//! (CONTRACT 1.1, 1.9); plus [`main`], the entry point that keeps a service's `main` short.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_service::Service;

use crate::builder::{Builder, Dockerflow};
use crate::config::{Config, ConfigError};

/// An error type that can be boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What [`Dockerflow::serve`] accepts as the application: any tower service over hyper's
/// requests that never fails (an axum `Router` is one).
pub trait App<B>:
    Service<Request<Incoming>, Response = Response<B>, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + 'static
{
}

impl<S, B> App<B> for S where
    S: Service<
            Request<Incoming>,
            Response = Response<B>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// What an application's response body must be.
pub trait AppBody: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static {}

impl<B> AppBody for B where B: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static {}

/// Why a service could not start or keep running. `Display` is one line.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// An environment variable has a bad value.
    Config(ConfigError),
    /// Logging could not be set up.
    Logging(String),
    /// The address could not be bound.
    Bind {
        /// The address tried.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Signal handlers could not be installed.
    Signals(std::io::Error),
    /// The application failed to start.
    App(BoxError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(e) => e.fmt(f),
            StartError::Logging(e) => f.write_str(e),
            StartError::Bind { address, source } => {
                write!(f, "cannot listen on {address} (from PORT/HOST): {source}")
            }
            StartError::Signals(e) => write!(f, "cannot install the SIGTERM/SIGINT handlers: {e}"),
            StartError::App(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<ConfigError> for StartError {
    fn from(e: ConfigError) -> Self {
        StartError::Config(e)
    }
}

/// A bound listener, ready to serve.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    df: Dockerflow,
}

impl Dockerflow {
    /// Binds `HOST`:`PORT` (all interfaces by default: `::`, dual-stack, or `0.0.0.0` where
    /// IPv6 is unavailable).
    pub async fn bind(&self) -> Result<Server, StartError> {
        let config = self.config();
        let listener = match config.host {
            Some(host) => bind(SocketAddr::new(host, config.port)).await?,
            None => match bind(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                config.port,
            ))
            .await
            {
                Ok(l) => l,
                Err(_) => {
                    bind(SocketAddr::new(
                        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        config.port,
                    ))
                    .await?
                }
            },
        };
        Ok(Server {
            listener,
            df: self.clone(),
        })
    }

    /// Binds, then serves `app` behind [`Dockerflow::layer`] until SIGTERM or SIGINT, then
    /// shuts down gracefully and returns `Ok(())`.
    pub async fn serve<S, B>(&self, app: S) -> Result<(), StartError>
    where
        S: App<B>,
        B: AppBody,
    {
        self.bind().await?.serve(app).await
    }
}

async fn bind(address: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| StartError::Bind { address, source })
}

impl Server {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The bound listener as a standard, non-blocking one, for servers other than hyper (the
    /// actix-web adapter hands it to `HttpServer::listen`).
    pub fn into_std(self) -> std::io::Result<std::net::TcpListener> {
        self.listener.into_std()
    }

    /// Serves `app` until SIGTERM, SIGINT or [`crate::Shutdown::trigger`], then drains and
    /// shuts down gracefully.
    pub async fn serve<S, B>(self, app: S) -> Result<(), StartError>
    where
        S: App<B>,
        B: AppBody,
    {
        let shutdown = self.df.shutdown().clone();
        shutdown.listen_for_signals().map_err(StartError::Signals)?;
        self.run(app).await;
        Ok(())
    }

    /// Like [`Server::serve`] without installing signal handlers: only
    /// [`crate::Shutdown::trigger`] stops it (for tests and embedding).
    pub async fn serve_without_signals<S, B>(self, app: S)
    where
        S: App<B>,
        B: AppBody,
    {
        self.run(app).await
    }

    async fn run<S, B>(self, app: S)
    where
        S: App<B>,
        B: AppBody,
    {
        let Server { listener, df } = self;
        let address = listener.local_addr().ok();
        let service = df.wrap(app);
        let config = df.config().shutdown.clone();
        let drained = df.shutdown().drained(config.drain_delay);
        tokio::pin!(drained);
        let graceful = GracefulShutdown::new();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30));
        tracing::info!(
            target: "dockerflow.server",
            address = %address.map(|a| a.to_string()).unwrap_or_default(),
            port = address.map(|a| a.port()).unwrap_or_default(),
            "listening on {}", address.map(|a| a.to_string()).unwrap_or_default()
        );

        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _peer)) => {
                        let _ = stream.set_nodelay(true);
                        let connection = builder
                            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service.clone()))
                            .into_owned();
                        let watched = graceful.watch(connection);
                        tokio::spawn(async move {
                            if let Err(e) = watched.await {
                                tracing::debug!(target: "dockerflow.server", error = %e, "connection ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(target: "dockerflow.server", error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                () = &mut drained => break,
            }
        }
        drop(listener);
        tracing::info!(
            target: "dockerflow.shutdown",
            grace_period_ms = config.grace_period.as_millis() as u64,
            "listener closed; finishing in-flight requests"
        );
        tokio::select! {
            _ = graceful.shutdown() => {
                tracing::info!(target: "dockerflow.shutdown", "all connections closed; exiting");
            }
            _ = tokio::time::sleep(config.grace_period) => {
                tracing::error!(target: "dockerflow.shutdown", "grace period over with requests still in flight; exiting anyway");
            }
        }
    }
}

/// The whole life of a service in one call, so its `main` stays short: sets up mozlog
/// logging and the panic hook, reads the configuration, calls `start` with a [`Builder`],
/// and turns the outcome into the process's exit status (0 after a graceful shutdown; 1 with
/// a one-line message on stderr, and a critical log record, when something is wrong).
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     dockerflow::main("my-service", |builder| async move {
///         builder.serve(dockerflow::NotFound).await
///     })
///     .await
/// }
/// ```
pub async fn main<F, Fut>(name: &str, start: F) -> ExitCode
where
    F: FnOnce(Builder) -> Fut,
    Fut: Future<Output = Result<(), StartError>>,
{
    let log = match dockerflow_mozlog::LogConfig::from_env(name) {
        Ok(log) => log,
        Err(e) => return fail(name, &StartError::Logging(e.to_string())),
    };
    if let Err(e) = dockerflow_mozlog::init(&log) {
        return fail(name, &StartError::Logging(e.to_string()));
    }
    dockerflow_mozlog::install_panic_hook();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            let code = fail(&log.logger, &StartError::Config(e));
            dockerflow_mozlog::flush();
            return code;
        }
    };
    let builder = Dockerflow::builder(log.logger.clone(), config);
    let code = match start(builder).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&log.logger, &e),
    };
    dockerflow_mozlog::flush();
    code
}

#[allow(clippy::print_stderr)] // The one place the library speaks to a person directly.
fn fail(name: &str, error: &StartError) -> ExitCode {
    tracing::error!(target: "dockerflow.server", critical = true, error = %error, "cannot start: {error}");
    eprintln!("{name}: {error}");
    ExitCode::FAILURE
}
