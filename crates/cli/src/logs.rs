//! `dockerflow check logs FILE|-`: log lines judged as mozlog (DF701, DF702), with every bad
//! line and what is wrong with it on stderr (the report quotes the first few).

use std::path::Path;

use dockerflow_check::{check_runtime, mozlog_problems, Mode, Options, Report, RuntimeModel};

use crate::{fatal, Fatal};

/// Reads `path` (`-` for stdin) and judges its lines.
pub(crate) fn check(path: &Path, options: &Options) -> Result<Report, Fatal> {
    let stdin = path.as_os_str() == "-";
    let shown = path.to_string_lossy();
    let bytes = crate::read_input(path).map_err(|e| {
        fatal(format!(
            "cannot read logs from {shown}: {e}; expected a file of log lines, or - for stdin"
        ))
    })?;
    let name = if stdin { "stdin" } else { &shown };
    for (n, line, errors) in mozlog_problems(&bytes) {
        let line: String = line.chars().take(100).collect();
        crate::say::err(&format!(
            "dockerflow: {name}:{n}: not mozlog: {} ({line:?})",
            errors.join("; ")
        ));
    }
    let mut observed = RuntimeModel::new(Mode::Logs, name);
    observed.logs = Some(bytes);
    Ok(check_runtime(&observed, options))
}
