//! `dockerflow publish` and `dockerflow check image docker://...` against a real
//! `docker-registry` on loopback.

use std::path::Path;
use std::process::{Command, Output};

use crate::registry_support::{
    get_v2, image_tars, put_image, put_layout_index, registry_available, sha, tar_layout,
    write_docker_archive, write_two_platforms, Registry, TempDir, OCI,
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
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
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
    let Some(registry) = Registry::start_if_available(&[("ci", "Right-Pass-123")]) else {
        return;
    };
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
    assert!(
        text(&o).contains("required arguments were not provided: <DEST>"),
        "{}",
        text(&o)
    );
    let o = dockerflow(&["publish", "oci:x", "oci:y"], tmp.path(), &[]);
    assert!(
        text(&o).contains("expected docker://REGISTRY/REPO[:TAG]"),
        "{}",
        text(&o)
    );
    // A DEST without a transport is not taken for an engine image: the registry form is named.
    let o = dockerflow(&["publish", "oci:x", "ghcr.io/org/x:v1"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(
            "cannot publish to \"ghcr.io/org/x:v1\": DEST names no transport; expected docker://ghcr.io/org/x:v1"
        ),
        "{}",
        text(&o)
    );
    let o = dockerflow(&["publish", "oci:x", "docker-daemon:x:v1"], tmp.path(), &[]);
    assert!(
        text(&o).contains("only registries are supported as DEST yet"),
        "{}",
        text(&o)
    );
    let o = dockerflow(&["publish", "--help"], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("docker-image-shasum256.txt"));
    assert!(
        help.contains("--platform <OS/ARCH") && help.contains("byte for byte"),
        "{help}"
    );
    assert!(help.contains("index"), "{help}");
    let o = dockerflow(
        &[
            "publish",
            "oci:x",
            "docker://127.0.0.1:1/a",
            "--platform",
            "linux",
        ],
        tmp.path(),
        &[],
    );
    assert!(
        text(&o).contains("expected OS/ARCH[/VARIANT]"),
        "{}",
        text(&o)
    );
}

#[test]
fn on_a_terminal_publish_redraws_one_progress_line() {
    if !registry_available() {
        return;
    }
    if !Path::new("/usr/bin/script").exists() {
        // util-linux's `script` gives the command a pseudo-terminal; it is in every Debian.
        dockerflow_testkit::skip("/usr/bin/script (util-linux) is missing");
        return;
    }
    let registry = Registry::start(&[]);
    let tmp = TempDir::new("cli-publish");
    let archive = tmp.path().join("image.tar");
    write_docker_archive(&archive, &image_tars(200_000, 13), "app:latest");
    // Each run to its own repository, so that each uploads the layer.
    let on_a_terminal = |ci: Option<&str>| {
        let command = format!(
            "{} publish docker-archive:{} docker://{}/tty-{}/app:v1 --chunk-size 16384",
            env!("CARGO_BIN_EXE_dockerflow"),
            archive.display(),
            registry.host(),
            ci.unwrap_or("unset")
        );
        let mut c = Command::new("/usr/bin/script");
        c.args(["-qec", &command, "/dev/null"])
            .current_dir(tmp.path())
            .env_remove("CI")
            .env("DOCKER_CONFIG", tmp.path().join("no-docker-config"))
            .env("DOCKERFLOW_CACHE_DIR", tmp.path().join("cache"));
        if let Some(v) = ci {
            c.env("CI", v);
        }
        let o = c.output().expect("run script");
        let screen = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(o.status.code(), Some(0), "{screen}");
        assert!(screen.contains("published "), "{screen:?}");
        screen
    };
    // `CI=1` is not CI (only `CI=true` is, as for the test suite): the progress is live.
    for ci in [None, Some("1")] {
        let screen = on_a_terminal(ci);
        // The layer's progress is redrawn in place: carriage return, clear line, "sent / size".
        assert!(
            screen.contains("\r\x1b[2Klayer 1: "),
            "CI={ci:?}: {screen:?}"
        );
        assert!(screen.contains(" KiB / "), "CI={ci:?}: {screen:?}");
    }
    // Under CI=true, one line per step even on a terminal.
    let screen = on_a_terminal(Some("true"));
    assert!(!screen.contains("\x1b[2K"), "{screen:?}");
    assert!(screen.contains("layer 1: uploading "), "{screen:?}");
}

/// The digest file's content, checked for its form.
fn digest_file(dir: &Path, name: &str) -> String {
    let d = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        d.starts_with("sha256:") && d.ends_with('\n') && d.len() == 72,
        "{d:?}"
    );
    d.trim().to_string()
}

