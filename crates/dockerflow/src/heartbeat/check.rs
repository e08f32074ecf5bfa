//! The `Check` trait and what a check reports: messages with a level and a stable id, in the
//! shape python-dockerflow uses (a port of Django's system-check messages).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future, as returned by [`Check::check`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Severity of a heartbeat message; the numbers and names are python-dockerflow's (CONTRACT 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// 0, `ok`.
    Ok,
    /// 10, `debug`.
    Debug,
    /// 20, `info`.
    Info,
    /// 30, `warning`: degraded, the heartbeat still answers 200.
    Warning,
    /// 40, `error`: the heartbeat fails.
    Error,
    /// 50, `critical`: the heartbeat fails.
    Critical,
}

impl Level {
    /// The level's number in the heartbeat body.
    pub fn number(self) -> u8 {
        match self {
            Level::Ok => 0,
            Level::Debug => 10,
            Level::Info => 20,
            Level::Warning => 30,
            Level::Error => 40,
            Level::Critical => 50,
        }
    }

    /// The level's name in the heartbeat body.
    pub fn name(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }

    /// Whether this level fails the heartbeat (error and critical).
    pub fn is_failure(self) -> bool {
        self >= Level::Error
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding of a check: a level, a stable id (`dockerflow.health.E001`) and a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// How bad it is.
    pub level: Level,
    /// A stable identifier, listed in the crate documentation's table of message ids.
    pub id: String,
    /// A human-readable explanation. Never holds a secret: the heartbeat redacts passwords.
    pub text: String,
}

impl Message {
    /// A message at `level`.
    pub fn new(level: Level, id: impl Into<String>, text: impl Into<String>) -> Message {
        Message {
            level,
            id: id.into(),
            text: text.into(),
        }
    }

    /// A warning.
    pub fn warning(id: impl Into<String>, text: impl Into<String>) -> Message {
        Message::new(Level::Warning, id, text)
    }

    /// An error.
    pub fn error(id: impl Into<String>, text: impl Into<String>) -> Message {
        Message::new(Level::Error, id, text)
    }

    /// A critical error.
    pub fn critical(id: impl Into<String>, text: impl Into<String>) -> Message {
        Message::new(Level::Critical, id, text)
    }
}

/// A heartbeat check of one backing service. An empty list of messages means healthy.
///
/// Implemented for async closures, so a one-off check is one line:
///
/// ```
/// use dockerflow::heartbeat::{Check, Message};
///
/// let check = || async { Vec::<Message>::new() };
/// fn assert_check(_: impl Check) {}
/// assert_check(check);
/// ```
pub trait Check: Send + Sync + 'static {
    /// Runs the check. The heartbeat applies the time limits; a check need not.
    fn check(&self) -> BoxFuture<'_, Vec<Message>>;
}

impl<F, Fut> Check for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Message>> + Send + 'static,
{
    fn check(&self) -> BoxFuture<'_, Vec<Message>> {
        Box::pin(self())
    }
}
