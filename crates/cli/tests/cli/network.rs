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
    let o = dockerflow(
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
    );
    assert_eq!(crate::code(&o), 2);
    let e = crate::stderr(&o);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "one retry line, then the error: {e}");
    assert!(lines[0].ends_with("trying again (attempt 2 of 2)"), "{e}");
    assert!(
        lines[1].starts_with("dockerflow: error: ")
            && lines[1].contains(&format!("GET http://127.0.0.1:{port}/v2/"))
            && lines[1].contains("timeout"),
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

/// A registry that answers 503: each retry is one line naming the step, then the error; the
/// number of tries is `--retries` + 1.
#[test]
fn each_retry_is_said_on_one_line() {
    use std::io::{BufRead, BufReader, Write};
    let tmp = TempDir::new("network");
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in busy.incoming().take(8) {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                line.clear();
            }
            let _ = s.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let o = dockerflow(
        &[
            "check",
            "image",
            &format!("docker://127.0.0.1:{port}/app:1"),
            "--retries",
            "2",
        ],
        tmp.path(),
    );
    assert_eq!(crate::code(&o), 2);
    let e = crate::stderr(&o);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 3, "{e}");
    for (line, attempt) in lines.iter().zip([2, 3]) {
        assert!(
            line.starts_with("dockerflow: reaching the registry failed: ")
                && line.contains("503")
                && line.ends_with(&format!("trying again (attempt {attempt} of 3)")),
            "{line}"
        );
    }
    assert!(lines[2].starts_with("dockerflow: error: "), "{e}");
}
