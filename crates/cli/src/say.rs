//! Every line the commands print goes through here: to stdout and stderr, or, under
//! `dockerflow ci`, to the sink ci installs (which masks secrets and copies each line to the
//! log). The steps of `ci` run in this process, so this is what keeps its masking complete
//! for what they print.

use std::io::Write;
use std::sync::OnceLock;

/// Receives `(line, to_stderr)`.
type Sink = Box<dyn Fn(&str, bool) + Send + Sync>;

static SINK: OnceLock<Sink> = OnceLock::new();

/// Sends every later line to `sink` (once per process; later calls are ignored).
pub(crate) fn install(sink: Sink) {
    let _ = SINK.set(sink);
}

/// Whether a sink takes the lines (no terminal tricks then, such as a live progress line).
pub(crate) fn captured() -> bool {
    SINK.get().is_some()
}

/// Whether this runs in CI: `CI=true`, as GitHub Actions, GitLab CI, CircleCI and Travis set
/// it, and as the test suite reads it (`dockerflow_testkit::ci`); any other value is not CI.
pub(crate) fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether stderr may be redrawn in place (a live progress line): a terminal, no sink, and
/// not in CI (whose log viewers keep every redraw).
pub(crate) fn live_stderr() -> bool {
    !under_ci() && !captured() && std::io::IsTerminal::is_terminal(&std::io::stderr())
}

/// Writes `text` (one or more lines) to stdout.
pub(crate) fn out(text: &str) {
    write(text, false);
}

/// Writes `text` (one or more lines) to stderr.
pub(crate) fn err(text: &str) {
    write(text, true);
}

fn write(text: &str, to_stderr: bool) {
    let text = text.strip_suffix('\n').unwrap_or(text);
    match SINK.get() {
        Some(sink) => text.split('\n').for_each(|l| sink(l, to_stderr)),
        // A closed pipe (`| head`) is not worth a panic.
        None if to_stderr => {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
        None => {
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "{text}").and_then(|()| o.flush());
        }
    }
}
