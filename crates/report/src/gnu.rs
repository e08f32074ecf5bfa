//! The `gnu` format: one line per broken rule, `FILE:LINE: LEVEL DFNNN message` (`FILE: ...`
//! when no line is known), as hadolint's `gnu` format and compilers write, for editors and
//! CI problem matchers. LEVEL is `error` for a failure and `warning` for a warning; rules that
//! pass, are skipped or are ignored print nothing. FILE is the file SARIF names (see
//! [`crate::sarif`]). An input that could not be checked is one line,
//! `FILE: error not checked: WHY` ([`render_unchecked`]), FILE the one that stands for it.

use std::fmt::Write;

use dockerflow_check::{Outcome, Report};

use crate::Unchecked;

/// Renders the lines (nothing for a report with nothing broken).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match (&f.outcome, &f.ignored) {
            (_, Some(_)) => continue,
            (Outcome::Fail, None) => "error",
            (Outcome::Warn, None) => "warning",
            (Outcome::Pass | Outcome::Skipped(_), None) => continue,
        };
        let file = crate::sarif::file_of(report, f);
        let line = match f.location.line {
            Some(n) => format!(":{n}"),
            None => String::new(),
        };
        let message = format!("{}: found {}", f.rule.statement, f.found);
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "{file}{line}: {level} {} {message}", f.rule.id);
    }
    out
}

/// The lines of inputs that could not be checked: `FILE: error not checked: WHY`.
pub fn render_unchecked(unchecked: &[Unchecked]) -> String {
    let mut out = String::new();
    for u in unchecked {
        let file = crate::sarif::input_file(u.kind, &u.name);
        let why = u.error.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "{file}: error not checked: {why}");
    }
    out
}