#[test]
fn publish_of_an_oci_archive_writes_the_sources_own_manifest_digest() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let tmp = TempDir::new("cli-publish");
    let layout = tmp.path().join("layout");
    let image = put_image(&layout, &OCI, &image_tars(10_000, 14), "amd64");
    put_layout_index(&layout, image.descriptor.clone(), "v1");
    let archive = tmp.path().join("image.tar");
    tar_layout(&layout, &archive);
    for (src, tag) in [
        (format!("oci-archive:{}", archive.display()), "archive"),
        (format!("oci:{}", layout.display()), "layout"),
    ] {
        let dest = format!("docker://{}/kept/app:{tag}", registry.host());
        let o = dockerflow(&["publish", &src, &dest], tmp.path(), &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_eq!(
            digest_file(tmp.path(), "docker-image-shasum256.txt"),
            image.digest.to_string()
        );
        assert!(!text(&o).contains("re-encoded"), "{}", text(&o));
        let served = get_v2(&registry.host(), &format!("kept/app/manifests/{tag}"));
        assert!(served.body == image.bytes, "{src}: other bytes served");
        assert_eq!(served.digest, image.digest.to_string());
    }
}

#[test]
fn publish_copies_an_index_whole_and_one_platform_with_platform() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let host = registry.host();
    let tmp = TempDir::new("cli-publish");
    let layout = tmp.path().join("layout");
    let two = write_two_platforms(&layout, &OCI, "v1");
    let archive = tmp.path().join("multi.tar");
    tar_layout(&layout, &archive);
    let src = format!("oci-archive:{}", archive.display());

    let o = dockerflow(
        &["publish", &src, &format!("docker://{host}/multi/app:v1")],
        tmp.path(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        digest_file(tmp.path(), "docker-image-shasum256.txt"),
        two.index.digest.to_string()
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("an index of 2 manifests; 5 blobs uploaded, 0 already there"),
        "{}",
        text(&o)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    for platform in [&two.amd64, &two.arm64] {
        assert!(
            err.contains(&format!("manifest {} pushed", platform.digest)),
            "{err}"
        );
        let a = get_v2(&host, &format!("multi/app/manifests/{}", platform.digest));
        assert!(a.status == 200 && a.body == platform.bytes);
    }
    let served = get_v2(&host, "multi/app/manifests/v1");
    assert!(served.body == two.index.bytes);
    assert_eq!(served.content_type, OCI.index);

    // Registry to registry (the same one: blobs mounted), the index digest kept.
    let o = dockerflow(
        &[
            "publish",
            &format!("docker://{host}/multi/app:v1"),
            &format!("docker://{host}/copy/app:v1"),
            "--digest-file",
            "copy.txt",
        ],
        tmp.path(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        digest_file(tmp.path(), "copy.txt"),
        two.index.digest.to_string()
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 blobs uploaded, 0 already there, 5 mounted"),
        "{}",
        text(&o)
    );
    assert!(get_v2(&host, "copy/app/manifests/v1").body == two.index.bytes);

    let o = dockerflow(
        &[
            "publish",
            &src,
            &format!("docker://{host}/single/app:arm64"),
            "--platform=linux/arm64",
            "--digest-file",
            "arm64.txt",
        ],
        tmp.path(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        digest_file(tmp.path(), "arm64.txt"),
        two.arm64.digest.to_string()
    );
    let served = get_v2(&host, "single/app/manifests/arm64");
    assert!(served.body == two.arm64.bytes);
    assert_eq!(served.content_type, OCI.manifest);
    let other = get_v2(&host, &format!("single/app/manifests/{}", two.amd64.digest));
    assert_eq!(other.status, 404, "only the platform asked for");
}

#[test]
fn publish_of_an_index_missing_a_platform_names_the_digest_and_tags_nothing() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let tmp = TempDir::new("cli-publish");
    let layout = tmp.path().join("layout");
    let two = write_two_platforms(&layout, &OCI, "v1");
    std::fs::remove_file(layout.join(two.amd64.digest.blob_path())).expect("remove");
    let archive = tmp.path().join("multi.tar");
    tar_layout(&layout, &archive);
    let src = format!("oci-archive:{}", archive.display());
    let dest = format!("docker://{}/broken/app:v1", registry.host());
    let o = dockerflow(&["publish", &src, &dest], tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let last = String::from_utf8_lossy(&o.stderr)
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert!(
        last.starts_with("dockerflow: error: ")
            && last.contains(&two.amd64.digest.to_string())
            && last.contains("missing")
            && last.contains("--platform"),
        "{}",
        text(&o)
    );
    assert!(!tmp.path().join("docker-image-shasum256.txt").exists());
    assert_eq!(
        get_v2(&registry.host(), "broken/app/manifests/v1").status,
        404
    );
    assert_eq!(
        get_v2(
            &registry.host(),
            &format!("broken/app/manifests/{}", sha(&two.index.bytes))
        )
        .status,
        404
    );

    // The platform that is there can still be published alone.
    let o = dockerflow(
        &["publish", &src, &dest, "--platform", "linux/arm64"],
        tmp.path(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        digest_file(tmp.path(), "docker-image-shasum256.txt"),
        two.arm64.digest.to_string()
    );
}
