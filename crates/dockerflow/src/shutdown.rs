//! Graceful shutdown (CONTRACT 1.9): the signals that start it and the draining state that
//! `/__lbheartbeat__` reports.
//!
//! The sequence, driven by [`crate::Server::serve`]: on the first SIGTERM or SIGINT `/__lbheartbeat__`
//! answers 503 while the server keeps serving for the drain delay (load balancers notice and
//! stop sending traffic); then the listener closes, in-flight requests finish, idle
//! connections close, and the process exits 0, within the grace period. A second signal cuts
//! the drain delay short.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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

    /// A receiver that changes on every [`Shutdown::trigger`].
    pub(crate) fn subscribe(&self) -> watch::Receiver<u32> {
        self.signals.subscribe()
    }

    /// Forwards SIGTERM and SIGINT to [`Shutdown::trigger`] for as long as the process runs.
    pub(crate) fn listen_for_signals(&self) -> std::io::Result<()> {
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
