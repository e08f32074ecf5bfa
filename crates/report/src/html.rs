//! The HTML report: one self-contained page (inline CSS, no script, no image, no font, no
//! external asset of any kind), readable in any browser with JavaScript off, or mailed as an
//! attachment. It shows the verdict first, then each broken rule in full (its id linking to
//! the rule's documentation, its statement and level, what was found, what was expected,
//! where, the fix), the ignored rules with their reasons, the rules not checked with why, and
//! the passes. Several reports (`check dockerfile A B C`) get a summary table first (input,
//! verdict, failed rules), each row linking to the input's section. Inputs a run could not
//! check ([`render_run`]) are rows of that table too, NOT CHECKED with the reason, and a section
//! of their own before the reports; the page's verdict is then ERROR.
//!
//! Everything that comes from the input or the catalogue is escaped ([`crate::junit::escape`]:
//! `& < > " '`, and control characters replaced); the only links are the rules' documentation
//! and anchors within the page.

use std::fmt::Write;

use dockerflow_check::{Finding, Level, Outcome, Report, Verdict};

use crate::junit::escape;
use crate::{RenderOptions, Unchecked};

const STYLE: &str = "\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;\
max-width:60em;padding:0 1em;color:#1b1b1b;background:#fff}\
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}\
h3{font-size:1em;margin:0 0 .4em}\
code,.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\
.verdict{font-size:1.2em;font-weight:bold;padding:.5em .8em;border-radius:4px;color:#fff}\
.verdict.pass{background:#2e7d32}.verdict.fail,.verdict.error{background:#c62828}\
.finding{border-left:5px solid #999;padding:.5em .9em;margin:1em 0;background:#fafafa}\
.finding.fail{border-color:#c62828}.finding.warn{border-color:#ef6c00}\
.finding.ignored{border-color:#888}\
.tag{font-weight:bold;margin-right:.4em}.fail .tag{color:#c62828}.warn .tag{color:#ef6c00}\
.level{color:#555;font-weight:normal}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0}\
dt{font-weight:bold;color:#444}dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;\
border-bottom:1px solid #ddd;vertical-align:top}\
td.pass{color:#2e7d32;font-weight:bold}td.fail,td.error{color:#c62828;font-weight:bold}\
ul.rules{padding-left:1.2em}footer{margin-top:3em;color:#666;font-size:.85em}";

/// Renders one report as a page.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    render_all(std::slice::from_ref(report), options)
}

/// Renders several reports as one page: a summary table, then a section per report.
pub fn render_all(reports: &[Report], options: &RenderOptions) -> String {
    render_run(reports, &[], options)
}

/// [`render_all`] for a run that could not check `unchecked` inputs: they are rows of the
/// summary table and a section before the reports, and the page's verdict is ERROR.
pub fn render_run(reports: &[Report], unchecked: &[Unchecked], options: &RenderOptions) -> String {
    let failed = reports.iter().any(|r| r.verdict() == Verdict::Fail);
    let verdict = match (unchecked.is_empty(), failed) {
        (false, _) => "ERROR",
        (true, true) => "FAIL",
        (true, false) => "PASS",
    };
    let title = match (reports, unchecked) {
        ([one], []) => format!("dockerflow check {}: {verdict}", one.subject),
        ([], [one]) => format!("dockerflow check {}: {verdict}", one.name),
        _ => format!(
            "dockerflow check, {} inputs: {verdict}",
            reports.len() + unchecked.len()
        ),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    if reports.len() + unchecked.len() > 1 {
        summary_table(&mut out, reports, unchecked);
    }
    if !unchecked.is_empty() {
        not_checked(&mut out, unchecked);
    }
    for (i, r) in reports.iter().enumerate() {
        section(&mut out, i, r);
    }
    let _ = write!(
        out,
        "<footer>dockerflow {}; the contract and every rule: CONTRACT.md and docs/RULES.md in \
         the dockerflow repository.</footer>\n</body>\n</html>\n",
        escape(&options.tool_version)
    );
    out
}

fn summary_table(out: &mut String, reports: &[Report], unchecked: &[Unchecked]) {
    out.push_str(
        "<table class=\"summary\">\n<thead><tr><th>Input</th><th>Verdict</th>\
         <th>Failed rules</th></tr></thead>\n<tbody>\n",
    );
    for (i, r) in reports.iter().enumerate() {
        let (class, verdict) = verdict_of(r);
        let failed: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.outcome == Outcome::Fail && f.ignored.is_none())
            .map(|f| f.rule.id)
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#input-{i}\">{} {}</a></td><td class=\"{class}\">{verdict}</td>\
             <td class=\"id\">{}</td></tr>",
            escape(r.kind.as_str()),
            escape(&r.subject),
            if failed.is_empty() {
                "none".to_string()
            } else {
                failed.join(", ")
            }
        );
    }
    for (i, u) in unchecked.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#not-checked-{i}\">{} {}</a></td><td class=\"error\">NOT CHECKED</td>\
             <td>{}</td></tr>",
            escape(u.kind.as_str()),
            escape(&u.name),
            escape(&u.error)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The inputs that could not be checked, each with why.
