//! The text report says what matters: failures, warnings and ignored rules in full, skipped
//! rules one line per reason, passes one line (each with `--verbose`), the verdict only with
//! `--quiet`; `check logs` summarises a flood of bad lines.

use dockerflow_testkit::TempDir;

use crate::{code, dockerflow, stderr, stdout, GOOD_DOCKERFILE, ROOT_DOCKERFILE};

#[test]
fn skips_collapse_passes_need_verbose_and_quiet_is_the_verdict() {
    let tmp = TempDir::new("reports");
    std::fs::write(tmp.path().join("Dockerfile"), GOOD_DOCKERFILE).expect("write");
    let o = dockerflow(&["check", "dockerfile", "Dockerfile"], tmp.path());
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(
        text.contains("18 rules not checked (DF601, DF602,")
            && text.contains(
                "a runtime rule: build the image and run it with `check image REF --run`"
            ),
        "{text}"
    );
    assert!(!text.contains("skip  DF601"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("pass  ")).count(),
        1,
        "{text}"
    );
    assert!(text.lines().count() < 20, "{text}");
    let o = dockerflow(
        &["check", "dockerfile", "Dockerfile", "--verbose"],
        tmp.path(),
    );
    let verbose = stdout(&o);
    assert!(
        verbose.contains("skip  DF601") && verbose.contains("pass  DF203"),
        "{verbose}"
    );
    assert!(
        verbose.contains("      found:    "),
        "a pass says what it found: {verbose}"
    );
    let o = dockerflow(&["check", "-q", "dockerfile", "Dockerfile"], tmp.path());
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        "Dockerfile: verdict: PASS (0 failed, 0 warned, 12 passed, 25 skipped, 0 ignored)\n"
    );
    let e = crate::error_line(&dockerflow(
        &["check", "dockerfile", "Dockerfile", "-q", "-v"],
        tmp.path(),
    ));
    assert!(e.contains("cannot be used with"), "{e}");
}

#[test]
fn an_ignored_rule_is_ignored_not_failed() {
    let tmp = TempDir::new("reports");
    std::fs::write(tmp.path().join("Dockerfile"), ROOT_DOCKERFILE).expect("write");
    // `COPY . .` into /app brings the context's version.json (DF401).
    std::fs::write(tmp.path().join("version.json"), "{}").expect("write");
    let o = dockerflow(
        &[
            "check",
            "dockerfile",
            "Dockerfile",
            "--ignore",
            "DF203=runs in a sandbox",
            "--ignore",
            "DF301=one binary",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("IGNORED  DF203"), "{text}");
    assert!(!text.contains("FAIL  DF203"), "{text}");
    assert!(text.contains("ignored:  runs in a sandbox"), "{text}");
}

#[test]
fn check_logs_summarises_many_bad_lines() {
    let tmp = TempDir::new("reports");
    std::fs::write(tmp.path().join("app.log"), "not json\n".repeat(100_000)).expect("write");
    let o = dockerflow(&["check", "logs", "app.log"], tmp.path());
    assert_eq!(code(&o), 0, "a SHOULD: warns");
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 11, "{}", &e[..e.len().min(2000)]);
    assert!(e.contains("app.log:1: not mozlog: not JSON"), "{e}");
    assert!(
        e.ends_with(
            "dockerflow: app.log: 99990 more lines are not mozlog (the first 10 are above)\n"
        ),
        "{e}"
    );
}

#[test]
fn junit_shows_a_warning_as_a_failure_of_type_warning() {
    let tmp = TempDir::new("reports");
    // DF303 is a SHOULD: no ENV PORT warns.
    let warns = GOOD_DOCKERFILE.replace("ENV PORT=8000", "ENV PORT_NUMBER=8000");
    std::fs::write(tmp.path().join("Dockerfile"), warns).expect("write");
    let o = dockerflow(
        &["check", "dockerfile", "Dockerfile", "--format", "junit"],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "a warning does not fail the check");
    let xml = stdout(&o);
    assert!(
        xml.contains("<failure message=\"warning: ") && xml.contains("type=\"warning\""),
        "{xml}"
    );
    assert!(
        xml.contains("<property name=\"verdict\" value=\"pass\"/>"),
        "{xml}"
    );
}

#[test]
fn an_inline_pragma_ignores_a_rule_at_its_instruction_with_a_reason() {
    let tmp = TempDir::new("reports");
    // DF203 (no USER) and DF301 (no ENTRYPOINT or CMD) are about something missing: they
    // point at the FROM, so the pragma goes above it.
    let text = "# syntax=docker/dockerfile:1\n\
                # dockerflow ignore=DF203,DF301 runs in a sandbox as root\n\
                FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\n";
    std::fs::write(tmp.path().join("Dockerfile"), text).expect("write");
    let o = dockerflow(&["check", "dockerfile", "Dockerfile"], tmp.path());
    let out = stdout(&o);
    assert!(out.contains("IGNORED  DF203"), "{out}");
    assert!(
        out.contains("ignored:  runs in a sandbox as root (# dockerflow ignore at line 2)"),
        "{out}"
    );
    assert!(!out.contains("FAIL  DF203"), "{out}");
    // The pragma covers the FROM only: a later instruction's finding stays.
    let text = "FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nUSER app\n\
                # dockerflow ignore=DF302 shell form on purpose\nENTRYPOINT /app/server\n\
                CMD serve\n";
    std::fs::write(tmp.path().join("Dockerfile"), text).expect("write");
    let o = dockerflow(
        &["check", "dockerfile", "Dockerfile", "--format", "json"],
        tmp.path(),
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let df302 = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "DF302")
        .expect("DF302")
        .clone();
    assert_eq!(df302["outcome"], "warn", "{df302}");
    // DF302 points at the ENTRYPOINT (line 6), below the pragma.
    assert_eq!(df302["location"]["line"], 6, "{df302}");
    assert_eq!(
        df302["ignored"], "shell form on purpose (# dockerflow ignore at line 5)",
        "{df302}"
    );
    // Above another instruction, the pragma does not reach it.
    std::fs::write(
        tmp.path().join("Dockerfile"),
        text.replace(
            "# dockerflow ignore=DF302 shell form on purpose\nENTRYPOINT /app/server\n",
            "ENTRYPOINT /app/server\n# dockerflow ignore=DF302 shell form on purpose\n",
        ),
    )
    .expect("write");
    let o = dockerflow(&["check", "dockerfile", "Dockerfile"], tmp.path());
    assert!(stdout(&o).contains("WARN  DF302"), "{}", stdout(&o));
    // The reason is required; an unknown rule is refused.
    for (pragma, want) in [
        (
            "# dockerflow ignore=DF203",
            "Dockerfile:1: `# dockerflow ignore=DF203` needs a reason",
        ),
        (
            "# dockerflow ignore=DF999 why",
            "Dockerfile:1: unknown rule id \"DF999\"",
        ),
        // Both wrong: the rule first, so that adding a reason is not wasted work.
        (
            "# dockerflow ignore=DF999",
            "Dockerfile:1: unknown rule id \"DF999\"",
        ),
        ("# dockerflow ignore=", "Dockerfile:1: no rule id"),
    ] {
        std::fs::write(
            tmp.path().join("Dockerfile"),
            format!("{pragma}\n{GOOD_DOCKERFILE}"),
        )
        .expect("write");
        let e = crate::error_line(&dockerflow(
            &["check", "dockerfile", "Dockerfile"],
            tmp.path(),
        ));
        assert!(e.contains(want), "{e}");
    }
}
