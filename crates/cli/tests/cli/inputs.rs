//! Inputs: several Dockerfiles in one run (pre-commit passes every changed file) judged into
//! one report document, `-` for stdin; and the one-line `gnu` format with the GitHub Actions
//! problem matcher that reads it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use dockerflow_testkit::TempDir;
use serde_json::Value;

use crate::{code, dockerflow, error_line, stdout, GOOD_DOCKERFILE, ROOT_DOCKERFILE};

fn two_dockerfiles(dir: &Path) {
    std::fs::write(dir.join("good.Dockerfile"), GOOD_DOCKERFILE).expect("write");
    std::fs::write(dir.join("root.Dockerfile"), ROOT_DOCKERFILE).expect("write");
}

#[test]
fn several_dockerfiles_make_one_document_and_the_worst_exit() {
    let tmp = TempDir::new("inputs");
    two_dockerfiles(tmp.path());
    let files = ["check", "dockerfile", "good.Dockerfile", "root.Dockerfile"];
    let o = dockerflow(&files, tmp.path());
    assert_eq!(code(&o), 1, "the worst of pass and fail");
    let text = stdout(&o);
    assert!(
        text.contains("dockerfile good.Dockerfile") && text.contains("dockerfile root.Dockerfile"),
        "{text}"
    );
    let o = dockerflow(&files[..3], tmp.path());
    assert_eq!(code(&o), 0);

    let mut args = files.to_vec();
    args.extend(["--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&dockerflow(&args, tmp.path()))).expect("json");
    let verdicts: Vec<&str> = v
        .as_array()
        .expect("an array, one object per file")
        .iter()
        .filter_map(|r| r["verdict"].as_str())
        .collect();
    assert_eq!(verdicts, ["pass", "fail"]);

    let mut args = files.to_vec();
    args.extend(["--format", "sarif"]);
    let v: Value = serde_json::from_str(&stdout(&dockerflow(&args, tmp.path()))).expect("sarif");
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "GitHub refuses several runs of one tool");
    let uris: Vec<&str> = runs[0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        !uris.is_empty() && uris.iter().all(|u| *u == "root.Dockerfile"),
        "{uris:?}"
    );
    assert_eq!(
        runs[0]["properties"]["inputs"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(runs[0]["properties"]["verdict"], "fail");

    let mut args = files.to_vec();
    args.extend(["--format", "junit"]);
    let xml = stdout(&dockerflow(&args, tmp.path()));
    assert_eq!(xml.matches("<testsuites ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
    assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
}

#[test]
fn a_dockerfile_on_stdin() {
    let tmp = TempDir::new("inputs");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(["check", "dockerfile", "-", "--format", "gnu"])
        .current_dir(tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ROOT_DOCKERFILE.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).starts_with("-:"), "{}", stdout(&o));
    let e = error_line(&dockerflow(&["check", "dockerfile", "-", "-"], tmp.path()));
    assert!(e.contains("`-` (stdin) given twice"), "{e}");
}

#[test]
fn gnu_lines_are_what_the_problem_matcher_reads() {
    let tmp = TempDir::new("inputs");
    two_dockerfiles(tmp.path());
    let o = dockerflow(
        &[
            "check",
            "dockerfile",
            "good.Dockerfile",
            "root.Dockerfile",
            "--format",
            "gnu",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 1);
    let lines = stdout(&o);
    assert!(
        lines.contains("root.Dockerfile:4: error DF301 Both ENTRYPOINT and CMD"),
        "{lines}"
    );
    let matcher_file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ci/dockerflow-problem-matcher.json");
    let matcher: Value =
        serde_json::from_str(&std::fs::read_to_string(matcher_file).expect("matcher"))
            .expect("json");
    let pattern = &matcher["problemMatcher"][0]["pattern"][0];
    let re = regex::Regex::new(pattern["regexp"].as_str().expect("regexp")).expect("regex");
    let group = |name: &str| pattern[name].as_u64().expect(name) as usize;
    let mut seen = 0;
    for line in lines.lines() {
        let c = re
            .captures(line)
            .unwrap_or_else(|| panic!("the matcher misses {line:?}"));
        assert_eq!(&c[group("file")], "root.Dockerfile", "{line}");
        assert!(c.get(group("line")).is_some(), "{line}");
        assert!(
            matches!(&c[group("severity")], "error" | "warning"),
            "{line}"
        );
        assert!(c[group("code")].starts_with("DF"), "{line}");
        assert!(!c[group("message")].is_empty(), "{line}");
        seen += 1;
    }
    assert!(seen >= 2, "{lines}");
    // A finding without a line (an image's) matches too.
    let c = re
        .captures("img.tar: error DF203 The image runs as uid 10001: found root")
        .expect("no line");
    assert_eq!(&c[group("file")], "img.tar");
    assert!(c.get(group("line")).is_none());
    // So does an input that could not be checked: an error without a rule.
    let c = re
        .captures("dockerflow/image/gone_1: error not checked: cannot read it")
        .expect("not checked");
    assert_eq!(&c[group("file")], "dockerflow/image/gone_1");
    assert_eq!(&c[group("severity")], "error");
    assert!(c.get(group("code")).is_none());
    assert_eq!(&c[group("message")], "not checked: cannot read it");
}

/// `check image x.tar` (as dockle and trivy take it) opens the archive or layout at that
/// path, saying which transport it read it with; a path-like name with nothing there is an
/// error with the transports to use, never an empty archive from the engine's redirect.
#[test]
fn check_image_of_a_local_path_opens_it() {
    use dockerflow_testkit::image::{Form, Image, FORMS};
    let tmp = TempDir::new("inputs");
    for form in FORMS {
        let dir = tmp.path().join(format!("{form:?}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let r = Image::compliant().write(&dir, form);
        let path = r.split_once(':').expect("transport").1;
        let o = dockerflow(&["check", "image", path], tmp.path());
        assert_eq!(code(&o), 0, "{form:?}: {}", crate::stderr(&o));
        // A tar is read as a `docker save` archive when it is one (Docker 25+ archives are
        // OCI archives too), else as an OCI archive; a directory as an OCI layout.
        let read_as = match form {
            Form::OciLayout => vec![format!("oci:{path}")],
            _ => vec![
                format!("docker-archive:{path}"),
                format!("oci-archive:{path}"),
            ],
        };
        assert!(
            read_as
                .iter()
                .any(|r| crate::stderr(&o).contains(&format!("reading it as {r}\n"))),
            "{form:?}: {}",
            crate::stderr(&o)
        );
    }
    for missing in ["./nothing.tar", "nothing.tar"] {
        let o = dockerflow(&["check", "image", missing], tmp.path());
        assert_eq!(code(&o), 2, "{missing}");
        let e = crate::stderr(&o);
        assert!(
            e.contains("docker-archive:FILE") || e.contains("Docker engine"),
            "{missing}: {e}"
        );
    }
}
