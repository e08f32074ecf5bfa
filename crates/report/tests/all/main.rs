//! dockerflow-report's tests: each format parses and says what the findings say.

use dockerflow_check::{
    check_dockerfile, rule, DockerfileModel, Finding, InputKind, Location, Options, Outcome,
    Profile, Report, RULES,
};
use dockerflow_report::{junit, render, Detail, Format, RenderOptions};
use serde_json::{json, Value};

mod html;

const ZERO2PROD_LIKE: &str = "FROM debian:bookworm-slim AS runtime\nWORKDIR /app\nCOPY target/release/ .\nENV API_TOKEN=s3cr3t\nENTRYPOINT [\"./server\"]\n";

fn dockerfile_report() -> Report {
    let (m, _) =
        DockerfileModel::parse("ops/Dockerfile", ZERO2PROD_LIKE, None, &[]).expect("stage");
    let mut options = Options::default();
    options
        .ignores
        .add_flag("DF303=the chart sets PORT")
        .expect("ignore");
    check_dockerfile(&m, &options)
}

fn finding(
    id: &str,
    outcome: Outcome,
    found: &str,
    location: Location,
    ignored: Option<&str>,
) -> Finding {
    Finding {
        rule: rule(id).expect("rule"),
        outcome,
        found: found.to_string(),
        expected: "the expected <thing> & more".to_string(),
        location,
        ignored: ignored.map(str::to_string),
    }
}

/// A small hand-made image report covering every outcome and location shape.
fn image_report() -> Report {
    Report {
        kind: InputKind::Image,
        subject: "oci:/tmp/img".to_string(),
        profile: Profile::Strict,
        findings: vec![
            finding(
                "DF101",
                Outcome::Pass,
                "/app holds 2 entries",
                Location::file("/app", Some(1)),
                None,
            ),
            finding(
                "DF203",
                Outcome::Fail,
                "User \"root\" is root (uid 0)",
                Location::field("User"),
                None,
            ),
            finding(
                "DF303",
                Outcome::Warn,
                "ENV PORT is not set",
                Location::field("Env, ExposedPorts"),
                Some("set by the chart"),
            ),
            finding(
                "DF401",
                Outcome::Skipped("no file\u{1}here".into()),
                "",
                Location::default(),
                None,
            ),
        ],
    }
}

fn options() -> RenderOptions {
    RenderOptions {
        color: false,
        tool_version: "9.9.9".into(),
        source_root: Some("file:///src/".into()),
        detail: Detail::Normal,
    }
}

#[test]
fn json_schema_is_pinned() {
    let v: Value =
        serde_json::from_str(&render(Format::Json, &image_report(), &options())).expect("json");
    let expected = json!({
        "schema_version": 1,
        "tool": {"name": "dockerflow", "version": "9.9.9"},
        "input": {"kind": "image", "name": "oci:/tmp/img"},
        "profile": "strict",
        "verdict": "fail",
        "summary": {"pass": 1, "fail": 1, "warn": 0, "skipped": 1, "ignored": 1},
        "findings": [
            {"rule": "DF101", "level": "must", "statement": "The application's sources are under /app",
             "outcome": "pass", "reason": null, "found": "/app holds 2 entries",
             "expected": "the expected <thing> & more",
             "location": {"path": "/app", "layer": 1, "line": null, "field": null},
             "ignored": null, "help_uri": "https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md#df101"},
            {"rule": "DF203", "level": "must", "statement": rule("DF203").expect("r").statement,
             "outcome": "fail", "reason": null, "found": "User \"root\" is root (uid 0)",
             "expected": "the expected <thing> & more",
             "location": {"path": null, "layer": null, "line": null, "field": "User"},
             "ignored": null, "help_uri": "https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md#df203"},
            {"rule": "DF303", "level": "should", "statement": rule("DF303").expect("r").statement,
             "outcome": "warn", "reason": null, "found": "ENV PORT is not set",
             "expected": "the expected <thing> & more",
             "location": {"path": null, "layer": null, "line": null, "field": "Env, ExposedPorts"},
             "ignored": "set by the chart", "help_uri": "https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md#df303"},
            {"rule": "DF401", "level": "must", "statement": rule("DF401").expect("r").statement,
             "outcome": "skipped", "reason": "no file\u{1}here", "found": "",
             "expected": "the expected <thing> & more",
             "location": {"path": null, "layer": null, "line": null, "field": null},
             "ignored": null, "help_uri": "https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md#df401"}
        ]
    });
    assert_eq!(v, expected);
}

