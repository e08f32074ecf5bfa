//! Serving with actix-web's `HttpServer` on the library's listener, and its shutdown driven by
//! the library's [`dockerflow::Shutdown`] (CONTRACT 1.1, 1.9) instead of actix-web's signals.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpServer};
use dockerflow::StartError;

use crate::Dockerflow;

/// What [`Dockerflow::serve`] accepts as the inside of an `App`: what `App::new()` and its
/// `route`, `service` and `wrap` calls make.
pub trait AppFactory<B>:
    ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<B>,
        Error = Error,
        InitError = (),
    > + 'static
{
}

impl<T, B> AppFactory<B> for T where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static
{
}

impl Dockerflow {
    /// Binds `HOST`:`PORT` as the library does, then serves the app that `factory` makes (once
    /// per worker), wrapped in [`Dockerflow::middleware`], until SIGTERM, SIGINT or
    /// [`dockerflow::Shutdown::trigger`]. Then: `/__lbheartbeat__` answers 503 for the drain
    /// delay (a second signal cuts it short), the listener closes, in-flight requests finish,
    /// and it returns `Ok(())`, at the latest when the grace period is over.
    pub async fn serve<F, T, B>(&self, factory: F) -> Result<(), StartError>
    where
        F: Fn() -> App<T> + Send + Clone + 'static,
        T: AppFactory<B>,
        B: MessageBody + 'static,
    {
        let server = self.inner.bind().await?;
        let address = server.local_addr();
        let listener = server
            .into_std()
            .map_err(|source| StartError::Bind { address, source })?;
        let config = self.config().shutdown.clone();
        // Made before the signal handlers, so no trigger can come before it counts them.
        let drained = self.shutdown().drained(config.drain_delay);
        self.shutdown()
            .listen_for_signals()
            .map_err(StartError::Signals)?;
        let middleware = self.middleware();
        let server = HttpServer::new(move || factory().wrap(middleware.clone()))
            // The library's Shutdown handles SIGTERM and SIGINT, with the drain delay.
            .disable_signals()
            // Whole seconds for actix-web; the grace period itself is timed below.
            .shutdown_timeout(config.grace_period.as_millis().div_ceil(1000) as u64)
            .listen(listener)
            .map_err(|source| StartError::Bind { address, source })?
            .run();
        let handle = server.handle();
        tracing::info!(
            target: "dockerflow.server",
            address = %address,
            port = address.port(),
            "listening on {address}"
        );
        let mut server = std::pin::pin!(server);
        tokio::select! {
            ended = &mut server => return ended.map_err(|e| StartError::App(Box::new(e))),
            () = drained => {}
        }
        // Stops accepting (the listener closes) and lets the workers finish their requests.
        drop(handle.stop(true));
        tracing::info!(
            target: "dockerflow.shutdown",
            grace_period_ms = config.grace_period.as_millis() as u64,
            "listener closed; finishing in-flight requests"
        );
        tokio::select! {
            _ = &mut server => {
                tracing::info!(target: "dockerflow.shutdown", "all connections closed; exiting");
            }
            () = tokio::time::sleep(config.grace_period) => {
                tracing::error!(target: "dockerflow.shutdown", "grace period over with requests still in flight; exiting anyway");
            }
        }
        Ok(())
    }
}
