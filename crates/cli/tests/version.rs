//! Black-box tests of `dockerflow version`: each CI's variables (set in the child's environment
//! only) give the exact version.json expected; the git fallback; `--check`.

use std::path::Path;
use std::process::{Command, Output};

use dockerflow_testkit::TempDir;

const SHA: &str = "4f2b8c1d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c";

/// Runs `dockerflow ARGS` in `cwd` with only `vars` (and PATH, HOME) in its environment.
fn dockerflow(args: &[&str], cwd: &Path, vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .envs(vars.iter().copied())
        .output()
        .expect("run dockerflow")
}

fn json(source: &str, version: &str, commit: &str, build: &str) -> String {
    format!(
        "{{\n  \"source\": \"{source}\",\n  \"version\": \"{version}\",\n  \"commit\": \"{commit}\",\n  \"build\": \"{build}\"\n}}\n"
    )
}

fn stdout_of(vars: &[(&str, &str)], extra: &[&str]) -> String {
    let tmp = TempDir::new("ci");
    let mut args = vec!["version", "--stdout"];
    args.extend_from_slice(extra);
    let o = dockerflow(&args, tmp.path(), vars);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf-8")
}

const GITHUB_BRANCH: &[(&str, &str)] = &[
    ("CI", "true"),
    ("GITHUB_ACTIONS", "true"),
    ("GITHUB_SERVER_URL", "https://github.com"),
    ("GITHUB_REPOSITORY", "mozilla/app"),
    ("GITHUB_SHA", SHA),
    ("GITHUB_RUN_ID", "9001"),
    ("GITHUB_REF", "refs/heads/main"),
    ("GITHUB_REF_NAME", "main"),
    ("GITHUB_REF_TYPE", "branch"),
];

#[test]
fn github_actions_branch_build_has_an_empty_version_not_the_branch() {
    assert_eq!(
        stdout_of(GITHUB_BRANCH, &[]),
        json(
            "https://github.com/mozilla/app",
            "",
            SHA,
            "https://github.com/mozilla/app/actions/runs/9001"
        )
    );
    assert_eq!(
        stdout_of(GITHUB_BRANCH, &["--version-string", "nightly"]),
        json(
            "https://github.com/mozilla/app",
            "nightly",
            SHA,
            "https://github.com/mozilla/app/actions/runs/9001"
        )
    );
}

#[test]
fn github_actions_tag_build_uses_the_tag() {
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.example"),
        ("GITHUB_REPOSITORY", "o/r"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_RUN_ID", "7"),
        ("GITHUB_REF", "refs/tags/v1.2.3"),
        ("GITHUB_REF_NAME", "v1.2.3"),
        ("GITHUB_REF_TYPE", "tag"),
    ];
    // The tag wins over --version-string.
    assert_eq!(
        stdout_of(&vars, &["--version-string", "ignored"]),
        json(
            "https://github.example/o/r",
            "v1.2.3",
            SHA,
            "https://github.example/o/r/actions/runs/7"
        )
    );
}

#[test]
fn circleci() {
    let base = [
        ("CIRCLECI", "true"),
        ("CIRCLE_SHA1", SHA),
        ("CIRCLE_REPOSITORY_URL", "git@github.com:mozilla/app.git"),
        (
            "CIRCLE_BUILD_URL",
            "https://circleci.com/gh/mozilla/app/314",
        ),
        ("CIRCLE_BRANCH", "main"),
    ];
    assert_eq!(
        stdout_of(&base, &[]),
        json(
            "https://github.com/mozilla/app",
            "",
            SHA,
            "https://circleci.com/gh/mozilla/app/314"
        )
    );
    let mut tagged = base.to_vec();
    tagged.push(("CIRCLE_TAG", "v2.0.0"));
    assert_eq!(
        stdout_of(&tagged, &[]),
        json(
            "https://github.com/mozilla/app",
            "v2.0.0",
            SHA,
            "https://circleci.com/gh/mozilla/app/314"
        )
    );
}

