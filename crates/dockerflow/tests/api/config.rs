//! Start-up configuration errors: one line naming the variable, non-zero exit.

use std::process::Command;

fn start_with(env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dockerflow-example"));
    command.env_clear().env("HOST", "127.0.0.1");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run dockerflow-example")
}

#[test]
fn invalid_port_is_a_one_line_error_and_a_failure_exit() {
    for bad in ["abc", "0", "65536", "-5", ""] {
        let out = start_with(&[("PORT", bad)]);
        assert!(!out.status.success(), "PORT={bad:?} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(
            lines[0].contains("PORT") && lines[0].contains(&format!("{bad:?}")),
            "{stderr}"
        );
        // The same error is a critical mozlog record on stdout.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let record = stdout
            .lines()
            .map(crate::helpers::validate_log_line)
            .find(|v| v["Severity"] == 2);
        assert!(record.is_some(), "{stdout}");
    }
}

#[test]
fn other_invalid_settings_name_themselves() {
    for (name, value) in [
        ("HOST", "not-an-ip"),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS", "200"),
        ("DOCKERFLOW_LOG_FORMAT", "xml"),
        ("DOCKERFLOW_DRAIN_DELAY_MS", "soon"),
    ] {
        let out = start_with(&[("PORT", "8000"), (name, value)]);
        assert!(!out.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name) && stderr.contains(value), "{stderr}");
    }
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = start_with(&[("PORT", &port)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")) && stderr.contains("PORT"),
        "{stderr}"
    );
}

#[test]
fn text_format_for_local_work() {
    let app = crate::helpers::spawn_app(&[("DOCKERFLOW_LOG_FORMAT", "text")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let lines = app.raw_stdout();
        if let Some(line) = lines.iter().find(|l| l.contains("listening on")) {
            assert!(!line.starts_with('{'), "{line}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{lines:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
