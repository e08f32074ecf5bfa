//! Headless Chromium for the suites that look at a page: where the browser and its driver
//! are (Debian's paths, overridable), [`require`]d so that a missing one skips the test
//! (fails it under `CI=true`), and where a test keeps what it saw ([`artifact`]).

use std::path::{Path, PathBuf};

use crate::require;

/// A program: `$VARIABLE` when set and not empty (another install, or a path that does not
/// exist to see the skip), else Debian's `default` path.
pub fn program(variable: &str, default: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Chromium: `$CHROMIUM`, else `/usr/bin/chromium` (Debian package `chromium`).
pub fn chromium() -> String {
    program("CHROMIUM", "/usr/bin/chromium")
}

/// ChromeDriver: `$CHROMEDRIVER`, else `/usr/bin/chromedriver` (Debian package
/// `chromium-driver`).
pub fn chromedriver() -> String {
    program("CHROMEDRIVER", "/usr/bin/chromedriver")
}

/// The programs that are not there, each as `NAME at PATH (Debian package PACKAGE)`, from
/// `(name, path, package)`; [`require`]s them all at once, so the skip names every missing
/// one. `true` when all are there.
#[track_caller]
pub fn require_programs(programs: &[(&str, &str, &str)]) -> bool {
    let missing: Vec<String> = programs
        .iter()
        .filter(|(_, path, _)| !Path::new(path).is_file())
        .map(|(name, path, package)| format!("{name} at {path} (Debian package {package})"))
        .collect();
    let packages: Vec<&str> = programs.iter().map(|(_, _, p)| *p).collect();
    require(
        &format!(
            "{} (install: `apt-get install -y {}`)",
            missing.join(" and "),
            packages.join(" ")
        ),
        missing.is_empty(),
    )
}

/// Chromium's path when it is installed; `None` after [`require`] otherwise.
#[track_caller]
pub fn require_chromium() -> Option<String> {
    let chromium = chromium();
    require_programs(&[("Chromium", &chromium, "chromium")]).then_some(chromium)
}

/// Where a test keeps what it saw (a screenshot): `<target>/test-artifacts/NAME`, the
/// directory created, found from the test binary's place (`<target>/<profile>/deps/`) so it
/// follows `CARGO_TARGET_DIR`.
pub fn artifact(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<binary>");
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("test-artifacts dir");
    dir.join(name)
}
