//! The command line itself: per-command help, `--`, options before or after the target,
//! suggestions, non-UTF-8 paths, one wording for usage errors (exit 2), completions and the
//! man page.

use std::process::Command;

use dockerflow_testkit::TempDir;

use crate::{code, dockerflow, error_line, stdout, GOOD_DOCKERFILE};

#[test]
fn each_check_target_has_its_own_help() {
    let tmp = TempDir::new("flags");
    let o = dockerflow(&["check", "dockerfile", "--help"], tmp.path());
    assert_eq!(code(&o), 0);
    let help = stdout(&o);
    for shown in [
        "--target <STAGE>",
        "--build-arg <K=V>",
        "--format",
        "--ignore",
    ] {
        assert!(help.contains(shown), "{shown}: {help}");
    }
    for hidden in [
        "--run",
        "--platform",
        "--static-path",
        "--env",
        "--max-memory",
    ] {
        assert!(!help.contains(hidden), "{hidden}: {help}");
    }
    let o = dockerflow(&["check", "image", "--help"], tmp.path());
    let help = stdout(&o);
    for shown in [
        "--run",
        "--platform",
        "--env <K=V>",
        "docker-archive:FILE",
        "--max-memory <SIZE>",
        "[default: 512MiB]",
    ] {
        assert!(help.contains(shown), "{shown}: {help}");
    }
    assert!(!help.contains("--build-arg"), "{help}");
    let o = dockerflow(&["check", "url", "--help"], tmp.path());
    let help = stdout(&o);
    assert!(
        help.contains("--static-path") && help.contains("--timeout"),
        "{help}"
    );
    assert!(!help.contains("--run"), "{help}");
    // `help check` and `check help` are the same help.
    let o = dockerflow(&["help", "check"], tmp.path());
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("Usage: dockerflow check"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn options_go_before_or_after_the_target_and_double_dash_ends_them() {
    let tmp = TempDir::new("flags");
    std::fs::write(tmp.path().join("-Dockerfile"), GOOD_DOCKERFILE).expect("write");
    std::fs::write(tmp.path().join("Dockerfile"), GOOD_DOCKERFILE).expect("write");
    for args in [
        &["check", "--format", "json", "dockerfile", "Dockerfile"][..],
        &["check", "dockerfile", "Dockerfile", "--format=json"],
        &[
            "check",
            "dockerfile",
            "--format",
            "json",
            "--",
            "-Dockerfile",
        ],
    ] {
        let o = dockerflow(args, tmp.path());
        assert_eq!(code(&o), 0, "{args:?}: {}", stdout(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
        assert_eq!(v["verdict"], "pass", "{args:?}");
    }
}

#[test]
fn mistakes_get_one_line_with_a_suggestion_and_exit_2() {
    let tmp = TempDir::new("flags");
    let e = error_line(&dockerflow(&["chek", "dockerfile", "x"], tmp.path()));
    assert!(
        e.contains("unrecognized subcommand 'chek'; a similar subcommand exists: 'check'"),
        "{e}"
    );
    let e = error_line(&dockerflow(
        &["check", "dockerfile", "x", "--formt", "json"],
        tmp.path(),
    ));
    assert_eq!(
        e.trim_end(),
        "dockerflow: error: unexpected argument '--formt' found; a similar argument exists: \
         '--format' (see `dockerflow check dockerfile --help`)"
    );
    // The same wording for every command.
    for (args, command) in [
        (&["version", "--bogus"][..], "dockerflow version"),
        (&["build", "--bogus"], "dockerflow build"),
        (&["publish", "a", "b", "--bogus"], "dockerflow publish"),
        (&["ci", "--bogus"], "dockerflow ci"),
        (&["check", "logs", "-", "--bogus"], "dockerflow check logs"),
    ] {
        let e = error_line(&dockerflow(args, tmp.path()));
        assert!(
            e.contains(&format!(
                "unexpected argument '--bogus' found (see `{command} --help`)"
            )),
            "{args:?}: {e}"
        );
    }
    let e = error_line(&dockerflow(
        &["check", "url", "http://127.0.0.1:1", "--timeout", "0"],
        tmp.path(),
    ));
    assert!(
        e.contains("expected a number of seconds, more than 0 and at most 3600"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn a_path_that_is_not_utf8_opens() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = TempDir::new("flags");
    let name = OsStr::from_bytes(b"lat\xe9.Dockerfile");
    std::fs::write(tmp.path().join(name), GOOD_DOCKERFILE).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args([OsStr::new("check"), OsStr::new("dockerfile"), name])
        .current_dir(tmp.path())
        .output()
        .expect("run");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("verdict: PASS"));
}

#[test]
fn completions_and_the_man_page_come_from_the_same_definitions() {
    let tmp = TempDir::new("flags");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = dockerflow(&["completions", shell], tmp.path());
        assert_eq!(code(&o), 0, "{shell}");
        let script = stdout(&o);
        for word in ["dockerfile", "build-arg", "ignore-file"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let e = error_line(&dockerflow(&["completions", "tcsh"], tmp.path()));
    assert!(e.contains("invalid value 'tcsh'"), "{e}");
    let o = dockerflow(&["man"], tmp.path());
    assert_eq!(code(&o), 0);
    let roff = stdout(&o);
    assert!(roff.starts_with(".ie"), "{}", &roff[..roff.len().min(200)]);
    assert!(roff.contains(".TH dockerflow 1"), "{roff}");
    assert!(roff.contains("publish"), "{roff}");
    let o = dockerflow(&["man", "check", "dockerfile"], tmp.path());
    assert_eq!(code(&o), 0);
    let roff = stdout(&o);
    assert!(roff.contains(".TH dockerflow-check-dockerfile 1"), "{roff}");
    assert!(
        roff.contains("build\\-arg") || roff.contains("build-arg"),
        "{roff}"
    );
    let e = error_line(&dockerflow(&["man", "chek"], tmp.path()));
    assert!(e.contains("`dockerflow chek` is not a command"), "{e}");
}
