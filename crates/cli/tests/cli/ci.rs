//! `dockerflow ci`, black-box: the whole pipeline against a real engine and a real
//! `docker-registry` on loopback, and the masking of secrets in everything it prints and logs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use dockerflow_testkit::registry::{require as registry_available, Registry};
use dockerflow_testkit::TempDir;

use crate::runtime::{database, engine, fixture_binary};

const VERSION_JSON: &str = r#"{"source":"https://github.com/dockerflow-rs/dockerflow","version":"v1.2.3","commit":"0123456789abcdef0123456789abcdef01234567","build":"https://ci.example.com/1"}"#;

fn ci(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dockerflow"));
    c.arg("ci")
        .args(args)
        .current_dir(cwd)
        .env("CI", "true")
        .env("DOCKER_CONFIG", cwd.join("no-docker-config"))
        .env_remove("DOCKERFLOW_REGISTRY_USER")
        .env_remove("DOCKERFLOW_REGISTRY_PASSWORD")
        .env_remove("DOCKERFLOW_REGISTRY_HOST");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run dockerflow ci")
}

fn all_output(o: &Output, log: &Path) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- log\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        std::fs::read_to_string(log).unwrap_or_else(|e| format!("(no log: {e})"))
    )
}

fn write_server(dir: &Path) {
    let server = dir.join("server");
    std::fs::write(&server, fixture_binary()).expect("write the fixture server");
    std::fs::set_permissions(&server, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Daemonless build of the fixture server, static and runtime check (one dependency taken
/// down), publish of two tags; the log holds every step, the digest file the manifest digest,
/// and the password in the database URL appears nowhere.
#[test]
fn ci_builds_checks_and_publishes_a_compliant_image() {
    if !registry_available() {
        return;
    }
    let Some(_engine) = engine() else { return };
    let registry = Registry::start(&[]);
    let tmp = TempDir::new("cli-ci-pass");
    write_server(tmp.path());
    std::fs::write(tmp.path().join("version.json"), VERSION_JSON).expect("version.json");
    let (_db, url) = database();
    let repo = format!("docker://{}/demo/app", registry.host());
    let env_arg = format!("DATABASE_URL={url}");
    let o = ci(
        &[
            "--binary",
            "server",
            "--cmd",
            r#"["serve"]"#,
            "--version-json",
            "version.json",
            "--env",
            &env_arg,
            "--dependency-env",
            "DATABASE_URL",
            "--registry-image",
            &repo,
            "--tag",
            "v1.2.3",
            "--tag",
            "latest",
            "--junit",
            "check.xml",
            "--log",
            "ci.log",
        ],
        tmp.path(),
        &[],
    );
    let everything = all_output(&o, &tmp.path().join("ci.log"));
    assert_eq!(o.status.code(), Some(0), "{everything}");
    for step in [
        "== version",
        "== build",
        "== check",
        "== publish",
        "ci: PASS",
    ] {
        assert!(everything.contains(step), "{step}: {everything}");
    }
    assert!(
        everything.contains(" --run"),
        "an engine answers: the image runs: {everything}"
    );
    assert!(
        !everything.contains("s3cr3t-pw"),
        "the URL's password is masked: {everything}"
    );
    let digest = std::fs::read_to_string(tmp.path().join("docker-image-shasum256.txt"))
        .expect("docker-image-shasum256.txt");
    assert!(
        digest.starts_with("sha256:") && digest.ends_with('\n'),
        "{digest:?}"
    );
    assert!(everything.contains(&format!("ci: published {}", digest.trim())));
    let junit = std::fs::read_to_string(tmp.path().join("check.xml")).expect("check.xml");
    assert!(
        junit.contains("<testsuite") && junit.contains("DF606"),
        "{junit}"
    );

    // Both tags point at the published manifest, which passes the static check.
    for tag in ["v1.2.3", "latest"] {
        let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
            .args([
                "check",
                "image",
                &format!("{repo}:{tag}"),
                "--format",
                "json",
            ])
            .current_dir(tmp.path())
            .env("DOCKER_CONFIG", tmp.path().join("no-docker-config"))
            .output()
            .expect("check the published image");
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
        assert_eq!(report["verdict"], "pass", "{report}");
    }
}

/// A secret in the environment that also appears in a failing check's report (inside the
/// image's version.json) is masked on stdout, stderr and in the log; nothing is published.
#[test]
fn ci_masks_secrets_and_publishes_nothing_when_the_check_fails() {
    let Some(engine) = engine() else { return };
    let secret = "tok-7c1f9e-very-secret";
    let tmp = TempDir::new("cli-ci-fail");
    write_server(tmp.path());
    std::fs::write(
        tmp.path().join("bad-version.json"),
        VERSION_JSON.replace("0123456789abcdef0123456789abcdef01234567", secret),
    )
    .expect("bad-version.json");
    std::fs::write(
        tmp.path().join("Dockerfile"),
        "FROM scratch\nCOPY server /app/server\nCOPY bad-version.json /app/version.json\n\
         ENTRYPOINT [\"/app/server\"]\n",
    )
    .expect("Dockerfile");

    let o = ci(
        &[
            "--dockerfile",
            "Dockerfile",
            "--registry-image",
            "docker://127.0.0.1:9/never/pushed",
            "--no-run",
            "--log",
            "ci.log",
        ],
        tmp.path(),
        &[
            ("API_TOKEN", secret),
            ("DOCKER_BUILDKIT", "0"),
            // A GitHub Actions push build, for `dockerflow version`.
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "dockerflow-rs/example"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_REF_TYPE", "branch"),
            ("GITHUB_REF_NAME", "main"),
        ],
    );
    let everything = all_output(&o, &tmp.path().join("ci.log"));
    assert_eq!(o.status.code(), Some(1), "{everything}");
    assert!(everything.contains("FAIL  DF401"), "{everything}");
    assert!(!everything.contains(secret), "{everything}");
    assert!(everything.contains("***"), "{everything}");
    assert!(everything.contains("nothing was published"), "{everything}");
    assert!(!tmp.path().join("docker-image-shasum256.txt").exists());
    // ci wrote version.json into the build context for the Dockerfile's COPY.
    assert!(tmp.path().join("version.json").exists());

    // Without ci's masking, the same check does print the secret: the test above can fail.
    let tag = everything
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("docker-daemon:dockerflow-ci:"))
        })
        .expect("the checked image's reference")
        .to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(["check", "image", &tag])
        .output()
        .expect("check");
    assert!(String::from_utf8_lossy(&o.stdout).contains(secret));
    let _ = engine.remove_image(tag.trim_start_matches("docker-daemon:"));
}

