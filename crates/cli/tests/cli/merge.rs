//! `report merge FILE...`: the JSON reports of several runs (shards) joined into one fleet
//! summary, in every format, with the worst exit status.

use super::fleet::{assert_fleet_table, fleet, row};
use super::*;

/// `check image` with `args`, in `dir`; its exit status.
fn check(args: &[&str], dir: &Path) -> i32 {
    let mut all = vec!["check", "image"];
    all.extend_from_slice(args);
    let o = dockerflow(&all, dir);
    code(&o)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every format but text, each to its file, named `PREFIX.FORMAT`.
fn report_flags(prefix: &str) -> Vec<String> {
    ["json", "junit", "sarif", "gnu", "html", "badge"]
        .iter()
        .flat_map(|f| ["--report".to_string(), format!("{f}={prefix}.{f}")])
        .collect()
}

#[test]
fn the_shards_of_a_fleet_merge_into_the_reports_the_whole_fleet_writes_in_every_format() {
    let tmp = TempDir::new("merge");
    let dir = tmp.path();
    let images = fleet(dir);
    let [a, root, b] = &images;
    let inputs = [a.as_str(), root.as_str(), b.as_str()];
    // Shard 1/2 holds a and b (an array), shard 2/2 only root (one report: an object).
    for (shard, want) in [("1/2", 0), ("2/2", 1)] {
        let file = format!("json=shard-{}.json", &shard[..1]);
        let mut args = vec!["--shard", shard, "--report", &file];
        args.extend(inputs);
        assert_eq!(check(&args, dir), want, "shard {shard}");
    }
    assert!(read(dir, "shard-1.json").starts_with('['));
    assert!(read(dir, "shard-2.json").starts_with('{'));
    let mut merge = vec!["report", "merge", "shard-1.json", "shard-2.json"];
    let flags = report_flags("merged");
    merge.extend(flags.iter().map(String::as_str));
    let merged = dockerflow(&merge, dir);
    assert_eq!(code(&merged), 1, "{}{}", stdout(&merged), stderr(&merged));
    let out = stdout(&merged);
    assert_fleet_table(&out, &images);
    // The whole fleet in the merged order writes the same bytes in every format.
    let mut whole = vec!["check", "image", &a, &b, &root];
    let flags = report_flags("whole");
    whole.extend(flags.iter().map(String::as_str));
    let whole = dockerflow(&whole, dir);
    assert_eq!(code(&whole), 1, "{}", stderr(&whole));
    assert_eq!(out, stdout(&whole));
    for format in ["json", "junit", "sarif", "gnu", "html", "badge"] {
        assert_eq!(
            read(dir, &format!("merged.{format}")),
            read(dir, &format!("whole.{format}")),
            "{format}"
        );
    }
    let sarif: Value = serde_json::from_str(&read(dir, "merged.sarif")).expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(read(dir, "merged.html").contains("<table class=\"summary\">"));
    // A merge's report merges again, and one image's report (`check image REF`) merges too.
    let o = dockerflow(&["check", "image", b, "--format", "json"], dir);
    assert_eq!(code(&o), 0);
    std::fs::write(dir.join("one.json"), stdout(&o)).expect("write");
    let o = dockerflow(&["report", "merge", "merged.json", "one.json", "-q"], dir);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("3 images: 2 pass, 1 fail"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("is in the reports 2 times"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_image_a_shard_could_not_check_stays_in_the_merge_and_the_status_is_2() {
    let tmp = TempDir::new("merge");
    let dir = tmp.path();
    let [a, root, b] = fleet(dir);
    let missing = "oci:nowhere/layout";
    let status = check(&[&a, missing, "--report", "json=s1.json"], dir);
    assert_eq!(status, 2);
    assert_eq!(check(&[&b, &root, "--report", "json=s2.json"], dir), 1);
    let s1: Value = serde_json::from_str(&read(dir, "s1.json")).expect("json");
    assert_eq!(s1["unchecked"][0]["input"]["name"], missing, "{s1}");
    let o = dockerflow(
        &[
            "report",
            "merge",
            "s1.json",
            "s2.json",
            "--report",
            "json=m.json",
        ],
        dir,
    );
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let gone = row(&out, missing);
    assert!(gone.contains("ERROR") && gone.contains("nowhere"), "{gone}");
    assert!(row(&out, &root).contains("DF203"), "{out}");
    assert!(
        out.contains("4 images: 2 pass, 1 fail, 1 could not be checked"),
        "{out}"
    );
    assert!(
        stderr(&o)
            .lines()
            .any(|l| l.starts_with("dockerflow: error: ") && l.contains("nowhere")),
        "{}",
        stderr(&o)
    );
    // The merged JSON still names it, so a merge of merges is 2 as well.
    let o = dockerflow(&["report", "merge", "m.json"], dir);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(row(&stdout(&o), missing).contains("ERROR"));
}

#[test]
fn a_shard_that_could_check_none_of_its_images_is_not_an_empty_shard() {
    let tmp = TempDir::new("merge");
    let dir = tmp.path();
    let [a, _, _] = fleet(dir);
    let (gone1, gone2) = ("oci:nowhere/one", "oci:nowhere/two");
    assert_eq!(check(&[gone1, gone2, "--report", "json=s1.json"], dir), 2);
    // The record carries the list alone and validates against the schema.
    let s1: Value = serde_json::from_str(&read(dir, "s1.json")).expect("json");
    assert_eq!(s1.as_array().map(Vec::len), Some(1), "{s1}");
    assert_eq!(s1[0]["unchecked"][1]["input"]["name"], gone2, "{s1}");
    assert!(s1[0].get("findings").is_none(), "{s1}");
    let schema: Value = serde_json::from_str(dockerflow_report::json::SCHEMA).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    assert!(validator.is_valid(&s1[0]), "{s1}");
    // A shard given nothing still writes [] and merges as nothing.
    assert_eq!(
        check(&[&a, "--shard", "2/2", "--report", "json=s2.json"], dir),
        0
    );
    assert_eq!(read(dir, "s2.json").trim(), "[]");
    assert_eq!(
        check(&[&a, "--shard", "1/2", "--report", "json=s3.json"], dir),
        0
    );
    let o = dockerflow(&["report", "merge", "s1.json", "s2.json", "s3.json"], dir);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for gone in [gone1, gone2] {
        assert!(row(&out, gone).contains("ERROR"), "{out}");
    }
    assert!(
        out.contains("3 images: 1 pass, 0 fail, 2 could not be checked"),
        "{out}"
    );
}

#[test]
fn an_image_in_two_shards_is_counted_once_with_its_worst_result_and_named() {
    let tmp = TempDir::new("merge");
    let dir = tmp.path();
    let [a, root, _] = fleet(dir);
    let ignore = "DF203=root on purpose";
    assert_eq!(
        check(
            &[&a, &root, "--ignore", ignore, "--report", "json=s1.json"],
            dir
        ),
        0
    );
    assert_eq!(check(&[&root, "--report", "json=s2.json"], dir), 1);
    let o = dockerflow(&["report", "merge", "s1.json", "s2.json"], dir);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("2 images: 1 pass, 1 fail"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with(&root)).count(), 1);
    assert!(row(&out, &root).contains("FAIL"), "{out}");
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "image {root} is in the reports 2 times (s1.json, s2.json)"
        )) && err.contains("FAIL from s2.json"),
        "{err}"
    );
    // The same file twice: every image of it named, nothing doubled.
    let o = dockerflow(&["report", "merge", "s1.json", "s1.json"], dir);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("2 images: 2 pass"), "{}", stdout(&o));
    assert_eq!(
        stderr(&o).matches("counted once").count(),
        2,
        "{}",
        stderr(&o)
    );
}

