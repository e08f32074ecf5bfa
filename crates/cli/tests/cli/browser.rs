//! The HTML report in a real browser: `check dockerfile --format html` written to a file,
//! opened by headless Chromium from disk (`file://`, no server, no network), which must show
//! the verdict and every failing rule's id as a link; the screenshot is kept at
//! `<target>/test-artifacts/check-report-html.png`. Also the badge through `--report`.
//! Skipped without Chromium, failed without it when `CI=true` (`dockerflow_testkit::browser`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockerflow_testkit::{browser, TempDir};
use serde_json::Value;

use crate::{code, dockerflow, stderr, stdout, ROOT_DOCKERFILE};

/// Runs headless Chromium on `page` with `args`, stdout to `out`, bounded to a minute.
fn chromium(program: &str, profile: &Path, page: &Path, args: &[&str], out: &Path) {
    let mut child = Command::new(program)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out).expect("stdout file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "chromium {args:?}: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_html_report_shows_the_verdict_and_failing_rules_in_chromium() {
    let tmp = TempDir::new("browser");
    let dir = tmp.path();
    std::fs::write(dir.join("Dockerfile"), ROOT_DOCKERFILE).expect("write");
    let o = dockerflow(
        &[
            "check",
            "dockerfile",
            "Dockerfile",
            "--format",
            "html",
            "--output",
            "report.html",
            "--report",
            "json=report.json",
            "--report",
            "badge=badge.svg",
        ],
        dir,
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("json"))
            .expect("json");
    let failing: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["outcome"] == "fail" && f["ignored"].is_null())
        .map(|f| f["rule"].as_str().expect("rule"))
        .collect();
    assert!(!failing.is_empty(), "{json}");
    let badge = std::fs::read_to_string(dir.join("badge.svg")).expect("badge");
    assert!(
        badge.contains(&format!(">{} failed</text>", failing.len())),
        "{badge}"
    );

    let Some(program) = browser::require_chromium() else {
        return;
    };
    let page = dir.join("report.html").canonicalize().expect("page");
    let dom = dir.join("dom.html");
    chromium(
        &program,
        &dir.join("profile-dom"),
        &page,
        &["--dump-dom"],
        &dom,
    );
    let dom = std::fs::read_to_string(dom).expect("dom");
    assert!(
        dom.contains("<title>dockerflow check Dockerfile: FAIL</title>"),
        "{dom}"
    );
    assert!(
        dom.contains("<p class=\"verdict fail\">verdict: FAIL ("),
        "{dom}"
    );
    for id in &failing {
        assert!(
            dom.contains(&format!("\">{id}</a>")),
            "{id} not shown: {dom}"
        );
    }
    assert!(!dom.contains("<script"), "{dom}");

    let screenshot = browser::artifact("check-report-html.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(
        &program,
        &dir.join("profile-shot"),
        &page,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1200,1600",
        ],
        &dir.join("shot.log"),
    );
    let png = std::fs::read(&screenshot).expect("screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 10_000,
        "a nearly empty picture: {} bytes",
        png.len()
    );
}