/// `dockerflow build --output docker://...` pushes the built image as `publish` does: the
/// digest file holds the manifest digest the build printed, and the registry serves it.
#[test]
fn build_pushes_to_a_registry() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let tmp = TempDir::new("cli-build-push");
    write_server(tmp.path());
    std::fs::write(tmp.path().join("version.json"), VERSION_JSON).expect("version.json");
    let dest = format!("docker://{}/built/app:v1", registry.host());
    let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args([
            "build", "--binary", "server", "--cmd", "serve", "--output", &dest,
        ])
        .current_dir(tmp.path())
        .env("CI", "true")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", tmp.path().join("no-docker-config"))
        .output()
        .expect("dockerflow build");
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let built = out.lines().last().unwrap_or_default().trim().to_string();
    assert!(built.starts_with("sha256:"), "{out}");
    let digest = std::fs::read_to_string(tmp.path().join("docker-image-shasum256.txt"))
        .expect("docker-image-shasum256.txt");
    assert_eq!(digest, format!("{built}\n"));
    let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args([
            "check",
            "image",
            &format!("docker://{}/built/app@{built}", registry.host()),
        ])
        .current_dir(tmp.path())
        .env("DOCKER_CONFIG", tmp.path().join("no-docker-config"))
        .output()
        .expect("check");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// `--dockerfile`: `docker build` of a compliant `FROM scratch` Dockerfile, the running check,
