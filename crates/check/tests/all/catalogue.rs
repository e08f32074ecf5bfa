//! The catalogue itself: ids, words, and that every rule has a failing fixture.

use std::collections::BTreeSet;

use dockerflow_check::{rule, Level, RULES};

#[test]
fn ids_are_unique_sorted_and_well_formed() {
    let mut seen = BTreeSet::new();
    for r in RULES {
        assert!(seen.insert(r.id), "duplicate {}", r.id);
        let b = r.id.as_bytes();
        assert!(
            r.id.len() == 5 && r.id.starts_with("DF") && b[2..].iter().all(u8::is_ascii_digit),
            "{}",
            r.id
        );
        assert!((1..=8).contains(&r.area()), "{}", r.id);
        assert_eq!(r.is_runtime(), (6..=7).contains(&r.area()), "{}", r.id);
        assert_eq!(r.judges_manifests(), r.area() == 8, "{}", r.id);
        assert!(
            !r.statement.ends_with('.'),
            "{}: statements are one line without a period",
            r.id
        );
        assert!(
            !r.why.is_empty() && !r.fix.is_empty() && r.source.contains("CONTRACT.md"),
            "{}",
            r.id
        );
        let sections = r.contract_sections();
        assert!(!sections.is_empty(), "{} cites no contract section", r.id);
        for (section, url) in sections {
            assert!(
                url.is_some(),
                "{} cites CONTRACT.md §{section}, which the contract does not have",
                r.id
            );
        }
        assert!(!r.profiles.is_empty(), "{}", r.id);
        assert_eq!(rule(&r.id.to_ascii_lowercase()).map(|x| x.id), Some(r.id));
    }
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert!(RULES.iter().any(|r| r.level == Level::Must));
}

#[test]
fn every_rule_has_a_failing_fixture() {
    let listed: BTreeSet<&str> = crate::BROKEN_FIXTURES.iter().map(|(id, _)| *id).collect();
    for r in RULES {
        assert!(
            listed.contains(r.id),
            "{} has no failing fixture test listed in BROKEN_FIXTURES",
            r.id
        );
    }
    for id in &listed {
        assert!(rule(id).is_some(), "BROKEN_FIXTURES lists unknown {id}");
    }
}

#[test]
fn rules_md_is_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/RULES.md");
    let want = dockerflow_check::rules_markdown();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &want).expect("write docs/RULES.md");
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/RULES.md is stale; regenerate it with UPDATE_EXPECT=1 cargo test -p dockerflow-check --test all rules_md"
    );
}
