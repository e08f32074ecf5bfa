//! Network failures are fast and said: a refused connection fails at once (never retried),
//! `--timeout` bounds a silent registry, `--retries` bounds the tries. Loopback only.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use dockerflow_testkit::image::{Form, Image};
use dockerflow_testkit::TempDir;

use crate::{dockerflow, error_line};

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

#[test]
fn a_refused_connection_fails_at_once_without_retries() {
    let tmp = TempDir::new("network");
    let port = closed_port();
    let started = Instant::now();
    let e = error_line(&dockerflow(
        &[
            "check",
            "image",
            &format!("docker://127.0.0.1:{port}/app:1"),
        ],
        tmp.path(),
    ));
    assert!(
        e.contains("Connection refused") && e.contains("not retried"),
        "{e}"
    );
    // Five retries with backoff took about 8 s; none takes milliseconds.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    let image = Image::compliant().write(tmp.path(), Form::OciLayout);
    let started = Instant::now();
    let o = dockerflow(
        &[
            "publish",
            &image,
            &format!("docker://127.0.0.1:{port}/app:1"),
        ],
        tmp.path(),
    );
    let e = error_line(&o);
    assert!(e.contains("not retried"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn timeout_and_retries_bound_a_registry_that_never_answers() {
    let tmp = TempDir::new("network");
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let started = Instant::now();
    let e = error_line(&dockerflow(
        &[
            "check",
            "image",
            &format!("docker://127.0.0.1:{port}/app:1"),
            "--timeout",
            "1",
            "--retries",
            "1",
        ],
        tmp.path(),
    ));
    assert!(
        e.contains(&format!("GET http://127.0.0.1:{port}/v2/")),
        "{e}"
    );
    // Two tries of 1 s and one pause, not six tries of 60 s.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let e = error_line(&dockerflow(
        &[
            "check",
            "image",
            "docker://127.0.0.1:1/a",
            "--retries",
            "99",
        ],
        tmp.path(),
    ));
    assert!(e.contains("invalid value '99' for '--retries <N>'"), "{e}");
}
