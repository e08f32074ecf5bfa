//! Hostile images through the binary, each under a resource limit set on the child
//! (`ulimit` in `sh`), asserting the exit code, the message and that the bound held.

use std::path::Path;
use std::process::{Command, Output};

use dockerflow_testkit::image::{dir, file, symlink, Form, Image, Node};
use dockerflow_testkit::TempDir;

use super::{stderr, stdout};

/// `dockerflow check image REF` run by `sh` after `ulimit ULIMIT` (e.g. `-t 20`: CPU seconds).
fn check_limited(ulimit: &str, reference: &str, cwd: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit {ulimit} && exec \"$0\" check image \"$1\""))
        .arg(env!("CARGO_BIN_EXE_dockerflow"))
        .arg(reference)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("run sh")
}

/// Killed by a signal (SIGXCPU, SIGKILL, SIGSEGV from a failed allocation) means the bound
/// did not hold.
fn ran_within_bound(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| {
        panic!(
            "killed by a signal ({:?}): the bound did not hold\nstderr: {}",
            o.status,
            stderr(o)
        )
    })
}

#[test]
fn deep_nesting_costs_time_linear_in_entries() {
    // 2,000 nested directories and 2,000 files at the bottom: before the tree of children,
    // every entry rebuilt and looked up each ancestor path (23 s in a release build); now
    // well under a second, so 20 CPU-seconds (for a debug build on a busy machine) holds.
    let tmp = TempDir::new("cli-hostile");
    let mut nodes: Vec<Node> = Vec::new();
    // Under /app, so that the application's files are where DF101 wants them.
    let mut path = String::from("/app");
    for _ in 0..2000 {
        path.push_str("/d");
        nodes.push(dir(&path, 0o755));
    }
    for i in 0..2000 {
        nodes.push(file(&format!("{path}/f{i}"), 0o644, "x"));
    }
    let r = Image::compliant()
        .layer(nodes)
        .write(tmp.path(), Form::DockerArchive);
    let o = check_limited("-t 20", &r, tmp.path());
    assert_eq!(ran_within_bound(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_symlink_loop_is_reported_as_a_loop_not_as_missing() {
    let tmp = TempDir::new("cli-hostile");
    let r = Image::compliant()
        .layer(vec![
            symlink("/etc/passwd", "/etc/a"),
            symlink("/etc/a", "/etc/b"),
            symlink("/etc/b", "/etc/passwd"),
            symlink("/app/version.json", "version.json"),
        ])
        .write(tmp.path(), Form::DockerArchive);
    let o = check_limited("-t 20", &r, tmp.path());
    assert_eq!(ran_within_bound(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for path in ["/etc/passwd", "/app/version.json"] {
        let looped = format!("{path}: too many levels of symbolic links");
        assert!(out.contains(&looped), "{path} reported as a loop:\n{out}");
        assert!(
            !out.contains(&format!("{path} does not exist")),
            "{path} is not missing:\n{out}"
        );
    }
}

#[test]
fn a_whiteout_with_an_empty_name_is_a_finding_and_hides_nothing() {
    let tmp = TempDir::new("cli-hostile");
    let r = Image::compliant()
        .layer(vec![file("/.wh.", 0o644, "")])
        .write(tmp.path(), Form::DockerArchive);
    let o = check_limited("-t 20", &r, tmp.path());
    // DF105 is a SHOULD: a warning, and every other rule passes on the lower layers.
    assert_eq!(ran_within_bound(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("WARN  DF105"), "{out}");
    assert!(
        out.contains(
            "layer 2 \".wh.\": whiteout with an empty name would delete its directory; skipped"
        ),
        "DF105 names the entry:\n{out}"
    );
    assert!(!out.contains("does not exist"), "{out}");
}
