//! The pattern set: `tests/patterns/*.Dockerfile`, each a pattern seen in real Dockerfiles
//! (written here), with its expected outcome per rule in its header comment:
//!
//! ```text
//! # strict: fail DF101=fail DF202=pass
//! # mozcloud: fail DF101=fail
//! ```
//!
//! The verdict and the outcome of every named rule are asserted, for each profile named.

use std::path::Path;

use dockerflow_check::{check_dockerfile, DockerfileModel, Options, Profile, Verdict};

use crate::{matches, Expect};

fn expect(word: &str, what: &str) -> Expect {
    match word {
        "pass" => Expect::Pass,
        "fail" => Expect::Fail,
        "warn" => Expect::Warn,
        "skipped" => Expect::Skipped,
        other => panic!("{what}: unknown outcome {other:?}"),
    }
}

/// One `# profile: verdict RULE=outcome ...` line.
struct Expectation {
    profile: Profile,
    verdict: Verdict,
    rules: Vec<(String, Expect)>,
}

fn expectations(src: &str, what: &str) -> Vec<Expectation> {
    let mut out = Vec::new();
    for line in src.lines().take_while(|l| l.starts_with('#')) {
        let Some((name, rest)) = line.trim_start_matches('#').trim().split_once(':') else {
            continue;
        };
        let Some(profile) = Profile::parse(name) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let verdict = match words.next() {
            Some("pass") => Verdict::Pass,
            Some("fail") => Verdict::Fail,
            other => panic!("{what}: {name}: expected a verdict, found {other:?}"),
        };
        let rules = words
            .map(|w| {
                let (id, outcome) = w
                    .split_once('=')
                    .unwrap_or_else(|| panic!("{what}: {w:?} is not RULE=outcome"));
                (id.to_string(), expect(outcome, what))
            })
            .collect();
        out.push(Expectation {
            profile,
            verdict,
            rules,
        });
    }
    assert!(!out.is_empty(), "{what}: no `# strict:` expectation line");
    out
}

/// Judges one pattern file; returns how many rule outcomes it asserted.
pub(crate) fn check_pattern(path: &Path) -> usize {
    let what = path.display().to_string();
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (model, _) = DockerfileModel::parse(&what, &src, None, &[]).expect("a stage");
    let mut asserted = 0;
    for e in expectations(&src, &what) {
        let options = Options {
            profile: e.profile,
            ..Options::default()
        };
        let report = check_dockerfile(&model, &options);
        for (id, want) in &e.rules {
            let f = report
                .finding(id)
                .unwrap_or_else(|| panic!("{what}: no finding for {id}"));
            assert!(
                matches(&f.outcome, *want),
                "{what} ({}): {id} expected {want:?}, got {:?}\n  found: {}\n  expected: {}",
                e.profile,
                f.outcome,
                f.found,
                f.expected
            );
            asserted += 1;
        }
        let failing: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.fails())
            .map(|f| f.rule.id)
            .collect();
        assert_eq!(
            report.verdict(),
            e.verdict,
            "{what} ({}): verdict; failing: {failing:?}",
            e.profile
        );
    }
    asserted
}

#[test]
fn every_pattern_has_its_expected_outcomes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/patterns");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/patterns")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the pattern set is there");
    for f in files {
        assert!(check_pattern(&f) > 0, "{}: no rule named", f.display());
    }
}
