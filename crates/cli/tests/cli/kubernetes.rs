//! `dockerflow check kubernetes PATH...|-` (alias `k8s`): manifests written by the tests,
//! files, directories and stdin; each fault at its file and line in every format; hostile YAML
//! refused with exit 2; the repository's own `deploy/kubernetes` passes.

use std::path::Path;

use dockerflow_testkit::kubernetes::COMPLIANT_DEPLOYMENT as COMPLIANT;
use dockerflow_testkit::TempDir;
use serde_json::Value;

use crate::{code, dockerflow, dockerflow_stdin, error_line, stderr, stdout};

/// The Deployment: probes on /__heartbeat__, no runAsUser, PORT 8000 against
/// containerPort 8080 and a 5 s grace period.
const FAULTY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: app
          image: web:1
          ports:
            - containerPort: 8080
          env:
            - name: PORT
              value: \"8000\"
          readinessProbe:
            httpGet:
              path: /__heartbeat__
              port: 8080
          livenessProbe:
            httpGet:
              path: /__heartbeat__
              port: 8080
";

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).expect("write manifest");
    name.to_string()
}

#[test]
fn a_compliant_deployment_passes_and_the_alias_works() {
    let tmp = TempDir::new("k8s-pass");
    let f = write(tmp.path(), "web.yaml", COMPLIANT);
    for target in ["kubernetes", "k8s"] {
        let o = dockerflow(&["check", target, &f], tmp.path());
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("web.yaml:13 Deployment/web container app"),
            "{out}"
        );
        assert!(
            out.contains("verdict: PASS (0 failed, 0 warned, 10 passed"),
            "{out}"
        );
    }
}