fn assert_valid_report(v: &Value) {
    let schema: Value = serde_json::from_str(dockerflow_report::json::SCHEMA).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{v:#}");
}

#[test]
fn json_validates_against_its_schema() {
    for report in [image_report(), dockerfile_report()] {
        let v: Value =
            serde_json::from_str(&render(Format::Json, &report, &options())).expect("json");
        assert_valid_report(&v);
    }
    let mut broken: Value =
        serde_json::from_str(&render(Format::Json, &image_report(), &options())).expect("json");
    broken["findings"][0]["outcome"] = json!("maybe");
    let schema: Value = serde_json::from_str(dockerflow_report::json::SCHEMA).expect("schema");
    assert!(
        !jsonschema::is_valid(&schema, &broken),
        "the schema rejects unknown outcomes"
    );
}

#[test]
fn json_of_a_dockerfile_check() {
    let r = dockerfile_report();
    let v: Value = serde_json::from_str(&render(Format::Json, &r, &options())).expect("json");
    assert_eq!(v["verdict"], "fail");
    assert_eq!(
        v["input"],
        json!({"kind": "dockerfile", "name": "ops/Dockerfile"})
    );
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), container_rules());
    let df301 = findings
        .iter()
        .find(|f| f["rule"] == "DF301")
        .expect("DF301");
    assert_eq!(df301["location"]["line"], 5);
    assert_eq!(df301["location"]["path"], "ops/Dockerfile");
    let df303 = findings
        .iter()
        .find(|f| f["rule"] == "DF303")
        .expect("DF303");
    assert_eq!(df303["ignored"], "the chart sets PORT");
    assert!(!v.to_string().contains("s3cr3t"), "secret value leaked");
}

/// A small well-formedness check: tags balance, attributes are quoted, `&` starts an entity,
/// no raw control characters.
fn assert_well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    let mut roots = 0;
    while let Some(start) = rest.find('<') {
        check_text(&rest[..start]);
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect();
            assert!(!name.is_empty(), "empty tag name");
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{tag}>"
            );
            check_text(tag);
            if stack.is_empty() {
                roots += 1;
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(
        rest.trim().is_empty() && stack.is_empty(),
        "unclosed: {stack:?}"
    );
    assert_eq!(roots, 1, "one root element");
}

fn check_text(s: &str) {
    for (i, _) in s.match_indices('&') {
        let ent = &s[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#10;", "&#13;", "&#9;"]
                .iter()
                .any(|e| ent.starts_with(e)),
            "bare & in {s:?}"
        );
    }
    assert!(
        !s.chars().any(|c| (c as u32) < 0x20 && c != '\n'),
        "control character in {s:?}"
    );
}

#[test]
fn junit_is_well_formed_with_one_testcase_per_rule() {
    let xml = render(Format::Junit, &dockerfile_report(), &options());
    assert_well_formed(&xml);
    assert_eq!(xml.matches("<testcase ").count(), container_rules());
    assert!(
        xml.contains(&format!(
            "<testsuites name=\"dockerflow check\" tests=\"{}\" failures=\"3\"",
            container_rules()
        )),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"DF203 The image runs as uid 10001"),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"no USER"), "{xml}");
    assert_eq!(xml.matches("type=\"warning\"").count(), 0, "{xml}");
    assert!(
        xml.contains("<skipped message=\"ignored: the chart sets PORT\"/>"),
        "{xml}"
    );
    assert!(!xml.contains("s3cr3t"));
    let xml = render(Format::Junit, &image_report(), &options());
    assert_well_formed(&xml);
    // A warning is where CI dashboards look: a failure of type warning (once not ignored).
    assert_eq!(xml.matches("type=\"warning\"").count(), 0, "{xml}");
    let mut warned = image_report();
    for f in &mut warned.findings {
        f.ignored = None;
    }
    let warned = render(Format::Junit, &warned, &options());
    assert_eq!(warned.matches("type=\"warning\"").count(), 1, "{warned}");
    assert!(warned.contains("<failure message=\"warning: "), "{warned}");
    assert!(xml.contains("&lt;thing&gt; &amp; more"), "{xml}");
    assert!(
        xml.contains("<skipped message=\"no file\u{FFFD}here\"/>"),
        "{xml}"
    );
}

#[test]
fn xml_escape() {
    assert_eq!(
        junit::escape("a<b>&\"c'\n\u{7}"),
        "a&lt;b&gt;&amp;&quot;c&apos;&#10;\u{FFFD}"
    );
}

