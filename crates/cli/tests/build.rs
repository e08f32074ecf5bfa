//! Black-box tests of `dockerflow build`: reproducible digests, the image read back by
//! `dockerflow-oci` and judged by the checker (strict), a base image merged and pinned, a
//! docker-archive loaded and run by the real engine, and clear errors on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dockerflow_check::{check_image, ImageModel, Options, Outcome, Verdict};
use dockerflow_oci::manifest::ANNOTATION_REF_NAME;
use dockerflow_oci::{open, ContentRequest, EntryKind, ImageRef, Limits, OpenOptions, Vfs};
use dockerflow_testkit::image::{dir, file, version_json, Form, Image, COMMIT};
use dockerflow_testkit::process::free_port;
use dockerflow_testkit::{skip, TempDir};
use serde_json::{json, Value};

const EPOCH: &str = "1700000000";

fn dockerflow(args: &[&str], cwd: &Path, epoch: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(args)
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", epoch)
        .output()
        .expect("run dockerflow")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The one-line error of a failed run.
fn error(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let e = String::from_utf8_lossy(&o.stderr).into_owned();
    let last = e.lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("dockerflow: error: "), "{e}");
    last
}

/// A small dynamically linked Linux executable to package: coreutils' `true` (Debian's
/// `/usr/bin/true`), else the `dockerflow` binary itself (87 MB in a debug build: slower).
fn some_binary() -> PathBuf {
    let small = Path::new("/usr/bin/true");
    if small.is_file() {
        small.to_path_buf()
    } else {
        the_dockerflow_binary()
    }
}

fn the_dockerflow_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dockerflow"))
}

/// A work directory with version.json and a static directory.
fn workdir(tag: &str) -> TempDir {
    let tmp = TempDir::new(tag);
    std::fs::write(tmp.path().join("version.json"), version_json()).expect("write");
    let s = tmp.path().join("static");
    std::fs::create_dir_all(s.join("css")).expect("mkdir");
    std::fs::write(s.join("index.html"), "<h1>hi</h1>").expect("write");
    std::fs::write(s.join("css/site.css"), "h1{}").expect("write");
    tmp
}

fn build_args<'a>(binary: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "build",
        "--binary",
        binary,
        "--name",
        "app-server",
        "--static",
        "static",
        "--cmd",
        r#"["serve", "--fast"]"#,
        "--env",
        "DATA_DIR=/tmp",
        "--output",
        out,
    ]
}

fn read_back(reference: &str) -> (Box<dyn dockerflow_oci::ImageSource>, Vfs) {
    let r = ImageRef::parse(reference).expect("reference");
    let image = open(&r, &OpenOptions::default()).expect("open the built image");
    let vfs = Vfs::read_image(
        image.as_ref(),
        &ContentRequest::default().with_path("/app/version.json"),
        &Limits::default(),
    )
    .expect("read its layers");
    (image, vfs)
}

fn strict_report(reference: &str) -> dockerflow_check::Report {
    let r = ImageRef::parse(reference).expect("reference");
    let options = OpenOptions::default();
    let image = open(&r, &options).expect("open");
    let model = ImageModel::read(image.as_ref(), &options.limits).expect("model");
    check_image(&model, &Options::default())
}

