//! `docs/RULES.md`, generated from the catalogue so the words exist once.

use std::fmt::Write;

use crate::catalogue::RULES;
use crate::rule::{Profile, Rule};

/// Renders `docs/RULES.md`: a table of every rule, then one section per rule (anchored by
/// its lower-case id, which SARIF's `helpUri` links to).
pub fn rules_markdown() -> String {
    let mut s = String::new();
    s.push_str("# Dockerflow conformance rules\n\n");
    s.push_str(
        "<!-- Generated from `RULES` in crates/check/src/catalogue.rs; do not edit. \
         Regenerate with `UPDATE_EXPECT=1 cargo test -p dockerflow-check --test all rules_md`. -->\n\n",
    );
    s.push_str(
        "`dockerflow check` judges each rule as pass, fail (a MUST rule broken), warn (a SHOULD \
         rule broken, or a profile's relaxation) or skipped (the input cannot show it; the \
         reason is given). The verdict fails when any MUST rule fails. Each rule cites the \
         sections of [the contract](../contract/CONTRACT.md) it comes from. Profiles: `strict` \
         (the contract as written, the default) and `mozcloud` (what Mozilla's current images \
         do). Ignore a rule with `--ignore ID=REASON` or a line `ID REASON` in \
         `.dockerflow-check`; a reason is required.\n\n",
    );
    s.push_str("| id | level | `strict` | `mozcloud` | statement |\n|---|---|---|---|---|\n");
    for r in RULES {
        let _ = writeln!(
            s,
            "| [{}](#{}) | {} | {} | {} | {} |",
            r.id,
            r.id.to_ascii_lowercase(),
            r.level.as_str(),
            judged(r, Profile::Strict),
            judged(r, Profile::Mozcloud),
            r.statement
        );
    }
    for r in RULES {
        let _ = write!(
            s,
            "\n## {}\n\n**{}** ({}). {}\n\n- Why: {}\n- Fix: {}\n",
            r.id,
            r.statement,
            r.level.as_str(),
            match r.level {
                crate::Level::Must => "Broken fails the check.",
                crate::Level::Should => "Broken warns.",
            },
            link_sections(r.why),
            r.fix
        );
        for p in Profile::ALL {
            let _ = writeln!(s, "- Profile `{p}`: {}.", judged(r, *p));
        }
        let _ = writeln!(
            s,
            "- Profiles: {}\n- Source: {}\n- Since: {}, {}",
            profiles(r.profiles),
            link_sections(r.source),
            r.since,
            r.status.as_str()
        );
    }
    s
}

/// `text` with each `§N` it cites made a link to that heading of `contract/CONTRACT.md`
/// (relative to `docs/`, so it works in a clone and on the forge alike).
fn link_sections(text: &str) -> String {
    let mut out = String::new();
    let mut parts = text.split('§');
    out.push_str(parts.next().unwrap_or_default());
    for part in parts {
        let cited = format!("§{part}");
        let section = crate::rule::contract_sections(&cited)
            .first()
            .map_or(0, |s| s.len());
        let section = &part[..section];
        match dockerflow_contract::section_anchor(section) {
            Some(anchor) => {
                let _ = write!(out, "[§{section}](../contract/CONTRACT.md#{anchor})");
                out.push_str(&part[section.len()..]);
            }
            None => {
                out.push('§');
                out.push_str(part);
            }
        }
    }
    out
}

/// How `profile` judges the rule: not run, as its level says, or the profile's relaxation.
fn judged(r: &Rule, profile: Profile) -> String {
    if !r.profiles.contains(&profile) {
        return "not run".to_string();
    }
    let plain = match r.level {
        crate::Level::Must => "broken fails",
        crate::Level::Should => "broken warns",
    };
    match (profile, r.mozcloud) {
        (Profile::Mozcloud, Some(m)) => format!("{plain}, except: {m}"),
        _ => plain.to_string(),
    }
}

fn profiles(p: &[Profile]) -> String {
    p.iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
