//! Outcomes and exit codes: 0 pass, 1 a rule failed (or warned, with `--fail-on warn`), 2 the
//! check could not be made: nothing listening, no answer, a Dockerfile `docker build` refuses.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use dockerflow_testkit::TempDir;

use crate::{code, dockerflow, error_line, stdout, GOOD_DOCKERFILE};

#[test]
fn check_url_that_nobody_answers_exits_2_after_one_timeout() {
    let tmp = TempDir::new("outcomes");
    // Listening (the kernel completes the handshake) but never answering.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let started = Instant::now();
    let e = error_line(&dockerflow(
        &[
            "check",
            "url",
            &format!("http://127.0.0.1:{port}"),
            "--timeout",
            "1",
        ],
        tmp.path(),
    ));
    assert!(
        e.contains(&format!(
            "no answer within 1 s (--timeout) from 127.0.0.1:{port}"
        )),
        "{e}"
    );
    // One timeout, not one per request (six requests would take 6 s).
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
    let e = error_line(&dockerflow(
        &["check", "url", &format!("http://127.0.0.1:{port}")],
        tmp.path(),
    ));
    assert!(
        e.contains(&format!("nothing listens at 127.0.0.1:{port}")),
        "{e}"
    );
}

#[test]
fn a_dockerfile_docker_build_refuses_exits_2_with_file_and_line() {
    let tmp = TempDir::new("outcomes");
    for (text, want) in [
        (
            "FROM debian\nFOOBAR baz\nUSER app\n",
            "D:2: expected an instruction (FROM,",
        ),
        (
            "FROM debian\nUSER\n",
            "D:2: USER: expected a user (NAME, UID, NAME:GROUP or UID:GID), found nothing; \
             `docker build` refuses this Dockerfile",
        ),
        (
            "FROM debian\nCOPY --bogus=1 a b\n",
            "D:2: COPY: unknown flag --bogus",
        ),
        (
            "FROM debian\nENV\n",
            "D:2: ENV: expected NAME=VALUE, found nothing",
        ),
        ("FROM debian a b\n", "D:1: FROM: expected 'FROM IMAGE'"),
    ] {
        std::fs::write(tmp.path().join("D"), text).expect("write");
        let e = error_line(&dockerflow(&["check", "dockerfile", "D"], tmp.path()));
        assert!(e.contains(want), "{text:?}: {e}");
    }
    // A malformed JSON array is the shell form to the builder: judged, not refused.
    std::fs::write(
        tmp.path().join("D"),
        GOOD_DOCKERFILE.replace("CMD [\"serve\"]", "CMD [\"serve\""),
    )
    .expect("write");
    let o = dockerflow(&["check", "dockerfile", "D"], tmp.path());
    assert_ne!(code(&o), 2, "{}", stdout(&o));
}

#[test]
fn fail_on_warn_makes_a_warning_exit_1() {
    let tmp = TempDir::new("outcomes");
    // DF303 is a SHOULD: no ENV PORT warns.
    let warns = GOOD_DOCKERFILE.replace("ENV PORT=8000", "ENV PORT_NUMBER=8000");
    std::fs::write(tmp.path().join("Dockerfile"), warns).expect("write");
    let o = dockerflow(&["check", "dockerfile", "Dockerfile"], tmp.path());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("WARN  DF303"), "{}", stdout(&o));
    let o = dockerflow(
        &["check", "dockerfile", "Dockerfile", "--fail-on", "warn"],
        tmp.path(),
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    // An ignored warning does not count.
    let o = dockerflow(
        &[
            "check",
            "--fail-on=warn",
            "--ignore",
            "DF303=a test fixture",
            "dockerfile",
            "Dockerfile",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    std::fs::write(tmp.path().join("Dockerfile"), GOOD_DOCKERFILE).expect("write");
    let o = dockerflow(
        &["check", "dockerfile", "Dockerfile", "--fail-on", "warn"],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}
