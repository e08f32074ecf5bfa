//! `dockerflow check logs FILE|-`: log lines judged as they stream (DF701, DF702, DF706,
//! DF708), with the first bad lines and what is wrong with each on stderr, then how many more
//! there are (the report quotes the first few). Memory is the longest line (`--max-line`) plus
//! what the rules keep ([`dockerflow_check::Logs`]), whatever the input's size.

use dockerflow_check::{
    check_runtime, LogReader, Mode, Options, ReadError, Report, RuntimeModel, DEFAULT_MAX_LINE,
    KEPT,
};

use crate::cli::LogsArgs;
use crate::fatal::{human_size, refused, Fatal};

/// Reads `a.file` (`-` for stdin) as it streams and judges its lines.
pub(crate) fn check(a: &LogsArgs, options: &Options) -> Result<Report, Fatal> {
    let path = &a.file;
    let stdin = path.as_os_str() == "-";
    let shown = path.to_string_lossy();
    let cap = match a.max_line {
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => DEFAULT_MAX_LINE,
    };
    let reader = LogReader::new(cap);
    let read = if stdin {
        reader.read_from(std::io::stdin().lock())
    } else {
        std::fs::File::open(path)
            .map_err(ReadError::Io)
            .and_then(|f| reader.read_from(f))
    };
    let name = if stdin { "stdin" } else { &shown };
    let logs = read.map_err(|e| match e {
        ReadError::Io(e) => Fatal::io_expecting(
            format!("cannot read logs from {shown}"),
            e,
            "expected a file of log lines, or - for stdin",
        ),
        ReadError::TooLong(e) => refused(format!(
            "cannot check logs from {name}: line {} is longer than {} ({} bytes), the longest line read; expected one log record per line; raise it with --max-line SIZE",
            e.line,
            human_size(e.cap as u64),
            e.cap
        )),
    })?;
    // The first lines that are not mozlog, each with what is wrong; then how many more (a
    // file of 100 000 bad lines is one problem, not 100 000 lines on stderr).
    for b in logs.bad_lines().iter().take(KEPT) {
        crate::say::err(&format!(
            "dockerflow: {name}:{}: not mozlog: {} ({:?})",
            b.line,
            b.errors.join("; "),
            b.text
        ));
    }
    let more = logs.bad_count().saturating_sub(KEPT as u64);
    if more > 0 {
        crate::say::err(&format!(
            "dockerflow: {name}: {more} more lines are not mozlog (the first {KEPT} are above)"
        ));
    }
    let mut observed = RuntimeModel::new(Mode::Logs, name);
    observed.logs = Some(logs);
    Ok(check_runtime(&observed, options))
}