#[test]
fn same_inputs_same_digest_other_epoch_other_digest() {
    let tmp = workdir("repro");
    let bin = some_binary();
    let bin = bin.to_str().expect("utf-8");
    let first = ok(&dockerflow(
        &build_args(bin, "oci-archive:a.tar"),
        tmp.path(),
        EPOCH,
    ));
    let second = ok(&dockerflow(
        &build_args(bin, "oci-archive:b.tar"),
        tmp.path(),
        EPOCH,
    ));
    assert!(first.starts_with("sha256:") && first.len() == 71, "{first}");
    assert_eq!(first, second);
    let a = std::fs::read(tmp.path().join("a.tar")).expect("a.tar");
    let b = std::fs::read(tmp.path().join("b.tar")).expect("b.tar");
    assert!(a == b, "the archives differ byte for byte");

    // The static files' order on disk does not matter: recreate them in another order.
    std::fs::remove_dir_all(tmp.path().join("static")).expect("rm");
    let s = tmp.path().join("static");
    std::fs::create_dir_all(s.join("css")).expect("mkdir");
    std::fs::write(s.join("css/site.css"), "h1{}").expect("write");
    std::fs::write(s.join("index.html"), "<h1>hi</h1>").expect("write");
    let third = ok(&dockerflow(
        &build_args(bin, "oci:layout"),
        tmp.path(),
        EPOCH,
    ));
    assert_eq!(first, third);

    let later = ok(&dockerflow(
        &build_args(bin, "oci:other"),
        tmp.path(),
        "1700000001",
    ));
    assert_ne!(first, later);
    let (image, _) = read_back(&format!("oci:{}", tmp.path().join("other").display()));
    assert_eq!(
        image.config().created.as_deref(),
        Some("2023-11-14T22:13:21Z")
    );
}

#[test]
fn healthcheck_sets_the_self_probe_in_exec_form() {
    let tmp = workdir("healthcheck");
    let bin = some_binary();
    let with = format!("oci:{}:v1", tmp.path().join("with").display());
    let mut args = build_args(bin.to_str().expect("utf-8"), &with);
    args.push("--healthcheck");
    ok(&dockerflow(&args, tmp.path(), EPOCH));
    let (image, _) = read_back(&with);
    let config: Value = serde_json::from_slice(image.raw_config()).expect("config");
    let healthcheck = &config["config"]["Healthcheck"];
    assert_eq!(
        healthcheck["Test"],
        json!(["CMD", "/app/bin/app-server", "healthcheck"])
    );
    assert_eq!(healthcheck["Timeout"], 3_000_000_000u64);

    let without = format!("oci:{}:v1", tmp.path().join("without").display());
    ok(&dockerflow(
        &build_args(bin.to_str().expect("utf-8"), &without),
        tmp.path(),
        EPOCH,
    ));
    let (image, _) = read_back(&without);
    let config: Value = serde_json::from_slice(image.raw_config()).expect("config");
    assert!(
        config["config"].get("Healthcheck").is_none(),
        "off by default"
    );
}

