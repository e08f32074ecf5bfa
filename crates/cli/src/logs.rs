//! `dockerflow check logs FILE|-`: log lines judged as mozlog (DF701, DF702), with every bad
//! line and what is wrong with it on stderr (the report quotes the first few).

use std::io::Read;

use dockerflow_check::{check_runtime, mozlog_problems, Mode, Options, Report, RuntimeModel};

use crate::run::RunArgs;
use crate::{fatal, Fatal};

/// Reads `path` (`-` for stdin) and judges its lines.
pub(crate) fn check(path: &str, args: &RunArgs, options: &Options) -> Result<Report, Fatal> {
    if let Some(f) = args.given.first() {
        return Err(fatal(format!(
            "{f} applies to `check image REF --run` or `check url` only"
        )));
    }
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| {
        fatal(format!(
            "cannot read logs from {path}: {e}; expected a file of log lines, or - for stdin"
        ))
    })?;
    let name = if path == "-" { "stdin" } else { path };
    for (n, line, errors) in mozlog_problems(&bytes) {
        let line: String = line.chars().take(100).collect();
        eprintln!(
            "dockerflow: {name}:{n}: not mozlog: {} ({line:?})",
            errors.join("; ")
        );
    }
    let mut observed = RuntimeModel::new(Mode::Logs, name);
    observed.logs = Some(bytes);
    Ok(check_runtime(&observed, options))
}