#[test]
fn gitlab_ci() {
    let vars = [
        ("GITLAB_CI", "true"),
        ("CI_COMMIT_SHA", SHA),
        ("CI_PROJECT_URL", "https://gitlab.com/group/app"),
        ("CI_JOB_URL", "https://gitlab.com/group/app/-/jobs/55"),
        ("CI_COMMIT_TAG", "2026.11.22"),
        ("CI_COMMIT_REF_NAME", "2026.11.22"),
    ];
    assert_eq!(
        stdout_of(&vars, &[]),
        json(
            "https://gitlab.com/group/app",
            "2026.11.22",
            SHA,
            "https://gitlab.com/group/app/-/jobs/55"
        )
    );
}

#[test]
fn taskcluster() {
    let vars = [
        ("TASK_ID", "fXq3Z8bRS2u1XyZ0aBcDeF"),
        (
            "TASKCLUSTER_ROOT_URL",
            "https://firefox-ci-tc.services.mozilla.com/",
        ),
        ("GITHUB_HEAD_REPO_URL", "https://github.com/mozilla/app.git"),
        ("GITHUB_HEAD_SHA", SHA),
        ("GITHUB_HEAD_BRANCH", "main"),
    ];
    assert_eq!(
        stdout_of(&vars, &[]),
        json(
            "https://github.com/mozilla/app",
            "",
            SHA,
            "https://firefox-ci-tc.services.mozilla.com/tasks/fXq3Z8bRS2u1XyZ0aBcDeF"
        )
    );
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .env("HOME", dir)
        .output()
        .expect("git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn head(dir: &Path) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .expect("git");
    String::from_utf8(o.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

#[test]
fn local_git_checkout_fallback_and_output_file() {
    let tmp = TempDir::new("git");
    let repo = tmp.path();
    git(repo, &["init", "-q"]);
    git(
        repo,
        &[
            "remote",
            "add",
            "origin",
            "https://u:token@example.com/o/r.git",
        ],
    );
    std::fs::write(repo.join("a"), "a").expect("write");
    git(repo, &["add", "a"]);
    git(repo, &["commit", "-q", "-m", "one"]);
    let commit = head(repo);

    let o = dockerflow(
        &["version"],
        repo,
        &[("BUILD_URL", "https://ci.example/b/1")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(repo.join("version.json")).expect("version.json");
    // The credentials in the remote URL never reach the file.
    assert_eq!(
        written,
        json(
            "https://example.com/o/r",
            "",
            &commit,
            "https://ci.example/b/1"
        )
    );

    git(repo, &["tag", "v0.9.0"]);
    let o = dockerflow(&["version", "-o", "-"], repo, &[]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        json("https://example.com/o/r", "v0.9.0", &commit, "")
    );
    let notes = String::from_utf8_lossy(&o.stderr);
    assert!(notes.contains("build is empty"), "{notes}");
}

#[test]
fn no_ci_and_no_checkout_is_an_error() {
    let tmp = TempDir::new("none");
    let o = dockerflow(&["version", "--git-dir", "/"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.starts_with("dockerflow: error: no commit for version.json"),
        "{e}"
    );
    assert!(!tmp.path().join("version.json").exists());
}

#[test]
fn check_accepts_a_good_file_and_names_every_problem_of_a_bad_one() {
    let tmp = TempDir::new("check");
    let good = tmp.path().join("good.json");
    std::fs::write(
        &good,
        json("https://github.com/o/r", "", SHA, "https://ci/1"),
    )
    .expect("write");
    let o = dockerflow(&["version", "--check", "good.json"], tmp.path(), &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    std::fs::write(
        tmp.path().join("bad.json"),
        r#"{"source": "github.com/o/r", "version": null, "commit": "not-a-sha"}"#,
    )
    .expect("write");
    let o = dockerflow(&["version", "--check", "bad.json"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("bad.json: error: key version:"), "{out}");
    assert!(out.contains("bad.json: error: key commit:"), "{out}");
    assert!(out.contains("\"build\" is a required property"), "{out}");
    assert!(out.contains("bad.json: warning: key source:"), "{out}");

    std::fs::write(tmp.path().join("broken.json"), "{\"source\": ").expect("write");
    let o = dockerflow(&["version", "--check", "broken.json"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("error: not JSON"));

    let o = dockerflow(&["version", "--check", "missing.json"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read missing.json"));
}