#[test]
fn each_fault_fails_its_rule_at_its_line_in_every_format() {
    let tmp = TempDir::new("k8s-faults");
    let f = write(tmp.path(), "web.yaml", FAULTY);
    let o = dockerflow(&["check", "kubernetes", &f, "--format", "gnu"], tmp.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let gnu = stdout(&o);
    for want in [
        "web.yaml:19: error DF801 ",
        "web.yaml:19: error DF802 ",
        "web.yaml:21: error DF803 ",
        "web.yaml:10: error DF804 ",
        "web.yaml:10: error DF805 ",
        "web.yaml:10: error DF806 ",
        "web.yaml:10: error DF808 ",
        "web.yaml:8: error DF809 ",
        "web.yaml:13: error DF810 ",
    ] {
        assert!(gnu.contains(want), "{want:?} in\n{gnu}");
    }
    // DF807 holds: the root filesystem is writable (DF806 says so), /tmp with it.
    assert!(!gnu.contains("DF807"), "{gnu}");

    let o = dockerflow(&["check", "k8s", &f, "--format", "json"], tmp.path());
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["input"]["kind"], "kubernetes");
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(10));

    let o = dockerflow(&["check", "k8s", &f, "--format", "sarif"], tmp.path());
    let v: Value = serde_json::from_str(&stdout(&o)).expect("sarif");
    let results = v["runs"][0]["results"].as_array().expect("results");
    let df809 = results
        .iter()
        .find(|r| r["ruleId"] == "DF809")
        .expect("DF809 result");
    let physical = &df809["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "web.yaml");
    assert_eq!(physical["region"]["startLine"], 8);

    let o = dockerflow(&["check", "k8s", &f, "--format", "junit"], tmp.path());
    let xml = stdout(&o);
    assert!(xml.contains("dockerflow.kubernetes"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 10, "{xml}");

    let o = dockerflow(&["check", "k8s", &f], tmp.path());
    let text = stdout(&o);
    assert!(text.contains("FAIL  DF809"), "{text}");
    assert!(
        text.contains("terminationGracePeriodSeconds 5 s against DOCKERFLOW_DRAIN_DELAY_MS 3000 (the default) + DOCKERFLOW_GRACE_PERIOD_MS 25000 (the default) = 28000 ms"),
        "{text}"
    );
}

#[test]
fn ignores_profiles_and_fail_on_work_as_for_the_other_checks() {
    let tmp = TempDir::new("k8s-options");
    let text = COMPLIANT.replace("runAsUser: 10001", "runAsUser: 1000");
    let f = write(tmp.path(), "web.yaml", &text);
    for (options, exit) in [
        (&[][..], 1),
        (&["--profile", "mozcloud"][..], 0),
        (&["--profile", "mozcloud", "--fail-on", "warn"][..], 1),
    ] {
        let o = dockerflow(&[&["check", "k8s", &f][..], options].concat(), tmp.path());
        assert_eq!(code(&o), exit, "{options:?}: {}", stdout(&o));
    }
    let o = dockerflow(
        &[
            "check",
            "k8s",
            &f,
            "--ignore",
            "DF804=uid 1000 is the base image's user",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("uid 1000 is the base image's user"));
}

#[test]
fn an_annotation_ignores_rules_in_the_manifest_itself() {
    let tmp = TempDir::new("k8s-annotation");
    let annotated = COMPLIANT.replace("runAsUser: 10001", "runAsUser: 1000").replace(
        "metadata:\n  name: web\n",
        "metadata:\n  name: web\n  annotations:\n    dockerflow/ignore.app: DF804 uid 1000 is the base image's user\n",
    );
    let f = write(tmp.path(), "web.yaml", &annotated);
    let o = dockerflow(&["check", "k8s", &f], tmp.path());
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("IGNORED  DF804"), "{out}");
    assert!(out.contains("uid 1000 is the base image's user"), "{out}");
    // The same annotation naming a container the workload does not have: exit 2 at its line.
    let f = write(
        tmp.path(),
        "typo.yaml",
        &annotated.replace("ignore.app:", "ignore.ap:"),
    );
    let e = error_line(&dockerflow(&["check", "k8s", &f], tmp.path()));
    assert!(
        e.contains("typo.yaml:6:") && e.contains("no container \"ap\""),
        "{e}"
    );
}

#[test]
fn multi_document_files_directories_and_stdin() {
    let tmp = TempDir::new("k8s-inputs");
    let dir = tmp.path().join("manifests");
    std::fs::create_dir(&dir).expect("mkdir");
    let service =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n";
    write(&dir, "a.yaml", &format!("{service}---\n{COMPLIANT}"));
    let pod = COMPLIANT.split_once("  template:\n").expect("template").1;
    let pod: String = pod.lines().map(|l| format!("    {l}\n")).collect();
    let cron = format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n{pod}"
    );
    write(
        &dir,
        "b.yml",
        &cron.replace(
            "terminationGracePeriodSeconds: 35",
            "terminationGracePeriodSeconds: 5",
        ),
    );
    write(&dir, "notes.txt", "not a manifest: [");

    let o = dockerflow(
        &["check", "kubernetes", "manifests", "--format", "gnu"],
        tmp.path(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // The CronJob's pod spec starts four columns right, its grace at line 11.
    assert_eq!(
        stdout(&o),
        format!(
            "manifests/b.yml:11: error DF809 {}",
            stdout(&o).split_once(" DF809 ").unwrap().1
        )
    );
    assert!(
        stderr(&o).contains("manifests/a.yaml:2: Service \"web\" is not a workload; not judged"),
        "{}",
        stderr(&o)
    );
    let o = dockerflow(
        &["check", "kubernetes", "manifests", "--format", "json"],
        tmp.path(),
    );
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let subjects: Vec<&str> = v
        .as_array()
        .expect("one report per container")
        .iter()
        .filter_map(|r| r["input"]["name"].as_str())
        .collect();
    assert_eq!(
        subjects,
        [
            "manifests/a.yaml:20 Deployment/web container app",
            "manifests/b.yml:16 CronJob/nightly container app"
        ]
    );

    let o = dockerflow_stdin(
        &["check", "kubernetes", "-", "--format", "gnu"],
        tmp.path(),
        FAULTY.as_bytes(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("dockerflow/kubernetes/stdin:8: error DF809"),
        "{}",
        stdout(&o)
    );
    let o = dockerflow_stdin(
        &["check", "kubernetes", "-"],
        tmp.path(),
        COMPLIANT.as_bytes(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn what_cannot_be_checked_exits_2_with_file_and_line() {
    let tmp = TempDir::new("k8s-refused");
    let cases: &[(&str, String, &str)] = &[
        (
            "syntax.yaml",
            "kind: Deployment\nspec:\n  template: [\n".into(),
            "syntax.yaml:",
        ),
        (
            "nopod.yaml",
            "kind: Deployment\nmetadata: {name: x}\n".into(),
            "nopod.yaml:1: Deployment \"x\" has no pod spec; expected spec.template.spec",
        ),
        (
            "service.yaml",
            "kind: Service\nmetadata: {name: x}\n".into(),
            "no workload in service.yaml (only 1 other objects: Service \"x\"); expected a Deployment",
        ),
        (
            "flow.yaml",
            format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000)),
            "flow.yaml:1: recursion limit exceeded; expected YAML",
        ),
        (
            "block.yaml",
            (0..100).map(|i| format!("{}a:\n", "  ".repeat(i))).collect(),
            "block.yaml:65: collections nested more than 64 deep",
        ),
    ];
    for (name, text, want) in cases {
        write(tmp.path(), name, text);
        let o = dockerflow(&["check", "kubernetes", name], tmp.path());
        let e = error_line(&o);
        assert!(e.contains(want), "{want:?} in {e}");
    }
    let o = dockerflow(&["check", "kubernetes", "missing.yaml"], tmp.path());
    assert!(error_line(&o).contains("cannot read missing.yaml"));
}

#[test]
fn hostile_yaml_exits_2_without_expanding_or_reading_it_all() {
    let tmp = TempDir::new("k8s-hostile");
    // Billion laughs: each level repeats the one before ten times.
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    write(tmp.path(), "bomb.yaml", &bomb);
    let o = dockerflow(&["check", "kubernetes", "bomb.yaml"], tmp.path());
    let e = error_line(&o);
    assert!(e.contains("bomb.yaml:") && e.contains("alias bomb"), "{e}");

    // Over the size limit (16 MiB), on stdin: refused after reading one byte past it.
    let huge = vec![b'#'; (16 << 20) + 10];
    let o = dockerflow_stdin(&["check", "kubernetes", "-"], tmp.path(), &huge);
    let e = error_line(&o);
    assert!(e.contains("over the limit of 16777216 bytes"), "{e}");
}

#[test]
fn the_repository_manifests_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let o = dockerflow(&["check", "kubernetes", "deploy/kubernetes"], &root);
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Deployment/dockerflow-demo container demo"));
    assert!(stderr(&o).contains(
        "deploy/kubernetes/service.yaml:4: Service \"dockerflow-demo\" is not a workload"
    ));
}
