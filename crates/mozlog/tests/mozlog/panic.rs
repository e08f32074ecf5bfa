//! A panic is one critical record.

use crate::support::capture;

#[test]
fn a_panic_is_logged_as_one_critical_record() {
    dockerflow_mozlog::install_panic_hook();
    let c = capture(|| {
        let _request = tracing::info_span!("request", rid = "r-panic").entered();
        let result = std::panic::catch_unwind(|| panic!("boom {}", 7));
        assert!(result.is_err());
    });
    let r = c.only_record();
    assert_eq!(r["Type"], "panic");
    assert_eq!(r["Severity"], 2);
    let f = &r["Fields"];
    assert_eq!(f["msg"], "boom 7");
    assert_eq!(f["rid"], "r-panic");
    let location = f["location"].as_str().expect("location");
    assert!(
        location.starts_with("crates/mozlog/tests/mozlog/panic.rs:")
            || location.contains("panic.rs:"),
        "{location}"
    );
    assert_eq!(location.split(':').count(), 3, "{location}");
    assert!(f["backtrace"].as_str().is_some_and(|b| !b.is_empty()));
    assert!(f.get("critical").is_none() && f.get("type").is_none());
}
