//! Start-up configuration errors: one line naming the variable, exit status 1.

use std::process::Command;

#[test]
fn invalid_port_is_a_one_line_error_and_exit_1() {
    for bad in ["abc", "0", "65536"] {
        let out = Command::new(env!("CARGO_BIN_EXE_dockerflow-actix-example"))
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", bad)
            .output()
            .expect("run dockerflow-actix-example");
        assert_eq!(out.status.code(), Some(1), "PORT={bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(
            lines[0].starts_with("dockerflow-actix-example: invalid PORT=")
                && lines[0].contains(&format!("{bad:?}")),
            "{stderr}"
        );
        // The same error is a critical mozlog record on stdout.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let records: Vec<_> = stdout
            .lines()
            .map(crate::helpers::validate_log_line)
            .collect();
        assert!(records.iter().any(|v| v["Severity"] == 2), "{stdout}");
    }
}
