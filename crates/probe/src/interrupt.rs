//! Ctrl-C: SIGINT and SIGTERM are received by a watcher thread (`signal-hook`), which sets a
//! flag, removes every container still registered, then calls the caller's function, which
//! says so and ends the process (the `dockerflow` command exits with status 130). The library
//! itself neither prints nor exits.
//!
//! A container being created when the signal arrives is not lost: creation counts itself in
//! [`CREATING`] before it asks the engine and registers the id before it stops counting, and
//! the watcher waits (boundedly) for that count to reach zero before it reads the list. A
//! creation that begins after the signal sees the flag and does not ask the engine at all.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dockerflow_engine::{ContainerSpec, Engine};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::Error;

static INSTALLED: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static CREATING: AtomicUsize = AtomicUsize::new(0);
/// Every container alive, with the engine that runs it.
static LIVE: Mutex<Vec<(Engine, String)>> = Mutex::new(Vec::new());

/// How long the watcher waits for creations in flight to come back with their ids.
const CREATE_GRACE: Duration = Duration::from_secs(15);

/// Installs the SIGINT and SIGTERM handling and starts the watcher (once per process; later
/// calls do nothing). After this, on Ctrl-C, the containers registered by the probe are
/// removed, then `on_interrupt` runs on the watcher thread: it is expected to end the process
/// (the probe refuses to start containers from then on, and a run in progress waits for it).
pub fn install_interrupt_cleanup(
    on_interrupt: impl FnOnce() + Send + 'static,
) -> Result<(), Error> {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(|e| {
        INSTALLED.store(false, Ordering::SeqCst);
        Error::Signals(e)
    })?;
    std::thread::spawn(move || {
        if signals.forever().next().is_none() {
            return;
        }
        INTERRUPTED.store(true, Ordering::SeqCst);
        let t0 = Instant::now();
        while CREATING.load(Ordering::SeqCst) > 0 && t0.elapsed() < CREATE_GRACE {
            std::thread::sleep(Duration::from_millis(20));
        }
        let live = LIVE.lock().map(|l| l.clone()).unwrap_or_default();
        for (engine, id) in live {
            let _ = engine.remove(&id);
        }
        on_interrupt();
    });
    Ok(())
}

/// Whether Ctrl-C was pressed: the watcher is removing the containers and the caller's
/// function will end the process; errors caused by the removal are not worth reporting.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A running container, removed (forcefully) on drop and on Ctrl-C.
#[derive(Debug)]
pub(crate) struct Container<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) id: String,
}

impl<'a> Container<'a> {
    /// Creates the container and registers it for removal, or refuses once Ctrl-C was
    /// pressed (the process is about to exit).
    pub(crate) fn create(engine: &'a Engine, spec: &ContainerSpec) -> Result<Container<'a>, Error> {
        // Count first, then look at the flag: the watcher reads the flag before the count, so
        // either this creation sees the flag or the watcher waits for its id.
        CREATING.fetch_add(1, Ordering::SeqCst);
        let created = if interrupted() {
            Err(Error::Interrupted)
        } else {
            engine.create(spec).map_err(Error::from).map(|id| {
                if let Ok(mut l) = LIVE.lock() {
                    l.push((engine.clone(), id.clone()));
                }
                Container { engine, id }
            })
        };
        CREATING.fetch_sub(1, Ordering::SeqCst);
        created
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self.engine.remove(&self.id);
        if let Ok(mut l) = LIVE.lock() {
            l.retain(|(_, i)| i != &self.id);
        }
    }
}
