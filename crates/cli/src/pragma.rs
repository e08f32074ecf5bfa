//! Inline ignores in a Dockerfile, as hadolint's pragma: a comment
//! `# dockerflow ignore=DF303[,DF302] REASON` on the line before an instruction ignores those
//! rules' findings at that instruction (a finding about something missing points at the
//! stage's `FROM`, so the pragma goes above it). The reason is required, as for `--ignore`;
//! the report shows the finding as IGNORED with it.

use dockerflow_check::{Ignores, Outcome, Report};

use crate::fatal::{refused, Fatal};

/// One pragma: its rules and reason (read as every inline ignore is, by
/// `Ignores::add_inline`), and the line of the instruction it applies to.
#[derive(Debug)]
struct Pragma {
    ignores: Ignores,
    /// The instruction's line.
    line: u32,
    /// The pragma's own line.
    at: u32,
}

/// The pragmas of `text` (the Dockerfile `name`); a pragma without a reason or with an
/// unknown rule is an error at its line.
fn parse(name: &str, text: &str) -> Result<Vec<Pragma>, Fatal> {
    let mut pragmas = Vec::new();
    let mut pending: Vec<(Ignores, u32)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some(comment) = trimmed.strip_prefix('#') else {
            // The instruction the pending pragmas apply to.
            for (ignores, at) in pending.drain(..) {
                pragmas.push(Pragma {
                    ignores,
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
        let origin = format!("{name}:{line_no}");
        let mut ignores = Ignores::default();
        // The rule ids are checked first (with a stand-in reason when there is none), so that
        // an unknown id is reported before a missing reason.
        ignores
            .add_inline(ids, if reason.is_empty() { "-" } else { reason }, &origin)
            .map_err(|e| refused(format!("{e} (in `# dockerflow ignore=`)")))?;
        if reason.is_empty() {
            return Err(refused(format!(
                "{origin}: `# dockerflow ignore={ids}` needs a reason; expected `# dockerflow ignore={ids} why it does not apply here`"
            )));
        }
        pending.push((ignores, line_no));
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
        if let Some((p, ignore)) = pragmas
            .iter()
            .filter(|p| p.line == line)
            .find_map(|p| Some((p, p.ignores.get(f.rule.id)?)))
        {
            f.ignored = Some(format!(
                "{} (# dockerflow ignore at line {})",
                ignore.reason, p.at
            ));
        }
    }
    Ok(())
}
