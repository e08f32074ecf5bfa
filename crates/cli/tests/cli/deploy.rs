//! Deploy verification, `check url URL --expect-commit SHA --wait DURATION`, against a
//! loopback service written here whose `/__version__` changes commit as a deploy rolls out.

use std::io::Write;
use std::net::TcpListener;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use dockerflow_testkit::TempDir;

use crate::{code, dockerflow, error_line, read_request_head, stderr, stdout};

const OLD: &str = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const NEW: &str = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A service mid-deploy: `/__version__` answers `OLD` (version 1.0.0) to its first
/// `old_answers` requests, then `NEW` (version 2.0.0); `/__heartbeat__` answers
/// `heartbeat`. Stops when dropped, and after 60 s whatever happens.
struct Rollout {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Rollout {
    fn start(old_answers: usize, heartbeat: u16) -> Rollout {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", l.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let versions = AtomicUsize::new(0);
        let stopping = stop.clone();
        let thread = thread::spawn(move || {
            l.set_nonblocking(true).expect("nonblocking");
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stopping.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok((mut s, _)) = l.accept() else {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let (line, _) = read_request_head(&s);
                let (status, body) = match line.split_whitespace().nth(1).unwrap_or("") {
                    "/__version__" => {
                        let (commit, version) =
                            if versions.fetch_add(1, Ordering::Relaxed) < old_answers {
                                (OLD, "1.0.0")
                            } else {
                                (NEW, "2.0.0")
                            };
                        (
                            200,
                            format!(
                                r#"{{"source":"https://github.com/x/y","version":"{version}","commit":"{commit}","build":"https://ci/1"}}"#
                            ),
                        )
                    }
                    "/__heartbeat__" if heartbeat == 200 => (200, r#"{"status":"ok"}"#.into()),
                    "/__heartbeat__" => (
                        heartbeat,
                        r#"{"status":"error","checks":{"database":"error"}}"#.into(),
                    ),
                    _ => (404, String::new()),
                };
                let _ = s.write_all(
                    format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
        Rollout {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

/// `dockerflow check url URL OPTIONS...` in `tmp`.
fn check_url(url: &str, options: &[&str], tmp: &TempDir) -> Output {
    dockerflow(&[&["check", "url", url][..], options].concat(), tmp.path())
}

/// `dockerflow check url URL --expect-commit COMMIT [--expect-version VERSION] --wait WAIT`.
fn verify(url: &str, commit: &str, version: Option<&str>, wait: &str, tmp: &TempDir) -> Output {
    let mut options = vec!["--expect-commit", commit];
    options.extend(
        version
            .map(|v| ["--expect-version", v])
            .into_iter()
            .flatten(),
    );
    options.extend(["--wait", wait]);
    check_url(url, &options, tmp)
}

impl Drop for Rollout {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_deploy_that_rolls_out_exits_0_with_a_line_per_change() {
    let tmp = TempDir::new("deploy");
    let service = Rollout::start(2, 200);
    let o = verify(&service.url, &NEW[..7], Some("2.0.0"), "30s", &tmp);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(code(&o), 0, "{out}{err}");
    assert!(
        out.starts_with(&format!(
            "deployed: {} answers commit {NEW}, version 2.0.0 and /__heartbeat__ 200",
            service.url
        )),
        "{out}"
    );
    // Not a terminal: one line per change, the old commit once, then the new one.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].ends_with(&format!("/__version__ answers commit {OLD}, version 1.0.0")),
        "{err}"
    );
    assert!(
        lines[1].ends_with(&format!(
            "/__version__ answers commit {NEW}, /__heartbeat__ 200"
        )),
        "{err}"
    );
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
}

#[test]
fn a_deploy_that_never_rolls_out_exits_1_naming_the_commit_seen() {
    let tmp = TempDir::new("deploy");
    let service = Rollout::start(usize::MAX, 200);
    let o = verify(&service.url, NEW, Some("2.0.0"), "2", &tmp);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(code(&o), 1, "{out}{err}");
    assert_eq!(
        out,
        format!(
            "not deployed within 2 s (--wait): expected commit {NEW} and version 2.0.0, but \
             /__version__ answers commit {OLD}, version 1.0.0\n"
        )
    );
    assert_eq!(err.lines().count(), 1, "no change, one line: {err}");
}

#[test]
fn a_failing_heartbeat_after_the_right_commit_exits_1() {
    let tmp = TempDir::new("deploy");
    let service = Rollout::start(0, 500);
    let o = verify(&service.url, NEW, None, "1.5", &tmp);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}{}", stderr(&o));
    assert!(
        out.contains(&format!(
            "but /__version__ answers commit {NEW}; /__heartbeat__ answered 500 {{\"status\":\"error\""
        )),
        "{out}"
    );
}

#[test]
fn nothing_listening_within_the_wait_exits_2() {
    let tmp = TempDir::new("deploy");
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let o = verify(&url, NEW, None, "2s", &tmp);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    // The progress line, then the error line.
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].ends_with(&format!(
            "nothing listens at 127.0.0.1:{port} (connection refused)"
        )),
        "{err}"
    );
    let e = lines[1];
    assert!(
        e.starts_with("dockerflow: error: ")
            && e.contains(&format!(
                "cannot verify the deploy at http://127.0.0.1:{port} within 2 s (--wait): nothing \
             listens at 127.0.0.1:{port} (connection refused)"
            )),
        "{e}"
    );
}

#[test]
fn bad_deploy_verification_arguments_exit_2_saying_what_is_expected() {
    let tmp = TempDir::new("deploy");
    let url = "http://127.0.0.1:1";
    for (args, want) in [
        (
            vec!["--expect-commit", NEW, "--wait", "ten minutes"],
            "invalid value 'ten minutes' for '--wait <DURATION>': expected a duration of at most a day: seconds (90), or with a unit (90s, 10m, 1h30m)",
        ),
        (
            vec!["--expect-commit", NEW, "--wait=-5"],
            "expected a duration of at most a day",
        ),
        (
            vec!["--expect-commit", "abc12", "--wait", "10"],
            "invalid value 'abc12' for '--expect-commit <SHA>': expected a git commit: 7 to 64 hex digits (a short or full SHA)",
        ),
        (
            vec!["--wait", "10"],
            "the following required arguments were not provided: --expect-commit <SHA>",
        ),
        (
            vec!["--expect-version", "1.0.0"],
            "the following required arguments were not provided: --expect-commit <SHA>",
        ),
    ] {
        let e = error_line(&check_url(url, &args, &tmp));
        assert!(e.contains(want), "{args:?}: {e}");
        assert!(e.contains("(see `dockerflow check url --help`)"), "{e}");
    }
    // A report option would be ignored: refused, before any request.
    for flag in [vec!["--format", "json"], vec!["--report", "junit=x.xml"]] {
        let e = error_line(&check_url(
            url,
            &[&["--expect-commit", NEW][..], &flag].concat(),
            &tmp,
        ));
        assert!(
            e.contains(&format!(
                "{} does not apply with --expect-commit, which verifies a deploy",
                flag[0]
            )),
            "{e}"
        );
    }
}

/// Runs the command on a pseudo-terminal (util-linux `script`), with `CI` as given: what a
/// person at a terminal sees, stdout and stderr together.
fn on_a_terminal(command: &str, ci: Option<&str>) -> String {
    let mut c = std::process::Command::new("script");
    c.args(["-qec", command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .env_remove("CI");
    if let Some(v) = ci {
        c.env("CI", v);
    }
    let o = c.output().expect("run script (util-linux)");
    assert!(o.status.success(), "{o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_terminal_gets_a_live_line_and_ci_one_line_per_change() {
    if !dockerflow_testkit::require("util-linux `script`", which("script")) {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_dockerflow");
    for ci in [None, Some("true")] {
        // Three old answers: the live line is redrawn at least once before the change.
        let service = Rollout::start(3, 200);
        let out = on_a_terminal(
            &format!(
                "{bin} check url {} --expect-commit {} --wait 30",
                service.url,
                &NEW[..7]
            ),
            ci,
        );
        assert!(
            out.contains(&format!("/__version__ answers commit {OLD}\r\n")),
            "{out:?}"
        );
        assert!(out.contains("deployed: "), "{out:?}");
        // The old commit's line, then (on a terminal) its live redraws, one per later poll
        // that saw it, each erasing the line before.
        let old = out
            .matches(&format!("s  /__version__ answers commit {OLD}"))
            .count();
        match ci {
            None => assert!(
                old >= 3 && out.matches("\r\x1b[2K").count() >= 3,
                "a live line on a terminal: {out:?}"
            ),
            Some(_) => assert!(
                old == 1 && !out.contains('\x1b') && out.matches(" s  ").count() == 2,
                "one line per change in CI: {out:?}"
            ),
        }
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}
