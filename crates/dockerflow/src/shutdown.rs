//! Graceful shutdown (CONTRACT 1.9): the signals that start it and the draining state that
//! `/__lbheartbeat__` reports.
//!
//! The sequence, driven by [`crate::Server::serve`] (and by any other server through
//! [`Shutdown::drained`]): on the first SIGTERM or SIGINT `/__lbheartbeat__`
//! answers 503 while the server keeps serving for the drain delay (load balancers notice and
//! stop sending traffic); then the listener closes, in-flight requests finish, idle
//! connections close, and the process exits 0, within the grace period. A second signal cuts
//! the drain delay short.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// The shutdown state shared by the server and the endpoints; cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown {
    draining: Arc<AtomicBool>,
    signals: Arc<watch::Sender<u32>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    /// A new state: not draining, no signal received.
    pub fn new() -> Shutdown {
        Shutdown {
            draining: Arc::new(AtomicBool::new(false)),
            signals: Arc::new(watch::channel(0).0),
        }
    }

    /// Whether the server is draining (`/__lbheartbeat__` answers 503).
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    pub(crate) fn set_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Asks the server to shut down, as a SIGTERM does. A second call cuts the drain delay.
    pub fn trigger(&self) {
        self.signals.send_modify(|n| *n += 1);
    }

    /// The drain, for a server to await before it closes its listener: resolves after the
    /// first [`Shutdown::trigger`] (or signal) once `drain_delay` has passed, or as soon as a
    /// second trigger comes; from the first trigger on, [`Shutdown::is_draining`] is true
    /// (`/__lbheartbeat__` answers 503). Triggers count from this call, not from the first poll.
    pub fn drained(&self, drain_delay: Duration) -> impl Future<Output = ()> + Send + 'static {
        let mut signals = self.signals.subscribe();
        let this = self.clone();
        async move {
            if signals.changed().await.is_err() {
                return;
            }
            this.set_draining();
            tracing::info!(
                target: "dockerflow.shutdown",
                drain_delay_ms = drain_delay.as_millis() as u64,
                "draining: /__lbheartbeat__ answers 503; still serving for the drain delay"
            );
            tokio::select! {
                _ = tokio::time::sleep(drain_delay) => {}
                _ = signals.changed() => {
                    tracing::info!(target: "dockerflow.shutdown", "second shutdown request: ending the drain delay");
                }
            }
        }
    }

    /// Forwards SIGTERM and SIGINT to [`Shutdown::trigger`] for as long as the process runs.
    /// Needs a tokio runtime with I/O enabled (actix-web's has one).
    pub fn listen_for_signals(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    s = term.recv() => { if s.is_none() { break } "SIGTERM" }
                    s = int.recv() => { if s.is_none() { break } "SIGINT" }
                };
                tracing::info!(target: "dockerflow.shutdown", signal = name, "received {name}");
                this.trigger();
            }
        });
        Ok(())
    }
}