#[test]
fn sarif_has_the_catalogue_and_results() {
    let v: Value = serde_json::from_str(&render(Format::Sarif, &dockerfile_report(), &options()))
        .expect("json");
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "dockerflow");
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, RULES.iter().map(|r| r.id).collect::<Vec<_>>());
    for (r, c) in rules.iter().zip(RULES) {
        assert_eq!(r["shortDescription"]["text"], c.statement);
        assert_eq!(r["fullDescription"]["text"], c.why);
        assert_eq!(r["helpUri"], c.help_uri());
        assert!(
            r["helpUri"].as_str().is_some_and(|u| u.starts_with(
                "https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md#df"
            )),
            "{r}"
        );
        // The help names the contract section's URL, so a reader of the alert can follow it.
        let help = r["help"]["text"].as_str().expect("help text");
        assert!(
            help.contains(
                "https://github.com/dockerflow-rs/dockerflow/blob/main/contract/CONTRACT.md#"
            ),
            "{help}"
        );
        let level = r["defaultConfiguration"]["level"].as_str().expect("level");
        assert!(level == "error" || level == "warning");
    }
    let results = run["results"].as_array().expect("results");
    let broken: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(
        broken,
        ["DF203", "DF301", "DF303", "DF501"],
        "fails and warnings only"
    );
    assert_eq!(run["properties"]["outcomes"]["DF101"], "pass");
    assert!(run["properties"]["outcomes"]["DF401"]
        .as_str()
        .is_some_and(|s| s.starts_with("skipped: ")));
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], id);
        assert!(r["message"]["text"].is_string());
        let (kind, level) = (
            r["kind"].as_str().expect("kind"),
            r["level"].as_str().expect("level"),
        );
        assert!(
            matches!((kind, level), ("fail", "error" | "warning")),
            "{kind} {level}"
        );
    }
    let df301 = results
        .iter()
        .find(|r| r["ruleId"] == "DF301")
        .expect("DF301");
    assert_eq!(df301["level"], "error");
    assert_eq!(
        df301["locations"][0]["physicalLocation"],
        json!({
            "artifactLocation": {"uri": "ops/Dockerfile", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 5}
        })
    );
    let df303 = results
        .iter()
        .find(|r| r["ruleId"] == "DF303")
        .expect("DF303");
    assert_eq!(
        df303["suppressions"],
        json!([{"kind": "external", "justification": "the chart sets PORT"}])
    );
    assert_eq!(run["properties"]["verdict"], "fail");
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///src/"
    );
    let help = &rules[0]["help"];
    assert!(help["markdown"]
        .as_str()
        .is_some_and(|m| m.contains("**Fix:**") && m.contains(&RULES[0].help_uri())));
}

/// GitHub code scanning refuses a file with a result without a physical location: image
/// findings point at the archive or layout (or a stable pseudo-file), with logical locations
/// for the file or config key inside the image.
#[test]
fn sarif_image_locations_are_logical() {
    let mut report = image_report();
    report.findings[0] = finding(
        "DF102",
        Outcome::Warn,
        "/app/x writable",
        Location::file("/app/x", Some(1)),
        None,
    );
    report.findings[3] = finding("DF401", Outcome::Fail, "no file", Location::default(), None);
    let v: Value = serde_json::from_str(&render(Format::Sarif, &report, &options())).expect("json");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(
        results[0]["locations"][0]["logicalLocations"][0],
        json!({"name": "/app/x", "fullyQualifiedName": "oci:/tmp/img!layer1:/app/x", "kind": "resource"})
    );
    assert_eq!(results[0]["level"], "warning");
    assert_eq!(
        results[1]["locations"][0]["logicalLocations"][0]["name"],
        "User"
    );
    assert_eq!(
        results[3]["locations"],
        json!([{"physicalLocation": {"artifactLocation": {"uri": "file:///tmp/img"}}}])
    );
    for r in results {
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string(),
            "{r}"
        );
    }
}