fn not_checked(out: &mut String, unchecked: &[Unchecked]) {
    let _ = write!(
        out,
        "<section id=\"not-checked\">\n<h2>Not checked</h2>\n<p class=\"verdict error\">\
         {} could not be checked: no rule was judged on {}, so the run cannot pass</p>\n<ul>\n",
        match unchecked.len() {
            1 => "1 input".to_string(),
            n => format!("{n} inputs"),
        },
        if unchecked.len() == 1 { "it" } else { "them" }
    );
    for (i, u) in unchecked.iter().enumerate() {
        let _ = writeln!(
            out,
            "<li id=\"not-checked-{i}\">{} <code>{}</code>: {}</li>",
            escape(u.kind.as_str()),
            escape(&u.name),
            escape(&u.error)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn verdict_of(r: &Report) -> (&'static str, &'static str) {
    match r.verdict() {
        Verdict::Pass => ("pass", "PASS"),
        Verdict::Fail => ("fail", "FAIL"),
    }
}

fn section(out: &mut String, i: usize, r: &Report) {
    let (class, verdict) = verdict_of(r);
    let s = r.summary();
    let _ = write!(
        out,
        "<section id=\"input-{i}\">\n<h2>{} <code>{}</code> (profile {})</h2>\n\
         <p class=\"verdict {class}\">verdict: {verdict} ({} failed, {} warned, {} passed, {} \
         skipped, {} ignored)</p>\n",
        escape(r.kind.as_str()),
        escape(&r.subject),
        escape(&r.profile.to_string()),
        s.fail,
        s.warn,
        s.pass,
        s.skipped,
        s.ignored
    );
    let broken = |o: &Outcome| matches!(o, Outcome::Fail | Outcome::Warn);
    for f in r
        .findings
        .iter()
        .filter(|f| f.ignored.is_none() && f.outcome == Outcome::Fail)
        .chain(
            r.findings
                .iter()
                .filter(|f| f.ignored.is_none() && f.outcome == Outcome::Warn),
        )
        .chain(r.findings.iter().filter(|f| f.ignored.is_some()))
    {
        finding(out, r, f, broken(&f.outcome));
    }
    let skipped: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.ignored.is_none() && matches!(f.outcome, Outcome::Skipped(_)))
        .collect();
    if !skipped.is_empty() {
        out.push_str("<h3>Not checked</h3>\n<ul class=\"rules\">\n");
        for f in skipped {
            let Outcome::Skipped(why) = &f.outcome else {
                continue;
            };
            let _ = writeln!(
                out,
                "<li>{}: {}: {}</li>",
                rule_link(f),
                escape(f.rule.statement),
                escape(why)
            );
        }
        out.push_str("</ul>\n");
    }
    let passed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.ignored.is_none() && f.outcome == Outcome::Pass)
        .collect();
    if !passed.is_empty() {
        out.push_str("<h3>Passed</h3>\n<ul class=\"rules\">\n");
        for f in passed {
            let found = if f.found.is_empty() {
                String::new()
            } else {
                format!(" (found: {})", escape(&f.found))
            };
            let _ = writeln!(
                out,
                "<li>{}: {}{found}</li>",
                rule_link(f),
                escape(f.rule.statement)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn rule_link(f: &Finding) -> String {
    format!(
        "<a class=\"id\" href=\"{}\">{}</a>",
        escape(&f.rule.help_uri()),
        escape(f.rule.id)
    )
}

fn finding(out: &mut String, r: &Report, f: &Finding, detailed: bool) {
    let (class, tag) = match (&f.outcome, &f.ignored) {
        (_, Some(_)) => ("ignored", "IGNORED"),
        (Outcome::Fail, None) => ("fail", "FAIL"),
        _ => ("warn", "WARN"),
    };
    // A MUST rule that warns was accepted by the profile's reading (mozcloud).
    let level = if f.outcome == Outcome::Warn && f.rule.level == Level::Must {
        format!("MUST, accepted by profile {}", r.profile)
    } else {
        f.rule.level.as_str().to_string()
    };
    let _ = write!(
        out,
        "<article class=\"finding {class}\">\n<h3><span class=\"tag\">{tag}</span>{} {} \
         <span class=\"level\">[{}]</span></h3>\n<dl>\n",
        rule_link(f),
        escape(f.rule.statement),
        escape(&level)
    );
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{}</dd>", escape(value));
    };
    if let Some(reason) = &f.ignored {
        row("Ignored", reason);
    }
    if let Outcome::Skipped(why) = &f.outcome {
        row("Not checked", why);
    }
    if detailed || !f.found.is_empty() {
        row("Found", &f.found);
    }
    if detailed {
        row("Expected", &f.expected);
        if !f.location.is_empty() {
            row("Where", &f.location.to_string());
        }
        row("Fix", f.rule.fix);
    }
    let _ = writeln!(
        out,
        "<dt>Rule</dt><dd><a href=\"{}\">{}</a></dd>\n</dl>\n</article>",
        escape(&f.rule.help_uri()),
        escape(&f.rule.help_uri())
    );
}
