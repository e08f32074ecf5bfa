//! JUnit XML: one `<testsuite>` for the input, one `<testcase>` per rule (named by its id and
//! statement, `classname` `dockerflow.<input kind>`). A failed MUST rule is a `<failure>` of
//! type `MUST`; a broken SHOULD rule is a `<failure>` of type `warning` with a `warning:`
//! message (JUnit has no warnings, and CI dashboards show failures, not `<system-out>`; the
//! exit status and the `verdict` property still pass, as hadolint's JUnit counts warnings);
//! a skipped rule is `<skipped message="reason">`; an ignored rule is `<skipped>` with
//! `ignored: reason`. An input that could not be checked (see [`render_run`]) is a suite of
//! one `<testcase name="not checked">` with an `<error>` saying why, counted in `errors`.

use std::fmt::Write;

use dockerflow_check::{Finding, Outcome, Report};

use crate::{RenderOptions, Unchecked};

/// Escapes text for XML content and attribute values. Characters XML 1.0 cannot hold
/// (control characters other than tab, newline and carriage return) become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn details(f: &Finding) -> String {
    let mut s = format!("found: {}\nexpected: {}", f.found, f.expected);
    if !f.location.is_empty() {
        let _ = write!(s, "\nwhere: {}", f.location);
    }
    let _ = write!(s, "\nfix: {}\nsee: {}", f.rule.fix, f.rule.help_uri());
    s
}

/// Renders the JUnit XML report.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    render_all(std::slice::from_ref(report), options)
}

/// Renders one `<testsuites>` with a `<testsuite>` per report.
pub fn render_all(reports: &[Report], options: &RenderOptions) -> String {
    render_run(reports, &[], options)
}

/// [`render_all`], then a suite for each input that could not be checked: one testcase, `not
/// checked`, in error with the reason.
pub fn render_run(reports: &[Report], unchecked: &[Unchecked], _: &RenderOptions) -> String {
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    let mut suites = String::new();
    for r in reports {
        let (t, f, s) = counts(r);
        tests += t;
        failures += f;
        skipped += s;
        suite(&mut suites, r);
    }
    for u in unchecked {
        tests += 1;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    \
             <testcase classname=\"dockerflow.{}\" name=\"not checked\">\n      \
             <error message=\"{}\" type=\"not checked\">{}</error>\n    </testcase>\n  </testsuite>",
            escape(&format!("dockerflow check {} {}", u.kind.as_str(), u.name)),
            u.kind.as_str(),
            escape(&u.error),
            escape(&u.error)
        );
    }
    let errors = unchecked.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"dockerflow check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">"
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

/// Tests, failures and skipped tests of a report.
fn counts(report: &Report) -> (usize, usize, usize) {
    let s = report.summary();
    (
        report.findings.len(),
        s.fail + s.warn,
        s.skipped + s.ignored,
    )
}

fn suite(out: &mut String, report: &Report) {
    let (tests, failures, skipped) = counts(report);
    let name = escape(&format!(
        "dockerflow check {} {}",
        report.kind.as_str(),
        report.subject
    ));
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">"
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"profile\" value=\"{}\"/>\n      <property name=\"verdict\" value=\"{}\"/>\n    </properties>",
        report.profile,
        report.verdict().as_str()
    );
    for f in &report.findings {
        let _ = write!(
            out,
            "    <testcase classname=\"dockerflow.{}\" name=\"{}\"",
            report.kind.as_str(),
            escape(&format!("{} {}", f.rule.id, f.rule.statement))
        );
        if let Some(reason) = &f.ignored {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>",
                escape(&format!("ignored: {reason}")),
                escape(&format!("{}: {}", f.outcome.as_str(), details(f)))
            );
            continue;
        }
        match &f.outcome {
            Outcome::Pass => out.push_str("/>\n"),
            Outcome::Fail => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    escape(&f.found),
                    f.rule.level.as_str(),
                    escape(&details(f))
                );
            }
            Outcome::Warn => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"warning\">{}</failure>\n    </testcase>",
                    escape(&format!("warning: {}", f.found)),
                    escape(&format!("warning: {}", details(f)))
                );
            }
            Outcome::Skipped(why) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(why)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n");
}