/// and a publish from the engine (exported through its API) to the registry.
#[test]
fn ci_builds_a_dockerfile_and_publishes_from_the_engine() {
    if !registry_available() {
        return;
    }
    let Some(engine) = engine() else { return };
    let registry = Registry::start(&[]);
    let tmp = TempDir::new("cli-ci-dockerfile");
    write_server(tmp.path());
    std::fs::write(
        tmp.path().join("passwd"),
        "root:x:0:0::/root:/sbin/nologin\napp:x:10001:10001::/app:/sbin/nologin\n",
    )
    .expect("passwd");
    std::fs::write(tmp.path().join("group"), "root:x:0:\napp:x:10001:\n").expect("group");
    std::fs::write(
        tmp.path().join("Dockerfile"),
        "FROM scratch\n\
         COPY passwd /etc/passwd\n\
         COPY group /etc/group\n\
         COPY server /app/server\n\
         COPY version.json /app/version.json\n\
         ENV PORT=8000\n\
         EXPOSE 8000\n\
         LABEL org.opencontainers.image.source=https://github.com/dockerflow-rs/example \\\n\
               org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567 \\\n\
               org.opencontainers.image.version=v2.0.0\n\
         USER app\n\
         WORKDIR /app\n\
         ENTRYPOINT [\"/app/server\"]\n\
         CMD [\"serve\"]\n",
    )
    .expect("Dockerfile");
    let (_db, url) = database();
    let repo = format!("docker://{}/from/engine", registry.host());
    let env_arg = format!("DATABASE_URL={url}");
    let o = ci(
        &[
            "--dockerfile",
            "Dockerfile",
            "--env",
            &env_arg,
            "--registry-image",
            &repo,
            "--log",
            "ci.log",
        ],
        tmp.path(),
        &[
            ("DOCKER_BUILDKIT", "0"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "dockerflow-rs/example"),
            ("GITHUB_RUN_ID", "43"),
            ("GITHUB_REF_TYPE", "tag"),
            ("GITHUB_REF_NAME", "v2.0.0"),
        ],
    );
    let everything = all_output(&o, &tmp.path().join("ci.log"));
    let tag = everything
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("docker-daemon:dockerflow-ci:"))
        })
        .map(|t| t.trim_start_matches("docker-daemon:").to_string());
    if let Some(t) = &tag {
        let _ = engine.remove_image(t);
    }
    assert_eq!(o.status.code(), Some(0), "{everything}");
    assert!(everything.contains(" --run"), "{everything}");
    // The tag build publishes the tag's name, and the registry has the image.
    let digest = std::fs::read_to_string(tmp.path().join("docker-image-shasum256.txt"))
        .expect("docker-image-shasum256.txt");
    assert!(
        everything.contains(&format!(
            "{}:v2.0.0@{}",
            &repo["docker://".len()..],
            digest.trim()
        )),
        "{everything}"
    );
    let version: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("version.json")).expect("ci wrote version.json"),
    )
    .expect("json");
    assert_eq!(version["version"], "v2.0.0");
}

