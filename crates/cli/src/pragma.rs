//! Inline ignores in a Dockerfile, as hadolint's pragma: a comment
//! `# dockerflow ignore=DF303[,DF302] REASON` on the line before an instruction ignores those
//! rules' findings at that instruction (a finding about something missing points at the
//! stage's `FROM`, so the pragma goes above it). The reason is required, as for `--ignore`;
//! the report shows the finding as IGNORED with it.

use dockerflow_check::{Outcome, Report, RULES};

use crate::fatal::{refused, Fatal};

/// One pragma: the rules, the reason, and the line of the instruction it applies to.
#[derive(Debug)]
struct Pragma {
    rules: Vec<&'static str>,
    reason: String,
    /// The instruction's line.
    line: u32,
    /// The pragma's own line.
    at: u32,
}

/// The pragmas of `text` (the Dockerfile `name`); a pragma without a reason or with an
/// unknown rule is an error at its line.
fn parse(name: &str, text: &str) -> Result<Vec<Pragma>, Fatal> {
    let mut pragmas = Vec::new();
    let mut pending: Vec<(Vec<&'static str>, String, u32)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some(comment) = trimmed.strip_prefix('#') else {
            // The instruction the pending pragmas apply to.
            for (rules, reason, at) in pending.drain(..) {
                pragmas.push(Pragma {
                    rules,
                    reason,
                    line: line_no,
                    at,
                });
            }
            continue;
        };
        let Some(rest) = comment
            .trim_start()
            .strip_prefix("dockerflow")
            .and_then(|r| r.trim_start().strip_prefix("ignore="))
        else {
            continue;
        };
        let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let reason = reason.trim();
        let mut rules = Vec::new();
        for id in ids.split(',').filter(|id| !id.is_empty()) {
            let rule = RULES
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| {
                    refused(format!(
                        "{name}:{line_no}: unknown rule id {id:?} in `# dockerflow ignore=`; expected one of {}",
                        RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
                    ))
                })?;
            rules.push(rule.id);
        }
        if rules.is_empty() || reason.is_empty() {
            return Err(refused(format!(
                "{name}:{line_no}: `# dockerflow ignore={ids}` needs a reason; expected `# dockerflow ignore={} why it does not apply here`",
                if ids.is_empty() { "DF303" } else { ids }
            )));
        }
        pending.push((rules, reason.to_string(), line_no));
    }
    Ok(pragmas)
}

/// Marks the findings the pragmas of `text` ignore.
pub(crate) fn apply(name: &str, text: &str, report: &mut Report) -> Result<(), Fatal> {
    let pragmas = parse(name, text)?;
    for f in &mut report.findings {
        if !matches!(f.outcome, Outcome::Fail | Outcome::Warn) || f.ignored.is_some() {
            continue;
        }
        let Some(line) = f.location.line else {
            continue;
        };
        if let Some(p) = pragmas
            .iter()
            .find(|p| p.line == line && p.rules.contains(&f.rule.id))
        {
            f.ignored = Some(format!(
                "{} (# dockerflow ignore at line {})",
                p.reason, p.at
            ));
        }
    }
    Ok(())
}
