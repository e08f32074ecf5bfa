//! The embedded schemas and the section table against the files in the repository.

use dockerflow_contract::{Schema, SECTIONS};
use serde_json::json;

/// GitHub's heading anchor: lower case, characters other than letters, digits, `-`, `_` and
/// spaces dropped, spaces made hyphens.
fn github_slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_numbered_heading_of_contract_md_is_in_the_table_with_its_slug() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contract/CONTRACT.md");
    let text = std::fs::read_to_string(path).expect("contract/CONTRACT.md");
    let mut found = Vec::new();
    for line in text.lines() {
        let heading = line.trim_start_matches('#');
        if heading.len() == line.len() || !heading.starts_with(' ') {
            continue;
        }
        let heading = heading.trim();
        let number = heading
            .split(' ')
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        if number.starts_with(|c: char| c.is_ascii_digit()) {
            found.push((number.to_owned(), github_slug(heading)));
        }
    }
    let table: Vec<(String, String)> = SECTIONS
        .iter()
        .map(|(s, a)| ((*s).to_owned(), (*a).to_owned()))
        .collect();
    assert_eq!(
        found, table,
        "SECTIONS must list contract/CONTRACT.md's numbered headings"
    );
}

#[test]
fn the_slug_rule_matches_githubs_on_known_headings() {
    assert_eq!(github_slug("1.2 `/__version__`"), "12-__version__");
    assert_eq!(github_slug("A / B (c)"), "a--b-c");
}

#[test]
fn every_schema_parses_builds_and_has_its_url_in_the_repository_as_id() {
    for schema in Schema::ALL {
        let _ = schema.validator();
        assert_eq!(
            schema.id(),
            format!(
                "{}/raw/main/crates/contract/schemas/{}",
                env!("CARGO_PKG_REPOSITORY"),
                schema.file_name()
            )
        );
    }
}

#[test]
fn request_summary_refers_to_mozlog_through_the_registry() {
    let summary = json!({
        "Timestamp": 1, "Type": "request.summary", "Logger": "svc", "Hostname": "h",
        "EnvVersion": "2.0", "Severity": 6, "Pid": 1,
        "Fields": {"agent": "", "path": "/", "method": "GET", "code": 200, "errno": 0,
                   "lang": "", "t": 1, "rid": "r", "uid": ""}
    });
    assert_eq!(
        Schema::RequestSummary.errors(&summary),
        Vec::<String>::new()
    );
    // An envelope error only mozlog.schema.json knows about comes through the $ref.
    let mut broken = summary.clone();
    broken["EnvVersion"] = json!("1.0");
    let errors = Schema::RequestSummary.errors(&broken);
    assert!(
        errors.iter().any(|e| e.starts_with("/EnvVersion")),
        "{errors:?}"
    );
}

#[test]
fn errors_name_where_they_are() {
    let errors = Schema::Version.errors(&json!({
        "source": "s", "version": "", "commit": "xyz", "build": "b"
    }));
    assert!(
        errors.iter().any(|e| e.starts_with("/commit: ")),
        "{errors:?}"
    );
    let errors = Schema::Heartbeat.errors(&json!([]));
    assert!(
        !errors.is_empty() && !errors[0].starts_with('/'),
        "{errors:?}"
    );
}
