//! The text report, for people: failures first, each with the rule id and statement, what was
//! found, what was expected and where; then warnings, skipped rules and passes, one line each;
//! then the verdict. ANSI colour only when [`RenderOptions::color`] says so.

use std::fmt::Write;

use dockerflow_check::{Finding, Level, Outcome, Report, Verdict};

use crate::RenderOptions;

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn rank(f: &Finding) -> u8 {
    match (&f.outcome, f.ignored.is_some()) {
        (_, true) => 2,
        (Outcome::Fail, _) => 0,
        (Outcome::Warn, _) => 1,
        (Outcome::Skipped(_), _) => 3,
        (Outcome::Pass, _) => 4,
    }
}

/// Renders the text report.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let paint = |code: &str, s: &str| {
        if options.color {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "dockerflow check {} {} (profile {})\n",
        report.kind.as_str(),
        report.subject,
        report.profile
    );
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by_key(|f| rank(f));
    for f in findings {
        let (tag, colour) = match &f.outcome {
            Outcome::Fail => ("FAIL", RED),
            Outcome::Warn => ("WARN", YELLOW),
            Outcome::Pass => ("pass", GREEN),
            Outcome::Skipped(_) => ("skip", DIM),
        };
        let detailed = matches!(f.outcome, Outcome::Fail | Outcome::Warn);
        // A MUST rule that warns was accepted by the profile's reading (mozcloud).
        let level = if f.outcome == Outcome::Warn && f.rule.level == Level::Must {
            format!("MUST, accepted by profile {}", report.profile)
        } else {
            f.rule.level.as_str().to_string()
        };
        let _ = write!(
            out,
            "{}  {}  {} [{level}]",
            paint(colour, tag),
            paint(BOLD, f.rule.id),
            f.rule.statement,
        );
        if let Outcome::Skipped(why) = &f.outcome {
            let _ = write!(out, ": {why}");
        }
        out.push('\n');
        if let Some(reason) = &f.ignored {
            let _ = writeln!(out, "      ignored:  {reason}");
        }
        if detailed {
            let _ = writeln!(out, "      found:    {}", f.found);
            let _ = writeln!(out, "      expected: {}", f.expected);
            if !f.location.is_empty() {
                let _ = writeln!(out, "      where:    {}", f.location);
            }
            let _ = writeln!(out, "      fix:      {}", f.rule.fix);
            let _ = writeln!(out, "      see:      {}", f.rule.help_uri());
        }
    }
    let s = report.summary();
    let verdict = match report.verdict() {
        Verdict::Pass => paint(GREEN, "PASS"),
        Verdict::Fail => paint(RED, "FAIL"),
    };
    let _ = writeln!(
        out,
        "\nverdict: {verdict} ({} failed, {} warned, {} passed, {} skipped, {} ignored)",
        s.fail, s.warn, s.pass, s.skipped, s.ignored
    );
    out
}
