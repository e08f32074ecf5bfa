//! Panics as log records.

use std::backtrace::Backtrace;
use std::panic::PanicHookInfo;

/// Replaces the panic hook so that a panic is written as one log record through the installed
/// subscriber: `Type` `panic`, `Severity` 2 (critical), `Fields.msg` the panic message,
/// `Fields.location` `file:line:col`, `Fields.backtrace` a backtrace (always captured, whatever
/// `RUST_BACKTRACE` says), plus the fields of the spans the panicking thread is in (so a panic
/// while handling a request carries its `rid`).
///
/// The previous hook (by default, the message on stderr) is not called when the record is
/// written: one panic, one report, on stdout with the other records, rather than a second,
/// unstructured copy on stderr. When no subscriber would write the record (logging not
/// initialised, or the `panic` target filtered off), the previous hook runs instead, so a panic
/// is never silent.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if tracing::enabled!(target: "panic", tracing::Level::ERROR) {
            log_panic(info);
            // The process may abort or exit right after the hook: write out what is queued.
            crate::flush();
        } else {
            previous(info);
        }
    }));
}

fn log_panic(info: &PanicHookInfo<'_>) {
    let payload = info.payload();
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    let backtrace = Backtrace::force_capture().to_string();
    tracing::error!(
        target: "panic",
        r#type = "panic",
        critical = true,
        location = location.as_str(),
        backtrace = backtrace.as_str(),
        "{msg}"
    );
}
