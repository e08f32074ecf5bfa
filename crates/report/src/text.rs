//! The text report, for people: failures first, each with the rule id and statement, what was
//! found, what was expected and where; then warnings and ignored rules (tagged `IGNORED`, with
//! the reason) in full; then the rules not checked, one line per reason ("15 rules not checked:
//! a runtime rule: ..."), and the passes on one line; then the verdict. [`Detail::Verbose`]
//! lists every skipped and passed rule on its own line (a pass with what it found);
//! [`Detail::Quiet`] prints the verdict only. ANSI colour only when [`RenderOptions::color`]
//! says so.

use std::fmt::Write;

use dockerflow_check::{Finding, Level, Outcome, Report, Verdict};

use crate::{Detail, RenderOptions};

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
    if options.detail != Detail::Quiet {
        findings(&mut out, report, options, &paint);
    }
    let s = report.summary();
    let verdict = match report.verdict() {
        Verdict::Pass => paint(GREEN, "PASS"),
        Verdict::Fail => paint(RED, "FAIL"),
    };
    // Quiet: one line per input, so it names the input.
    let blank = if options.detail == Detail::Quiet {
        format!("{}: ", report.subject)
    } else {
        "\n".to_string()
    };
    let _ = writeln!(
        out,
        "{blank}verdict: {verdict} ({} failed, {} warned, {} passed, {} skipped, {} ignored)",
        s.fail, s.warn, s.pass, s.skipped, s.ignored
    );
    out
}

fn findings(
    out: &mut String,
    report: &Report,
    options: &RenderOptions,
    paint: &dyn Fn(&str, &str) -> String,
) {
    let verbose = options.detail == Detail::Verbose;
    let _ = writeln!(
        out,
        "dockerflow check {} {} (profile {})\n",
        report.kind.as_str(),
        report.subject,
        report.profile
    );
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by_key(|f| rank(f));
    // Skipped rules by reason, and passes, in order, for the collapsed lines.
    let mut skipped: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut passed: Vec<&str> = Vec::new();
    for f in findings {
        let (tag, colour) = match (&f.outcome, &f.ignored) {
            (_, Some(_)) => ("IGNORED", DIM),
            (Outcome::Fail, None) => ("FAIL", RED),
            (Outcome::Warn, None) => ("WARN", YELLOW),
            (Outcome::Pass, None) => ("pass", GREEN),
            (Outcome::Skipped(_), None) => ("skip", DIM),
        };
        let detailed = matches!(f.outcome, Outcome::Fail | Outcome::Warn);
        if !verbose && f.ignored.is_none() {
            match &f.outcome {
                Outcome::Skipped(why) => {
                    match skipped.iter_mut().find(|(w, _)| *w == why.as_str()) {
                        Some((_, ids)) => ids.push(f.rule.id),
                        None => skipped.push((why.as_str(), vec![f.rule.id])),
                    }
                    continue;
                }
                Outcome::Pass => {
                    passed.push(f.rule.id);
                    continue;
                }
                Outcome::Fail | Outcome::Warn => {}
            }
        }
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
        if verbose && f.outcome == Outcome::Pass && !f.found.is_empty() {
            let _ = writeln!(out, "      found:    {}", f.found);
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
    for (why, ids) in skipped {
        let rules = if ids.len() == 1 { "rule" } else { "rules" };
        let _ = writeln!(
            out,
            "{}  {} {rules} not checked ({}): {why}",
            paint(DIM, "skip"),
            ids.len(),
            ids.join(", ")
        );
    }
    if !passed.is_empty() {
        let _ = writeln!(
            out,
            "{}  {} ({}; --verbose says what each found)",
            paint(GREEN, "pass"),
            passed.join(", "),
            if passed.len() == 1 {
                "passed"
            } else {
                "all passed"
            }
        );
    }
}
