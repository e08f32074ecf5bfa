//! `dockerflow publish` and `dockerflow check image docker://...` against a real
//! `docker-registry` on loopback.

use std::path::Path;
use std::process::{Command, Output};

use crate::registry_support::{
    image_tars, registry_available, write_docker_archive, Registry, TempDir,
};

fn dockerflow(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dockerflow"));
    c.args(args)
        .current_dir(cwd)
        .env("CI", "true")
        .env("DOCKER_CONFIG", cwd.join("no-docker-config"))
        .env("DOCKERFLOW_CACHE_DIR", cwd.join("cache"))
        .env_remove("DOCKERFLOW_REGISTRY_USER")
        .env_remove("DOCKERFLOW_REGISTRY_PASSWORD")
        .env_remove("DOCKERFLOW_REGISTRY_HOST");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run dockerflow")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn publish_writes_the_digest_file_and_the_image_checks_from_the_registry() {
    if !registry_available() {
        return;
    }
    let registry = Registry::start(&[]);
    let tmp = TempDir::new("cli-publish");
    let archive = tmp.path().join("image.tar");
    write_docker_archive(&archive, &image_tars(20_000, 11), "app:latest");
    let src = format!("docker-archive:{}", archive.display());
    let dest = format!("docker://{}/demo/app:v1", registry.host());
    let o = dockerflow(&["publish", &src, &dest], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let digest = std::fs::read_to_string(tmp.path().join("docker-image-shasum256.txt"))
        .expect("docker-image-shasum256.txt");
    let hex = digest
        .strip_prefix("sha256:")
        .and_then(|d| d.strip_suffix('\n'))
        .unwrap_or("");
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{digest:?}"
    );
    // Quiet mode under CI: one line per step on stderr, the result on stdout.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.lines().all(|l| l.starts_with("dockerflow: ")), "{err}");
    assert!(!err.contains('\r'), "no progress redraws in CI: {err:?}");
    assert!(
        err.contains("layer 1: compressing") && err.contains("manifest: sha256:"),
        "{err}"
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(digest.trim()),
        "{}",
        text(&o)
    );

    // The pushed image, checked by digest straight from the registry (JSON report).
    let by_digest = format!("docker://{}/demo/app@{}", registry.host(), digest.trim());
    let o = dockerflow(
        &["check", "image", &by_digest, "--format", "json"],
        tmp.path(),
        &[],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert!(
        report.get("verdict").is_some() || report.get("summary").is_some(),
        "{report}"
    );

    // A second publish skips every blob and writes the same digest to the file asked for.
    let o = dockerflow(
        &["publish", &src, &dest, "--digest-file", "again.txt"],
        tmp.path(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("again.txt")).expect("again.txt"),
        digest
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 blobs uploaded, 3 already there, 0 mounted")
    );
    // The layers' gzip digests were remembered: nothing was compressed the second time.
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("compressing"),
        "{}",
        text(&o)
    );
    assert!(tmp.path().join("cache/blob-digests").exists());
}

#[test]
fn publish_with_wrong_credentials_fails_in_one_line_without_the_password() {
    if !registry_available() {
        return;
    }
    let registry = Registry::start(&[("ci", "Right-Pass-123")]);
    let tmp = TempDir::new("cli-publish");
    let archive = tmp.path().join("image.tar");
    write_docker_archive(&archive, &image_tars(1000, 12), "app:latest");
    let src = format!("docker-archive:{}", archive.display());
    let dest = format!("docker://{}/demo/app:v1", registry.host());
    let wrong = "Wrong-Pass-456";
    let o = dockerflow(
        &["publish", &src, &dest],
        tmp.path(),
        &[
            ("DOCKERFLOW_REGISTRY_USER", "ci"),
            ("DOCKERFLOW_REGISTRY_PASSWORD", wrong),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let all = text(&o);
    assert!(!all.contains(wrong), "{all}");
    let last = String::from_utf8_lossy(&o.stderr)
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert!(
        last.starts_with("dockerflow: error: ") && last.contains("refused the credentials"),
        "{all}"
    );
    assert!(!tmp.path().join("docker-image-shasum256.txt").exists());

    let o = dockerflow(
        &["publish", &src, &dest],
        tmp.path(),
        &[
            ("DOCKERFLOW_REGISTRY_USER", "ci"),
            ("DOCKERFLOW_REGISTRY_PASSWORD", "Right-Pass-123"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("Right-Pass-123"));
}

#[test]
fn publish_refuses_bad_arguments_with_the_expected_form() {
    let tmp = TempDir::new("cli-publish");
    let o = dockerflow(&["publish", "oci:x"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("needs SRC and DEST"), "{}", text(&o));
    let o = dockerflow(&["publish", "oci:x", "oci:y"], tmp.path(), &[]);
    assert!(
        text(&o).contains("expected docker://REGISTRY/REPO[:TAG]"),
        "{}",
        text(&o)
    );
    let o = dockerflow(&["publish", "--help"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("docker-image-shasum256.txt"));
}

#[test]
fn on_a_terminal_publish_redraws_one_progress_line() {
    if !registry_available() {
        return;
    }
    if !Path::new("/usr/bin/script").exists() {
        // util-linux's `script` gives the command a pseudo-terminal; it is in every Debian.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "/usr/bin/script is missing"
        );
        eprintln!("SKIPPED: /usr/bin/script (util-linux) is missing");
        return;
    }
    let registry = Registry::start(&[]);
    let tmp = TempDir::new("cli-publish");
    let archive = tmp.path().join("image.tar");
    write_docker_archive(&archive, &image_tars(200_000, 13), "app:latest");
    let command = format!(
        "{} publish docker-archive:{} docker://{}/tty/app:v1 --chunk-size 16384",
        env!("CARGO_BIN_EXE_dockerflow"),
        archive.display(),
        registry.host()
    );
    let o = Command::new("/usr/bin/script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(tmp.path())
        .env_remove("CI")
        .env("DOCKER_CONFIG", tmp.path().join("no-docker-config"))
        .env("DOCKERFLOW_CACHE_DIR", tmp.path().join("cache"))
        .output()
        .expect("run script");
    let screen = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{screen}");
    // The layer's progress is redrawn in place: carriage return, clear line, "sent / size".
    assert!(screen.contains("\r\x1b[2Klayer 1: "), "{screen:?}");
    assert!(screen.contains(" KiB / "), "{screen:?}");
    assert!(screen.contains("published "), "{screen:?}");
}
