//! SARIF that GitHub code scanning accepts, for every input kind: valid against the SARIF
//! 2.1.0 schema (`tests/fixtures/sarif-2.1.0-rtm.4.json`, the schema Microsoft's `sarif-om`
//! 1.0.4 package on PyPI ships, with one edit in its two copies of `language`'s pattern: the
//! stray `]` is escaped, `\]`, the literal ECMAScript reads it as, which Rust's regex
//! engines refuse), and GitHub's upload rules: every result has a physical
//! location, and `ruleIndex` names the rule `ruleId` does.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use dockerflow_testkit::image::{Form, Image};
use dockerflow_testkit::TempDir;
use serde_json::{json, Value};

use crate::{code, dockerflow, stdout, ROOT_DOCKERFILE};

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-2.1.0-rtm.4.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("json");
    jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .expect("the SARIF schema loads")
}

/// Parses `sarif` and asserts it is valid against the SARIF schema.
#[track_caller]
fn valid(sarif: &str, what: &str) -> Value {
    let v: Value = serde_json::from_str(sarif).expect("sarif is json");
    let errors: Vec<String> = validator()
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}");
    v
}

/// Validates `sarif` and GitHub's rules; returns its results.
#[track_caller]
fn accepted(sarif: &str, what: &str) -> Vec<Value> {
    let v = valid(sarif, what);
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results").clone();
    assert!(!results.is_empty(), "{what}: no results to judge");
    for r in &results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "{what}: {r}");
        let locations = r["locations"].as_array().expect("locations");
        assert!(!locations.is_empty(), "{what}: {r}");
        for l in locations {
            let uri = l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: no physical location: {r}"));
            assert!(!uri.is_empty(), "{what}: {r}");
        }
    }
    for rule in rules {
        assert!(rule["help"]["markdown"].is_string(), "{what}: {rule}");
    }
    results
}

fn sarif(args: &[&str], cwd: &Path) -> String {
    let mut all = args.to_vec();
    all.extend(["--format", "sarif"]);
    let o = dockerflow(&all, cwd);
    assert!(matches!(code(&o), 0 | 1), "{args:?}: {}", stdout(&o));
    stdout(&o)
}

#[test]
fn dockerfile_results_have_the_line_and_missing_things_the_from_line() {
    let tmp = TempDir::new("sarif");
    std::fs::create_dir_all(tmp.path().join("svc")).expect("mkdir");
    std::fs::write(tmp.path().join("svc/Dockerfile"), ROOT_DOCKERFILE).expect("write");
    let results = accepted(
        &sarif(&["check", "dockerfile", "./svc/Dockerfile"], tmp.path()),
        "dockerfile",
    );
    for r in &results {
        let physical = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"],
            json!({"uri": "svc/Dockerfile", "uriBaseId": "%SRCROOT%"}),
            "{r}"
        );
        assert!(physical["region"]["startLine"].as_u64().is_some(), "{r}");
    }
    // No USER at all: DF203 points at the FROM (line 1).
    let df203 = results
        .iter()
        .find(|r| r["ruleId"] == "DF203")
        .expect("DF203");
    assert_eq!(
        df203["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    let v: Value = serde_json::from_str(&sarif(
        &["check", "dockerfile", "svc/Dockerfile"],
        tmp.path(),
    ))
    .expect("json");
    let root = v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("%SRCROOT%");
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
}

#[test]
fn image_results_point_at_the_archive() {
    let tmp = TempDir::new("sarif");
    let r = Image::compliant()
        .with("User", json!("root"))
        .with("Labels", json!({}))
        .write(tmp.path(), Form::DockerArchive);
    let results = accepted(&sarif(&["check", "image", &r], tmp.path()), "image");
    let archive = r.strip_prefix("docker-archive:").expect("prefix");
    let archive = archive.split(':').next().expect("path");
    for r in &results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri");
        assert_eq!(uri, format!("file://{archive}"), "{r}");
    }
    let df203 = results
        .iter()
        .find(|r| r["ruleId"] == "DF203")
        .expect("DF203");
    assert_eq!(df203["locations"][0]["logicalLocations"][0]["name"], "User");
}

#[test]
fn url_and_log_results_have_a_stable_file() {
    let tmp = TempDir::new("sarif");
    // A service that answers 204 and nothing else: DF602 fails, DF603 and more.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut s) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(s.try_clone().expect("clone"));
            while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                line.clear();
            }
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    let results = accepted(
        &sarif(
            &["check", "url", &format!("http://127.0.0.1:{port}")],
            tmp.path(),
        ),
        "url",
    );
    for r in &results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            format!("dockerflow/url/127.0.0.1_{port}"),
            "{r}"
        );
    }
    std::fs::write(tmp.path().join("app.log"), "not json\nnor this\n").expect("write");
    let results = accepted(&sarif(&["check", "logs", "app.log"], tmp.path()), "logs");
    for r in &results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "app.log",
            "{r}"
        );
    }
}

/// A fleet run that could not read an image is a valid log whose one invocation failed, with
/// an error notification naming the image, and stays one when no image could be read at all
/// (an upload then shows the failure instead of refusing an empty file).
#[test]
fn an_image_that_could_not_be_checked_is_an_error_notification() {
    let tmp = TempDir::new("sarif");
    let good = Image::compliant()
        .with("User", json!("root"))
        .write(tmp.path(), Form::OciLayout);
    let missing = "oci:nowhere/layout";
    for (images, not_checked) in [
        ([good.as_str(), missing], 1),
        ([missing, "oci:nowhere/else"], 2),
    ] {
        let mut args = vec!["check", "image"];
        args.extend(images);
        args.extend(["--format", "sarif"]);
        let o = dockerflow(&args, tmp.path());
        assert_eq!(code(&o), 2, "{args:?}: {}", crate::stderr(&o));
        let v = valid(&stdout(&o), &format!("{args:?}"));
        let run = &v["runs"][0];
        let invocation = &run["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false, "{run}");
        let notes = invocation["toolExecutionNotifications"]
            .as_array()
            .expect("notifications");
        assert_eq!(notes.len(), not_checked, "{run}");
        let note = notes
            .iter()
            .find(|n| {
                n["message"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("layout"))
            })
            .expect("the note of oci:nowhere/layout");
        assert_eq!(note["level"], "error");
        let text = note["message"]["text"].as_str().expect("text");
        assert!(
            text.starts_with("image oci:nowhere/layout was not checked: cannot check image"),
            "{text}"
        );
        assert_eq!(
            note["locations"][0]["physicalLocation"]["artifactLocation"],
            json!({"uri": "nowhere/layout", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(run["properties"]["verdict"], "error");
        assert_eq!(
            run["properties"]["unchecked"].as_array().map(Vec::len),
            Some(not_checked)
        );
        // The image that could be read is judged as ever.
        let results = run["results"].as_array().expect("results");
        assert_eq!(
            results.iter().any(|r| r["ruleId"] == "DF203"),
            not_checked == 1,
            "{run}"
        );
    }
}
