//! Ctrl-C: a SIGINT (or SIGTERM) handler that only sets a flag, and a watcher thread that
//! removes every container still registered, then exits with status 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use dockerflow_engine::Engine;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static LIVE: Mutex<Vec<String>> = Mutex::new(Vec::new());

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
    pub(crate) fn register(engine: &'a Engine, id: String) -> Container<'a> {
        if let Ok(mut l) = LIVE.lock() {
            l.push(id.clone());
        }
        Container { engine, id }
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