#[test]
fn the_image_is_compliant_by_construction() {
    let tmp = workdir("compliant");
    let bin = some_binary();
    let out = format!("oci:{}:v1", tmp.path().join("layout").display());
    let digest = ok(&dockerflow(
        &build_args(bin.to_str().expect("utf-8"), &out),
        tmp.path(),
        EPOCH,
    ));
    let (image, vfs) = read_back(&out);
    assert_eq!(
        image.manifest_digest().map(ToString::to_string),
        Some(digest)
    );
    assert_eq!(image.manifest().layers.len(), 3, "runtime, accounts, app");

    let config: Value = serde_json::from_slice(image.raw_config()).expect("config");
    let c = &config["config"];
    assert_eq!(c["User"], "app");
    assert_eq!(c["Entrypoint"], json!(["/app/bin/app-server"]));
    assert_eq!(c["Cmd"], json!(["serve", "--fast"]));
    assert_eq!(c["WorkingDir"], "/app");
    assert_eq!(c["ExposedPorts"], json!({"8000/tcp": {}}));
    assert_eq!(
        c["Env"],
        json!([
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PORT=8000",
            "DATA_DIR=/tmp"
        ])
    );
    let labels = &c["Labels"];
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://github.com/example/app"
    );
    assert_eq!(labels["org.opencontainers.image.revision"], COMMIT);
    assert_eq!(labels["org.opencontainers.image.version"], "v1.0.0");
    assert_eq!(
        labels["org.opencontainers.image.created"],
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(config["architecture"], "amd64");

    // The app: root-owned, read-only for app, dated SOURCE_DATE_EPOCH.
    let exe = vfs.stat("/app/bin/app-server").expect("the binary");
    assert_eq!(
        (exe.kind, exe.mode, exe.uid, exe.gid),
        (EntryKind::File, 0o555, 0, 0)
    );
    assert_eq!(exe.mtime, 1_700_000_000);
    assert_eq!(exe.size, std::fs::metadata(&bin).expect("bin").len());
    assert_eq!(
        vfs.read("/app/version.json").expect("version.json"),
        version_json().as_bytes()
    );
    assert_eq!(vfs.stat("/app/version.json").expect("v").mode, 0o444);
    assert_eq!(
        vfs.stat("/app/static/css/site.css").expect("css").mode,
        0o444
    );
    assert_eq!(vfs.stat("/tmp").expect("/tmp").mode, 0o1777);
    let passwd = String::from_utf8_lossy(vfs.read("/etc/passwd").expect("passwd")).into_owned();
    assert!(
        passwd.ends_with("app:x:10001:10001:app:/app:/sbin/nologin\n"),
        "{passwd}"
    );
    // The binary's loader and C library are in the image.
    assert!(vfs.entries().any(|e| e.path.ends_with("/libc.so.6")));

    // The index names the tag; no base annotations without a base.
    assert!(image.manifest().annotations.is_empty());
    let index: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("layout/index.json")).expect("index.json"),
    )
    .expect("index");
    assert_eq!(
        index["manifests"][0]["annotations"][ANNOTATION_REF_NAME],
        "v1"
    );

    let report = strict_report(&out);
    assert_eq!(report.verdict(), Verdict::Pass);
    for id in [
        "DF101", "DF102", "DF103", "DF104", "DF105", "DF201", "DF202", "DF203", "DF301", "DF302",
        "DF303", "DF401", "DF402", "DF403", "DF404", "DF501", "DF502",
    ] {
        let f = report.finding(id).expect(id);
        assert_eq!(f.outcome, Outcome::Pass, "{id}: {}", f.found);
    }
}

#[test]
fn every_output_form_holds_the_same_image() {
    let tmp = workdir("forms");
    let bin = some_binary();
    let bin = bin.to_str().expect("utf-8");
    let mut args = build_args(bin, "oci:layout");
    args.extend([
        "--output",
        "oci-archive:image.oci.tar:v2",
        "--output",
        "docker-archive:image.docker.tar:example/app:v2",
    ]);
    let digest = ok(&dockerflow(&args, tmp.path(), EPOCH));
    for reference in [
        format!("oci:{}", tmp.path().join("layout").display()),
        format!(
            "oci-archive:{}:v2",
            tmp.path().join("image.oci.tar").display()
        ),
        format!(
            "docker-archive:{}:example/app:v2",
            tmp.path().join("image.docker.tar").display()
        ),
    ] {
        let (image, _) = read_back(&reference);
        assert_eq!(
            image.manifest_digest().map(ToString::to_string).as_deref(),
            Some(digest.as_str()),
            "{reference}"
        );
        assert_eq!(
            strict_report(&reference).verdict(),
            Verdict::Pass,
            "{reference}"
        );
    }
    // Writing into an existing layout keeps its other images.
    ok(&dockerflow(
        &build_args(bin, "oci:layout:second"),
        tmp.path(),
        "1",
    ));
    let index: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("layout/index.json")).expect("index.json"),
    )
    .expect("index");
    assert_eq!(
        index["manifests"].as_array().map(Vec::len),
        Some(2),
        "{index}"
    );
}

