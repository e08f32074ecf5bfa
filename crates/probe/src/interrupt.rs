//! Ctrl-C: a SIGINT (or SIGTERM) handler that only sets a flag, and a watcher thread that
//! removes every container still registered, then exits with status 130.
//!
//! A container being created when the signal arrives is not lost: creation counts itself in
//! [`CREATING`] before it asks the engine and registers the id before it stops counting, and
//! the watcher waits (boundedly) for that count to reach zero before it reads the list. A
//! creation that begins after the signal sees the flag and does not ask the engine at all.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use dockerflow_engine::{ContainerSpec, Engine};

use crate::Error;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static CREATING: AtomicUsize = AtomicUsize::new(0);
static LIVE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// How long the watcher waits for creations in flight to come back with their ids.
const CREATE_GRACE: Duration = Duration::from_secs(15);

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the handler and starts the watcher (once per process). After this, containers
/// registered by the probe are removed on Ctrl-C before the process exits.
pub fn install_interrupt_cleanup(engine: &Engine) {
    static ONCE: Once = Once::new();
    let engine = engine.clone();
    ONCE.call_once(move || {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: `on_signal` is an `extern "C"` function that only stores to an atomic,
        // which is async-signal-safe; `signal` is called with valid signal numbers.
        #[allow(unsafe_code)]
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(50));
            if INTERRUPTED.load(Ordering::SeqCst) {
                let t0 = Instant::now();
                while CREATING.load(Ordering::SeqCst) > 0 && t0.elapsed() < CREATE_GRACE {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let ids = LIVE.lock().map(|l| l.clone()).unwrap_or_default();
                for id in ids {
                    let _ = engine.remove(&id);
                }
                eprintln!("dockerflow: interrupted; removed the containers it started");
                std::process::exit(130);
            }
        });
    });
}

/// Whether Ctrl-C was pressed: the watcher is removing the containers and will end the
/// process; errors caused by the removal are not worth reporting.
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
            Err(Error("interrupted".to_string()))
        } else {
            engine.create(spec).map_err(Error::from).map(|id| {
                if let Ok(mut l) = LIVE.lock() {
                    l.push(id.clone());
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
            l.retain(|i| i != &self.id);
        }
    }
}