#[test]
fn fail_on_warn_and_stdin_apply_to_the_merge() {
    let tmp = TempDir::new("merge");
    let dir = tmp.path();
    let warned = Image::compliant()
        .with("User", json!("65532"))
        .with("Entrypoint", Value::Null)
        .write(dir, Form::OciLayout);
    let o = dockerflow(
        &[
            "check",
            "image",
            &warned,
            "--profile",
            "mozcloud",
            "--format",
            "json",
        ],
        dir,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report = stdout(&o);
    let o = dockerflow_stdin(
        &[
            "report",
            "merge",
            "-",
            "--fail-on",
            "warn",
            "--format",
            "json",
        ],
        dir,
        report.as_bytes(),
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    // One report merges into the very report it was.
    assert_eq!(stdout(&o), report);
    std::fs::write(dir.join("w.json"), &report).expect("write");
    let o = dockerflow(&["report", "merge", "w.json"], dir);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = dockerflow(&["report", "merge", "-", "-"], dir);
    assert!(error_line(&o).contains("`-` (stdin) given twice"));
}

#[test]
fn a_file_that_is_not_a_report_exits_2_naming_it_and_what_was_expected() {
    let tmp = TempDir::new("merge");
    let dir = tmp.path();
    let [a, root, _] = fleet(dir);
    assert_eq!(check(&[&a, &root, "--report", "json=good.json"], dir), 1);
    assert_eq!(check(&[&root, "--report", "sarif=root.sarif"], dir), 1);
    let good = read(dir, "good.json");
    let edited = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replacen(from, to, 1)
    };
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "syntax.json",
            "[\n  {\"schema_version\": 1,\n   \"tool\": }\n]\n".into(),
            &["syntax.json:3:12: not JSON", "expected a report of"],
        ),
        ("empty.json", String::new(), &["empty.json:1:0: not JSON"]),
        (
            "numbers.json",
            "[1, 2]".into(),
            &["numbers.json: [0] is a number; expected an object"],
        ),
        (
            "text.json",
            "\"dockerflow\"".into(),
            &["the document is a string; expected a report"],
        ),
        (
            "version.json",
            edited("\"schema_version\": 1", "\"schema_version\": 2"),
            &[
                "version.json: [0] has schema_version 2",
                "reads schema_version 1",
            ],
        ),
        (
            "rule.json",
            edited("\"rule\": \"DF101\"", "\"rule\": \"DF999\""),
            &[
                "rule.json: [0].findings[0].rule is \"DF999\"",
                "does not have",
            ],
        ),
        (
            "outcome.json",
            edited("\"outcome\": \"pass\"", "\"outcome\": \"maybe\""),
            &[".outcome is \"maybe\"; expected one of pass, fail, warn, skipped"],
        ),
        (
            "verdict.json",
            edited("\"verdict\": \"fail\"", "\"verdict\": \"pass\""),
            &["[1].verdict says verdict \"pass\" but its findings give \"fail\""],
        ),
        (
            "profile.json",
            edited("\"profile\": \"strict\"", "\"profile\": 7"),
            &["[0].profile is a number; expected a string"],
        ),
    ];
    for (file, text, wanted) in &cases {
        std::fs::write(dir.join(file), text).expect("write");
        let o = dockerflow(&["report", "merge", "good.json", file], dir);
        let e = error_line(&o);
        assert!(e.contains(&format!("cannot merge {file}")), "{file}: {e}");
        for w in *wanted {
            assert!(e.contains(w), "{file}: {w:?} not in {e}");
        }
        // Nothing is written when an input is refused.
        assert!(stdout(&o).is_empty(), "{file}");
    }
    let o = dockerflow(&["report", "merge", "good.json", "root.sarif"], dir);
    let e = error_line(&o);
    assert!(
        e.contains("root.sarif: the report has no schema_version (it looks like SARIF)"),
        "{e}"
    );
    let o = dockerflow(&["report", "merge", "absent.json"], dir);
    let e = error_line(&o);
    assert!(e.contains("cannot read the report absent.json"), "{e}");
    let o = dockerflow(&["report", "merge"], dir);
    assert_eq!(code(&o), 2);
}