#[test]
fn text_for_people() {
    let verbose = RenderOptions {
        detail: Detail::Verbose,
        ..options()
    };
    let text = render(Format::Text, &dockerfile_report(), &verbose);
    assert!(!text.contains('\x1b'), "no colour unless asked");
    let fail = text
        .find("FAIL  DF203  The image runs as uid 10001")
        .expect("DF203 line");
    let pass = text.find("pass  DF101").expect("DF101 line");
    assert!(fail < pass, "failures first");
    assert!(
        text.contains("      found:    no USER: the container runs as the base image's user"),
        "{text}"
    );
    assert!(
        text.contains("      expected: USER app, 10001, app:app or 10001:10001 in the final stage"),
        "{text}"
    );
    assert!(text.contains("      where:    ops/Dockerfile"), "{text}");
    assert!(
        text.contains("      ignored:  the chart sets PORT"),
        "{text}"
    );
    assert!(text.contains("skip  DF401"), "{text}");
    assert!(
        // Everything but the three failures (a secret is a MUST), the four passes (DF101,
        // DF302, DF304 with no HEALTHCHECK, and DF503 on the instructions) and the ignored rule
        // is skipped: a Dockerfile cannot show the image-only rules, nor DF502 without its build
        // context.
        text.ends_with(&format!(
            "verdict: FAIL (3 failed, 0 warned, 4 passed, {} skipped, 1 ignored)\n",
            container_rules() - 8
        )),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"));
    // Ignored rules say so, not FAIL.
    assert!(text.contains("IGNORED  DF303"), "{text}");
    assert!(!text.contains("FAIL  DF303"), "{text}");

    // By default, skipped rules are one line per reason and passes one line; failures,
    // warnings and ignored rules stay in full.
    let normal = render(Format::Text, &dockerfile_report(), &options());
    assert!(!normal.contains("skip  DF401"), "{normal}");
    assert!(normal.contains(" rules not checked ("), "{normal}");
    assert!(
        normal.contains("FAIL  DF203") && normal.contains("IGNORED  DF303"),
        "{normal}"
    );
    assert!(
        normal.lines().filter(|l| l.starts_with("pass  ")).count() == 1,
        "{normal}"
    );
    assert!(normal.len() < text.len(), "{normal}");
    // Quiet: the verdict only, naming the input.
    let quiet = render(
        Format::Text,
        &dockerfile_report(),
        &RenderOptions {
            detail: Detail::Quiet,
            ..options()
        },
    );
    assert_eq!(quiet.lines().count(), 1, "{quiet}");
    assert!(
        quiet.starts_with("ops/Dockerfile: verdict: FAIL (3 failed"),
        "{quiet}"
    );
    let coloured = render(
        Format::Text,
        &dockerfile_report(),
        &RenderOptions {
            color: true,
            ..options()
        },
    );
    assert!(coloured.contains("\x1b[31mFAIL\x1b[0m"), "{coloured}");
}

#[test]
fn format_names() {
    for (name, f) in Format::ALL {
        assert_eq!(Format::parse(name), Some(*f));
    }
    assert_eq!(Format::parse("xml"), None);
}

#[test]
fn text_names_a_profile_relaxation() {
    let report = Report {
        kind: InputKind::Image,
        subject: "oci:x".into(),
        profile: Profile::Mozcloud,
        findings: vec![finding(
            "DF203",
            Outcome::Warn,
            "User \"65532\" is uid 65532",
            Location::field("User"),
            None,
        )],
    };
    let text = render(Format::Text, &report, &options());
    assert!(text.contains("WARN  DF203  The image runs as uid 10001 (User app, 10001, app:app or 10001:10001) [MUST, accepted by profile mozcloud]"), "{text}");
    assert!(
        text.ends_with("verdict: PASS (0 failed, 1 warned, 0 passed, 0 skipped, 0 ignored)\n"),
        "{text}"
    );
}

/// The rules of a report of anything but Kubernetes manifests (DF8xx judge only those).
fn container_rules() -> usize {
    RULES.iter().filter(|r| !r.judges_manifests()).count()
}

#[test]
fn json_reads_back_into_the_reports_it_was_written_from() {
    use dockerflow_report::json::{read, render_run, ReadError, Unchecked};
    use dockerflow_report::render_all;
    let reports = [image_report(), dockerfile_report()];
    let run = read(&render_all(Format::Json, &reports, &options())).expect("array");
    assert_eq!(run.reports, reports);
    assert!(run.unchecked.is_empty());
    assert_eq!(run.tool_version.as_deref(), Some("9.9.9"));
    let one = read(&render(Format::Json, &reports[0], &options())).expect("object");
    assert_eq!(one.reports, reports[..1]);
    // A run's unchecked inputs: in every report, valid against the schema, read back once.
    let gone = Unchecked {
        kind: InputKind::Image,
        name: "oci:gone".into(),
        error: "cannot check image oci:gone: no such directory".into(),
    };
    let text = render_run(&reports, std::slice::from_ref(&gone), &options());
    let v: Value = serde_json::from_str(&text).expect("json");
    for r in v.as_array().expect("array") {
        assert_eq!(r["unchecked"][0]["input"]["name"], "oci:gone");
        assert_valid_report(r);
    }
    let run = read(&text).expect("run");
    assert_eq!((run.reports.len(), run.unchecked), (2, vec![gone]));
    // Without unchecked inputs a run renders as render_all does.
    assert_eq!(
        render_run(&reports, &[], &options()),
        render_all(Format::Json, &reports, &options())
    );
    match read("{\n  \"schema_version\": 1,\n  oops\n}") {
        Err(ReadError::Syntax { line, column, .. }) => assert_eq!((line, column), (3, 3)),
        other => panic!("{other:?}"),
    }
}
