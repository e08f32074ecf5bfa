//! `dockerflow check logs FILE|-`: log lines judged as mozlog (DF701, DF702), with the first
//! bad lines and what is wrong with each on stderr, then how many more there are (the report
//! quotes the first few).

use std::path::Path;

use dockerflow_check::{check_runtime, mozlog_problems, Mode, Options, Report, RuntimeModel};

use crate::fatal::Fatal;

/// How many bad lines are quoted on stderr.
const SHOWN: usize = 10;

/// Reads `path` (`-` for stdin) and judges its lines.
pub(crate) fn check(path: &Path, options: &Options) -> Result<Report, Fatal> {
    let stdin = path.as_os_str() == "-";
    let shown = path.to_string_lossy();
    let bytes = crate::read_input(path).map_err(|e| {
        Fatal::io_expecting(
            format!("cannot read logs from {shown}"),
            e,
            "expected a file of log lines, or - for stdin",
        )
    })?;
    let name = if stdin { "stdin" } else { &shown };
    // The first lines that are not mozlog, each with what is wrong; then how many more (a
    // file of 100 000 bad lines is one problem, not 100 000 lines on stderr).
    let mut problems = mozlog_problems(&bytes).into_iter();
    for (n, line, errors) in problems.by_ref().take(SHOWN) {
        let line: String = line.chars().take(100).collect();
        crate::say::err(&format!(
            "dockerflow: {name}:{n}: not mozlog: {} ({line:?})",
            errors.join("; ")
        ));
    }
    let more = problems.count();
    if more > 0 {
        crate::say::err(&format!(
            "dockerflow: {name}: {more} more lines are not mozlog (the first {SHOWN} are above)"
        ));
    }
    let mut observed = RuntimeModel::new(Mode::Logs, name);
    observed.logs = Some(bytes);
    Ok(check_runtime(&observed, options))
}