/// `build --base docker://...`: a base in a registry, an index of two platforms. The build
/// takes the platform of the binary's architecture, names the base as `docker pull` takes it
/// and pins that platform's manifest digest; the base's layers are the image's first.
#[test]
fn build_on_a_registry_base_takes_the_binary_platform() {
    use crate::registry_support::{write_two_platforms, OCI};
    use dockerflow_oci::{open, ImageRef, OpenOptions};
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let tmp = TempDir::new("cli-build-base");
    write_server(tmp.path());
    std::fs::write(tmp.path().join("version.json"), VERSION_JSON).expect("version.json");
    let two = write_two_platforms(&tmp.path().join("layout"), &OCI, "multi");
    let base = format!("{}/base/multi:1", registry.host());
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
            .args(args)
            .current_dir(tmp.path())
            .env("CI", "true")
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("DOCKER_CONFIG", tmp.path().join("no-docker-config"))
            .env("DOCKERFLOW_CACHE_DIR", tmp.path().join("cache"))
            .output()
            .expect("dockerflow");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code(), all)
    };
    let (code, out) = run(&["publish", "oci:layout:multi", &format!("docker://{base}")]);
    assert_eq!(code, Some(0), "{out}");
    let from = format!("docker://{base}");
    // The server, and the same bytes marked as an arm64 executable (ELF e_machine 183): a
    // build on a base reads only the binary's header, so each picks its own platform.
    let mut arm64 = std::fs::read(tmp.path().join("server")).expect("server");
    arm64[18..20].copy_from_slice(&183u16.to_le_bytes());
    std::fs::write(tmp.path().join("server-arm64"), arm64).expect("write");
    let host = match std::env::consts::ARCH {
        "aarch64" => &two.arm64,
        _ => &two.amd64,
    };
    for (binary, platform) in [("server", host), ("server-arm64", &two.arm64)] {
        let build = [
            "build", "--binary", binary, "--name", "server", "--cmd", "serve", "--base", &from,
            "--output", "oci:out",
        ];
        let (code, out) = run(&build);
        assert_eq!(code, Some(0), "{binary}: {out}");
        let built = open(
            &ImageRef::parse(&format!("oci:{}", tmp.path().join("out").display())).expect("ref"),
            &OpenOptions::default(),
        )
        .expect("the built image");
        let m = built.manifest();
        assert_eq!(
            m.annotations.get("org.opencontainers.image.base.name"),
            Some(&base)
        );
        assert_eq!(
            m.annotations.get("org.opencontainers.image.base.digest"),
            Some(&platform.digest.to_string()),
            "{binary}"
        );
        let base_manifest: serde_json::Value =
            serde_json::from_slice(&platform.bytes).expect("manifest");
        let base_layers = base_manifest["layers"].as_array().expect("layers");
        assert!(m.layers.len() > base_layers.len());
        for (built, base) in m.layers.iter().zip(base_layers) {
            assert_eq!(
                built.digest.to_string(),
                base["digest"].as_str().expect("digest")
            );
        }
        std::fs::remove_dir_all(tmp.path().join("out")).expect("rm out");
    }
    // A base the registry does not have: what, where, and no image written.
    let missing = format!("docker://{}/base/none:1", registry.host());
    let (code, out) = run(&[
        "build",
        "--binary",
        "server",
        "--cmd",
        "serve",
        "--base",
        &missing,
        "--output",
        "oci:never",
    ]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains(&format!("cannot read the base {missing}")),
        "{out}"
    );
    assert!(!tmp.path().join("never").exists());
}

/// Inputs that are not there are refused before anything is written: no log, no work
/// directory, and the message names the flag, what was found and what was expected.
#[test]
fn missing_inputs_are_refused_before_anything_is_written() {
    let tmp = TempDir::new("cli-ci-inputs");
    std::fs::create_dir_all(tmp.path().join("adir")).expect("mkdir");
    for (args, want) in [
        (
            &["--dockerfile", "nope"][..],
            "--dockerfile nope: No such file or directory (os error 2); expected the Dockerfile to build",
        ),
        (
            &["--binary", "adir", "--cmd", "serve"][..],
            "--binary adir: a directory; expected the executable to package",
        ),
        (
            &["--dockerfile", "adir/../nope", "--context", "nowhere"][..],
            "--dockerfile adir/../nope: No such file",
        ),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
            .arg("ci")
            .args(args)
            .current_dir(tmp.path())
            .output()
            .expect("dockerflow ci");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["adir"], "{args:?}: nothing written");
    }
}