/// A base image with its own accounts, environment and labels, in `form`.
fn base_image(at: &Path, form: Form) -> String {
    let image = Image {
        layers: vec![vec![
            dir("/etc", 0o755),
            file(
                "/etc/passwd",
                0o644,
                "root:x:0:0:root:/root:/bin/sh\nbase:x:1000:1000::/home/base:/bin/sh\napp:x:999:999::/:/bin/false\n",
            ),
            file("/etc/group", 0o644, "root:x:0:\nbase:x:1000:\n"),
            dir("/tmp", 0o1777),
            dir("/usr", 0o755),
            dir("/usr/share", 0o755),
            file("/usr/share/base.txt", 0o644, "from the base\n"),
        ]],
        config: json!({
            "User": "base",
            "Env": ["PATH=/opt/base/bin:/usr/bin:/bin", "LANG=C.UTF-8", "PORT=9000"],
            "Labels": {"org.example.base": "yes"},
            "Cmd": ["/bin/sh"]
        }),
        history: vec!["base layer".into()],
    };
    image.write(at, form)
}

#[test]
fn on_a_base_image_accounts_are_merged_and_the_base_is_pinned() {
    let tmp = workdir("base");
    let base_dir = tmp.path().join("base");
    std::fs::create_dir_all(&base_dir).expect("mkdir");
    let base = base_image(&base_dir, Form::OciLayout);
    let base_source = open(
        &ImageRef::parse(&base).expect("ref"),
        &OpenOptions::default(),
    )
    .expect("the base");
    let base_digest = base_source.manifest_digest().expect("digest").to_string();
    let base_layer = base_source.manifest().layers[0].digest.clone();

    let bin = some_binary();
    let mut args = build_args(bin.to_str().expect("utf-8"), "oci:out");
    args.extend(["--base", &base]);
    ok(&dockerflow(&args, tmp.path(), EPOCH));
    let out = format!("oci:{}", tmp.path().join("out").display());
    let (image, vfs) = read_back(&out);

    let m = image.manifest();
    assert_eq!(
        m.annotations.get("org.opencontainers.image.base.name"),
        Some(&base)
    );
    assert_eq!(
        m.annotations.get("org.opencontainers.image.base.digest"),
        Some(&base_digest)
    );
    assert_eq!(m.layers.len(), 3, "base, accounts, app");
    assert_eq!(m.layers[0].digest, base_layer, "the base's layer as it is");

    let passwd = String::from_utf8_lossy(vfs.read("/etc/passwd").expect("passwd")).into_owned();
    assert_eq!(
        passwd,
        "root:x:0:0:root:/root:/bin/sh\nbase:x:1000:1000::/home/base:/bin/sh\napp:x:10001:10001:app:/app:/sbin/nologin\n"
    );
    let group = String::from_utf8_lossy(vfs.read("/etc/group").expect("group")).into_owned();
    assert_eq!(group, "root:x:0:\nbase:x:1000:\napp:x:10001:\n");
    assert!(vfs.exists("/usr/share/base.txt"));
    // No libraries copied from the host onto a base.
    assert!(!vfs.entries().any(|e| e.path.ends_with("/libc.so.6")));

    let c = image.config().container().expect("config");
    assert_eq!(
        c.env.value().cloned().unwrap_or_default(),
        [
            "PATH=/opt/base/bin:/usr/bin:/bin",
            "LANG=C.UTF-8",
            "PORT=8000",
            "DATA_DIR=/tmp"
        ]
    );
    assert_eq!(c.user.value().map(String::as_str), Some("app"));
    let labels = c.labels.value().cloned().unwrap_or_default();
    assert_eq!(
        labels.get("org.example.base").map(String::as_str),
        Some("yes")
    );
    assert_eq!(image.config().history.len(), 3);

    assert_eq!(strict_report(&out).verdict(), Verdict::Pass);
}

