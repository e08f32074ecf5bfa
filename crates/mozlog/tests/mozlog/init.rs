//! `init` installs the global subscriber once, and refuses a filter it cannot honour.

use dockerflow_mozlog::{init, Format, LogConfig};

#[test]
fn init_installs_once_and_reports_errors_in_one_line() {
    let mut config = LogConfig {
        logger: "app".into(),
        format: Format::Mozlog,
        filter: "warning".into(),
        max_line_bytes: 65536,
        gcp: false,
        gcp_project: None,
    };
    let e = init(&config).expect_err("a bare word is not a level");
    assert!(
        e.to_string()
            .starts_with(r#"DOCKERFLOW_LOG_LEVEL="warning" is not a log filter: expected"#),
        "{e}"
    );
    // Every other test logs through a scoped subscriber, which takes precedence over this one;
    // "off" keeps stray records of this test binary out of its output.
    config.filter = "off".into();
    init(&config).expect("the first init succeeds");
    let e = init(&config).expect_err("a second init fails");
    assert!(!e.to_string().contains('\n'));
    assert!(e.to_string().contains("already set"), "{e}");
}