#[test]
fn merge_has_help_a_man_page_and_completions() {
    let tmp = TempDir::new("merge");
    let o = dockerflow(&["report", "merge", "--help"], tmp.path());
    assert_eq!(code(&o), 0);
    for text in [
        "<FILE>...",
        "--fail-on",
        "--report <FORMAT=FILE>",
        "--shard 3/8",
    ] {
        assert!(stdout(&o).contains(text), "{text}: {}", stdout(&o));
    }
    let o = dockerflow(&["man", "report", "merge"], tmp.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("dockerflow\\-report\\-merge"),
        "{}",
        stdout(&o)
    );
    let o = dockerflow(&["completions", "bash"], tmp.path());
    assert!(stdout(&o).contains("dockerflow__subcmd__report__subcmd__merge"));
}

#[test]
fn reports_of_other_inputs_merge_too_and_the_table_calls_them_inputs() {
    let tmp = TempDir::new("merge");
    let dir = tmp.path();
    std::fs::write(dir.join("Dockerfile"), GOOD_DOCKERFILE).expect("write");
    std::fs::write(dir.join("root.Dockerfile"), ROOT_DOCKERFILE).expect("write");
    let o = dockerflow(
        &[
            "check",
            "dockerfile",
            "Dockerfile",
            "root.Dockerfile",
            "--format",
            "json",
        ],
        dir,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    std::fs::write(dir.join("dockerfiles.json"), stdout(&o)).expect("write");
    let o = dockerflow(&["report", "merge", "dockerfiles.json"], dir);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("INPUT") && out.contains("2 inputs: 1 pass, 1 fail"),
        "{out}"
    );
    assert!(row(&out, "root.Dockerfile").contains("FAIL"), "{out}");
}