#[test]
fn a_classic_docker_archive_base_works_without_a_digest_to_pin() {
    let tmp = workdir("classic");
    let base = base_image(tmp.path(), Form::DockerArchive);
    let bin = some_binary();
    let mut args = build_args(bin.to_str().expect("utf-8"), "oci:out");
    args.extend(["--base", &base]);
    let o = dockerflow(&args, tmp.path(), EPOCH);
    ok(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("base.digest is not recorded"), "{stderr}");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let tmp = workdir("bad");
    let bin = some_binary();
    let bin = bin.to_str().expect("utf-8");
    let run = |args: &[&str]| error(&dockerflow(args, tmp.path(), EPOCH));

    let e = run(&build_args("no/such/binary", "oci:x"));
    assert!(e.contains("cannot read the binary no/such/binary"), "{e}");
    // The binary is the first thing read: outside a checkout, without version.json, a missing
    // binary is still what is reported (not the commit version.json lacks).
    let bare = TempDir::new("bare");
    let e = error(&dockerflow(
        &[
            "build",
            "--binary",
            "no/such/binary",
            "--cmd",
            "serve",
            "--output",
            "oci:x",
        ],
        bare.path(),
        EPOCH,
    ));
    assert!(e.contains("cannot read the binary no/such/binary"), "{e}");

    std::fs::write(tmp.path().join("script.sh"), "#!/bin/sh\necho hi\n").expect("write");
    let e = run(&build_args("script.sh", "oci:x"));
    assert!(e.contains("script.sh: not an ELF executable"), "{e}");

    std::fs::write(
        tmp.path().join("broken.json"),
        r#"{"source": "x", "commit": 7}"#,
    )
    .expect("write");
    let mut args = build_args(bin, "oci:x");
    args.extend(["--version-json", "broken.json"]);
    let e = run(&args);
    assert!(
        e.contains("version.json is not a valid version object"),
        "{e}"
    );
    assert!(e.contains("key commit"), "{e}");

    let mut args = build_args(bin, "oci:x");
    args.extend(["--base", "oci:does-not-exist"]);
    let e = run(&args);
    assert!(e.contains("cannot read the base oci:does-not-exist"), "{e}");

    std::fs::create_dir_all(tmp.path().join("garbage")).expect("mkdir");
    std::fs::write(tmp.path().join("garbage/index.json"), "not json").expect("write");
    std::fs::write(
        tmp.path().join("garbage/oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write");
    let mut args = build_args(bin, "oci:x");
    args.extend(["--base", "oci:garbage"]);
    let e = run(&args);
    assert!(e.contains("cannot read the base oci:garbage"), "{e}");

    let e = run(&build_args(bin, "docker-archive:x.tar:@0"));
    assert!(e.contains("to write, give NAME:TAG"), "{e}");

    let e = run(&["build", "--binary", bin, "--output", "oci:x"]);
    assert!(e.contains("no --cmd given"), "{e}");
    let e = run(&["build", "--cmd", "serve", "--output", "oci:x"]);
    assert!(e.contains("expected --bin NAME"), "{e}");
    let e = error(&dockerflow(
        &build_args(bin, "oci:x"),
        tmp.path(),
        "last tuesday",
    ));
    assert!(e.contains("invalid SOURCE_DATE_EPOCH"), "{e}");

    // Nothing half-written by the failures.
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn bin_builds_the_cargo_target_in_release_mode() {
    let tmp = workdir("cargo");
    let project = tmp.path().join("hello");
    std::fs::create_dir_all(project.join("src")).expect("mkdir");
    std::fs::write(
        project.join("Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .expect("write");
    std::fs::write(
        project.join("src/main.rs"),
        "fn main() { println!(\"hello\"); }\n",
    )
    .expect("write");
    std::fs::copy(
        tmp.path().join("version.json"),
        project.join("version.json"),
    )
    .expect("copy");
    // `dockerflow build --bin BIN --cmd run --output oci:image` in the project.
    let build = |bin: &str| {
        Command::new(env!("CARGO_BIN_EXE_dockerflow"))
            .args([
                "build",
                "--bin",
                bin,
                "--cmd",
                "run",
                "--output",
                "oci:image",
            ])
            .current_dir(&project)
            .env("CARGO_TARGET_DIR", project.join("target"))
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .output()
            .expect("run dockerflow")
    };
    ok(&build("hello"));
    let built = project.join("target/release/hello");
    assert!(built.is_file(), "cargo built {}", built.display());
    let (image, vfs) = read_back(&format!("oci:{}", project.join("image").display()));
    let exe = vfs.stat("/app/bin/hello").expect("/app/bin/hello");
    assert_eq!(exe.size, std::fs::metadata(&built).expect("meta").len());
    let entrypoint = image
        .config()
        .container()
        .and_then(|c| c.entrypoint.value().cloned());
    assert_eq!(entrypoint, Some(vec!["/app/bin/hello".to_string()]));

    let e = error(&build("nope"));
    assert!(
        e.contains("`cargo build --release --bin nope` failed"),
        "{e}"
    );
}

/// The demo's binary: release (as CI builds it), else debug.
fn demo_binary() -> Option<PathBuf> {
    let debug = the_dockerflow_binary().parent()?.to_path_buf();
    let target = debug.parent()?;
    [
        target.join("release/dockerflow-demo"),
        debug.join("dockerflow-demo"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// Removes a container when dropped, also when the test fails.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("/usr/bin/docker")
            .args(["rm", "-f", &self.0])
            .output();
    }
}

#[test]
fn docker_loads_and_runs_the_demo_image() {
    let docker = Path::new("/usr/bin/docker");
    let engine = docker.exists()
        && Command::new(docker)
            .arg("info")
            .output()
            .is_ok_and(|o| o.status.success());
    if !engine {
        return skip("no Docker engine (`docker info` fails)");
    }
    let Some(demo) = demo_binary() else {
        return skip("no dockerflow-demo binary; run `cargo build --release -p dockerflow-demo`");
    };
    let tmp = workdir("docker");
    let statics = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/static");
    let tag = format!("dockerflow-build-test:{}", std::process::id());
    let archive = format!("docker-archive:demo.tar:{tag}");
    // The same image also goes straight into the engine, through its API.
    let direct = format!("{tag}-direct");
    ok(&dockerflow(
        &[
            "build",
            "--binary",
            demo.to_str().expect("utf-8"),
            "--static",
            statics.to_str().expect("utf-8"),
            "--cmd",
            "serve",
            "--env",
            "DATA_DIR=/tmp/data",
            "--output",
            &archive,
            "--output",
            &format!("docker-daemon:{direct}"),
        ],
        tmp.path(),
        EPOCH,
    ));
    // `docker ARGS...`, which must succeed: its stdout, trimmed.
    let docker_ok = |args: &[&str]| {
        let o = Command::new(docker)
            .args(args)
            .output()
            .expect("run docker");
        assert!(
            o.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let image_id = |name: &str| docker_ok(&["image", "inspect", "--format", "{{.Id}}", name]);
    let direct_id = image_id(&direct);
    let archive_path = tmp.path().join("demo.tar");
    let loaded = docker_ok(&["load", "-i", archive_path.to_str().expect("utf-8")]);
    assert!(loaded.contains(&tag), "{loaded}");
    assert_eq!(
        image_id(&tag),
        direct_id,
        "docker-daemon: and docker load hold one image"
    );
    let _ = Command::new(docker).args(["rmi", "-f", &direct]).output();

    let port = free_port();
    let container = Container(docker_ok(&[
        "run",
        "-d",
        "--network",
        "host",
        "--label",
        "dockerflow-ci=1",
        "-e",
        &format!("PORT={port}"),
        &tag,
    ]));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = http_status(port, "/__lbheartbeat__") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let logs = Command::new(docker).args(["logs", &container.0]).output();
            panic!(
                "no answer on 127.0.0.1:{port} within 20 s; logs: {:?}",
                logs.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(status, 200);
    // /__version__ serves the file the build put in the image.
    let body = http_body(port, "/__version__").expect("version");
    assert_eq!(body, version_json());
    drop(container);
    let _ = Command::new(docker).args(["rmi", "-f", &tag]).output();
}

fn http(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    http(port, path)?.split_whitespace().nth(1)?.parse().ok()
}

fn http_body(port: u16, path: &str) -> Option<String> {
    let r = http(port, path)?;
    Some(r.split_once("\r\n\r\n")?.1.to_string())
}
