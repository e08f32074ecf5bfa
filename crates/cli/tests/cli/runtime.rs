//! `check image --run`, `check url` and `check logs`, black-box through the binary. The
//! `--run` tests load `FROM scratch` images holding one static fixture server
//! (`tests/fixtures/server.rs`, compiled here with rustc) into the real Docker engine, one
//! misbehaviour each, and assert the verdict and the failing rules. Without an engine they
//! skip with a message, and fail under `CI=true`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use dockerflow_engine::Engine;
use serde_json::{json, Value};

use crate::{code, dockerflow, error_line, read_request_head, stderr, stdout};
use dockerflow_testkit::image::{version_json, Form, Image, Node};
use dockerflow_testkit::TempDir;

pub(crate) fn engine() -> Option<Engine> {
    // Asked by the test support with std alone: a broken client fails here, never skips.
    dockerflow_testkit::engine::require().then(|| Engine::from_env().expect("DOCKER_HOST"))
}

/// The fixture server, compiled once per test run into a static binary.
pub(crate) fn fixture_binary() -> &'static [u8] {
    static BIN: OnceLock<Vec<u8>> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/server.rs");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("fixture-server-{}", std::process::id()));
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let o = Command::new(rustc)
            .args([
                "--edition",
                "2021",
                "-C",
                "opt-level=1",
                "-C",
                "strip=debuginfo",
            ])
            .args(["-C", "target-feature=+crt-static", src, "-o"])
            .arg(&out)
            .output()
            .expect("run rustc");
        assert!(
            o.status.success(),
            "rustc: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let bytes = std::fs::read(&out).expect("fixture binary");
        let _ = std::fs::remove_file(&out);
        bytes
    })
}

/// A fixture image loaded into the engine, removed on drop.
struct Loaded<'a> {
    engine: &'a Engine,
    tag: String,
}

impl Drop for Loaded<'_> {
    fn drop(&mut self) {
        let _ = self.engine.remove_image(&self.tag);
    }
}

/// The compliant image with the fixture server as `/app/server` and `env` baked in.
fn fixture<'a>(
    engine: &'a Engine,
    name: &str,
    env: &[&str],
    config: &[(&str, Value)],
) -> Loaded<'a> {
    let mut image = Image::compliant().layer(vec![Node::File {
        path: "/app/server".into(),
        mode: 0o755,
        uid: 0,
        gid: 0,
        data: fixture_binary().to_vec(),
    }]);
    // The name in the environment makes each fixture's image its own: an `ancestor` filter
    // then finds this test's containers only, not those of a test with the same settings.
    let named = format!("FIXTURE_NAME={name}");
    let mut all_env = vec!["PATH=/usr/bin", "PORT=8000", named.as_str()];
    all_env.extend_from_slice(env);
    image = image.with("Env", json!(all_env));
    for (k, v) in config {
        image = image.with(k, v.clone());
    }
    let tag = format!("dockerflow-test/fixture:{name}-{}", std::process::id());
    let (tar, _id) = image.docker_archive(&tag);
    engine
        .image_load(&mut tar.as_slice(), tar.len() as u64)
        .expect("load the fixture image");
    Loaded { engine, tag }
}

/// A "database": a loopback listener that accepts and closes, for the up runs.
pub(crate) fn database() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "postgres://app:s3cr3t-pw@{}/app",
        l.local_addr().expect("addr")
    );
    l.set_nonblocking(true).expect("nonblocking");
    (l, url)
}

struct Checked {
    code: i32,
    report: Value,
    stderr: String,
}

impl Checked {
    fn findings(&self) -> impl Iterator<Item = &Value> {
        self.report["findings"].as_array().expect("findings").iter()
    }

    fn with(&self, outcome: &str) -> Vec<String> {
        self.findings()
            .filter(|f| f["outcome"] == outcome)
            .map(|f| f["rule"].as_str().expect("rule").to_string())
            .collect()
    }

    fn found(&self, id: &str) -> String {
        self.findings()
            .find(|f| f["rule"] == id)
            .map(|f| f["found"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    }
}

/// The options of the judged `--run`s here, after `check image ... --run`: a JSON report,
/// short timeouts, and `env` (`DATABASE_URL=...`) set, then taken down in the second run.
fn run_options(env: &str) -> [&str; 12] {
    [
        "--format",
        "json",
        "--grace",
        "3",
        "--ready-timeout",
        "10",
        "--timeout",
        "5",
        "--env",
        env,
        "--dependency-env",
        "DATABASE_URL",
    ]
}

/// `dockerflow check image TAG --run ...` with a database up and `DATABASE_URL` taken down
/// in a second run; the report as JSON.
fn run_check(tag: &str, extra: &[&str]) -> Checked {
    let (_db, url) = database();
    let env = format!("DATABASE_URL={url}");
    let tmp = TempDir::new("run");
    let mut args = vec!["check", "image", tag, "--run"];
    args.extend(run_options(&env));
    args.extend_from_slice(extra);
    let o = dockerflow(&args, tmp.path());
    let report: Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&o), stderr(&o)));
    Checked {
        code: code(&o),
        report,
        stderr: stderr(&o),
    }
}

fn runtime_ids(ids: Vec<String>) -> Vec<String> {
    ids.into_iter()
        .filter(|id| id.starts_with("DF6") || id.starts_with("DF7"))
        .collect()
}

#[test]
fn compliant_fixture_passes_every_rule_running() {
    let Some(engine) = engine() else { return };
    let image = fixture(&engine, "compliant", &[], &[]);
    let c = run_check(
        &image.tag,
        &["--static-path", "/static/app.css", "--read-only"],
    );
    assert_eq!(c.code, 0, "{}\n{}", c.report, c.stderr);
    assert_eq!(c.report["verdict"], "pass");
    assert_eq!(c.with("fail"), Vec::<String>::new());
    assert_eq!(c.with("warn"), Vec::<String>::new(), "{}", c.report);
    assert_eq!(c.with("skipped"), Vec::<String>::new(), "{}", c.report);
    assert!(c.found("DF703").contains("uid 10001"));
    assert!(c.found("DF603").contains("the bytes of /app/version.json"));
    assert!(c.found("DF606").contains("DATABASE_URL down: 500"));
    // CONTRACT 1.9: valid summaries, the request id echoed and carried as rid.
    assert!(c
        .found("DF706")
        .contains("request.summary records, all valid"));
    assert!(c.found("DF707").ends_with("came back"));
    assert!(
        c.found("DF708")
            .starts_with("2 records written while handling /__version__ carry rid"),
        "{}",
        c.found("DF708")
    );
    // The password in DATABASE_URL is never printed.
    assert!(!c.report.to_string().contains("s3cr3t-pw"));
}

/// Each misbehaviour: the failing rules and the warned runtime rules.
#[test]
fn misbehaving_fixtures_fail_their_rules() {
    let Some(engine) = engine() else { return };
    type Case = (
        &'static str,
        &'static [&'static str],
        Option<&'static str>,
        &'static [&'static str],
        &'static [&'static str],
    );
    const CASES: &[Case] = &[
        (
            "ignores-port",
            &["FIXTURE_PORT=fixed"],
            None,
            &["DF601"],
            &[],
        ),
        (
            "heartbeat-always-200",
            &["FIXTURE_HEARTBEAT=always200"],
            None,
            &["DF606"],
            &[],
        ),
        (
            "heartbeat-4xx",
            &["FIXTURE_HEARTBEAT=4xx"],
            None,
            &["DF606"],
            &[],
        ),
        (
            "lbheartbeat-checks-db",
            &["FIXTURE_LBHEARTBEAT=checks-db"],
            None,
            &["DF607"],
            &[],
        ),
        (
            "lbheartbeat-204",
            &["FIXTURE_LBHEARTBEAT=204"],
            None,
            &["DF602", "DF607"],
            &[],
        ),
        (
            "no-version",
            &["FIXTURE_VERSION=missing"],
            None,
            &["DF603"],
            &[],
        ),
        (
            "other-version",
            &["FIXTURE_VERSION=other"],
            None,
            &["DF603"],
            &[],
        ),
        (
            "text-logs",
            &["FIXTURE_LOGS=text"],
            None,
            &[],
            &["DF702", "DF706", "DF708"],
        ),
        (
            "no-logs",
            &["FIXTURE_LOGS=none"],
            None,
            &["DF701"],
            &["DF706", "DF708"],
        ),
        (
            "requests-1.9-broken",
            &["FIXTURE_REQUESTS=legacy"],
            None,
            &[],
            &["DF706", "DF707", "DF708"],
        ),
        (
            "records-without-rid",
            &["FIXTURE_REQUESTS=no-rid"],
            None,
            &[],
            &["DF708"],
        ),
        (
            "ignores-sigterm",
            &["FIXTURE_SIGTERM=ignore"],
            None,
            &[],
            &["DF704"],
        ),
        ("root", &[], Some("root"), &["DF203", "DF703"], &[]),
    ];
    let handles: Vec<_> = CASES
        .iter()
        .map(|(name, env, user, fails, warns)| {
            let engine = engine.clone();
            thread::spawn(move || {
                let config: Vec<(&str, Value)> = user.iter().map(|u| ("User", json!(u))).collect();
                let image = fixture(&engine, name, env, &config);
                let c = run_check(&image.tag, &[]);
                let want_code = if fails.is_empty() { 0 } else { 1 };
                assert_eq!(c.code, want_code, "{name}: {}\n{}", c.report, c.stderr);
                assert_eq!(
                    c.with("fail"),
                    *fails,
                    "{name}: failing rules\n{}",
                    c.report
                );
                assert_eq!(
                    runtime_ids(c.with("warn")),
                    *warns,
                    "{name}: warned runtime rules\n{}",
                    c.report
                );
                match *name {
                    "ignores-port" => assert!(
                        c.found("DF601").contains("exited with code 1")
                            || c.found("DF601").contains("nothing listened"),
                        "{}",
                        c.found("DF601")
                    ),
                    "heartbeat-4xx" => {
                        assert!(c.found("DF606").contains("400"), "{}", c.found("DF606"))
                    }
                    "lbheartbeat-204" => assert!(c.found("DF602").contains("204")),
                    "other-version" => assert!(c.found("DF603").contains("another object")),
                    "text-logs" => assert!(
                        c.found("DF702").contains("line 1 \"fixture: listening"),
                        "{}",
                        c.found("DF702")
                    ),
                    "ignores-sigterm" => assert!(
                        c.found("DF704").contains("still running 3 s after SIGTERM")
                            && c.found("DF704").contains("PID 1"),
                        "{}",
                        c.found("DF704")
                    ),
                    "root" => assert!(c.found("DF703").contains("uid 0")),
                    "records-without-rid" => assert!(
                        c.found("DF708").contains("have no rid: line")
                            && c.found("DF708").contains("(fixture.handler)"),
                        "{}",
                        c.found("DF708")
                    ),
                    _ => {}
                }
            })
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        if let Err(e) = h.join() {
            failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "panic".into()),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A fleet run with `--run --jobs 2`: three images in the engine, each run and judged, the
/// reports in the order of the inputs, never more than two images' containers at once (the
/// engine is polled while the fleet runs), and none left behind.
#[test]
fn a_fleet_runs_with_at_most_jobs_images_at_once_and_leaves_no_container() {
    let Some(engine) = engine() else { return };
    let images = [
        fixture(&engine, "fleet-compliant", &[], &[]),
        fixture(&engine, "fleet-ignores-port", &["FIXTURE_PORT=fixed"], &[]),
        fixture(&engine, "fleet-root", &[], &[("User", json!("root"))]),
    ];
    let tags: Vec<&str> = images.iter().map(|i| i.tag.as_str()).collect();
    let (_db, url) = database();
    let env = format!("DATABASE_URL={url}");
    let tmp = TempDir::new("fleet-run");
    let mut args = vec!["check", "image", "--run", "--jobs", "2"];
    args.extend(run_options(&env));
    args.extend(&tags);
    let child = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(&args)
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Which of the three images have a container, sampled until the fleet exits (bounded).
    let running = |tag: &str| {
        !engine
            .containers(&json!({"ancestor": [tag], "status": ["created", "running"]}))
            .expect("list")
            .is_empty()
    };
    let (done, waiting) = std::sync::mpsc::channel();
    let waiter = thread::spawn(move || {
        let o = child.wait_with_output().expect("wait");
        let _ = done.send(());
        o
    });
    let (mut most, mut samples) = (0, 0);
    let t0 = Instant::now();
    while waiting.try_recv().is_err() && t0.elapsed() < Duration::from_secs(300) {
        most = most.max(tags.iter().filter(|t| running(t)).count());
        samples += 1;
        thread::sleep(Duration::from_millis(100));
    }
    let o = waiter.join().expect("the fleet's waiter");
    assert!(samples > 0);
    assert!(
        most <= 2,
        "{most} images had containers at once with --jobs 2"
    );
    assert!(most >= 1, "no container seen in {samples} samples");
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    let reports: Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&o), stderr(&o)));
    let reports = reports.as_array().expect("an array, one report per image");
    let failing = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["outcome"] == "fail")
            .map(|f| f["rule"].as_str().expect("rule").to_string())
            .collect()
    };
    let names: Vec<&str> = reports
        .iter()
        .map(|r| r["input"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, tags, "the reports in the order of the inputs");
    let verdicts: Vec<&str> = reports
        .iter()
        .map(|r| r["verdict"].as_str().expect("verdict"))
        .collect();
    assert_eq!(verdicts, ["pass", "fail", "fail"], "{}", stdout(&o));
    assert_eq!(failing(&reports[0]), Vec::<String>::new());
    assert_eq!(failing(&reports[1]), ["DF601"]);
    assert_eq!(failing(&reports[2]), ["DF203", "DF703"]);
    // Every report judged runtime rules (DF6xx): the images were run, not only read.
    for r in reports {
        let judged = r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"].as_str().is_some_and(|id| id.starts_with("DF6")))
            .filter(|f| f["outcome"] != "skipped")
            .count();
        assert!(judged > 0, "no runtime rule judged: {r}");
    }
    for tag in &tags {
        let left = engine
            .containers(&json!({"ancestor": [tag]}))
            .expect("list");
        assert!(left.is_empty(), "containers of {tag} left behind: {left:?}");
    }
}

#[test]
fn bare_names_and_docker_daemon_are_read_through_the_engine() {
    let Some(engine) = engine() else { return };
    let image = fixture(&engine, "static", &[], &[]);
    let tmp = TempDir::new("daemon");
    let refs: Vec<String> = vec![image.tag.clone(), format!("docker-daemon:{}", image.tag)];
    for r in &refs {
        let o = dockerflow(&["check", "image", r, "--format", "json"], tmp.path());
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
        assert_eq!(v["input"]["name"], Value::from(r.clone()));
    }
    let e = error_line(&dockerflow(
        &["check", "image", "dockerflow-test/none:never", "--run"],
        tmp.path(),
    ));
    assert!(e.contains("has no such image"), "{e}");
    // `build --base` and `publish` read engine images too, each in its own words.
    let server = tmp.path().join("server");
    std::fs::write(&server, fixture_binary()).expect("write the fixture server");
    std::fs::write(tmp.path().join("version.json"), version_json()).expect("write");
    let base = format!("docker-daemon:{}", image.tag);
    let build = |base: &str| {
        dockerflow(
            &[
                "build",
                "--binary",
                "server",
                "--cmd",
                "serve",
                "--version-json",
                "version.json",
                "--base",
                base,
                "--output",
                "oci:out",
            ],
            tmp.path(),
        )
    };
    let o = build(&base);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = dockerflow(
        &["check", "image", "oci:out", "--format", "json"],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let e = error_line(&build("dockerflow-test/none:never"));
    assert!(
        e.contains("cannot read the base dockerflow-test/none:never: the Docker engine at ")
            && e.contains("has no such image"),
        "{e}"
    );
    let e = error_line(&dockerflow(
        &[
            "publish",
            "dockerflow-test/none:never",
            "docker://127.0.0.1:1/x:1",
        ],
        tmp.path(),
    ));
    assert!(
        e.contains("cannot read dockerflow-test/none:never: the Docker engine at "),
        "{e}"
    );
}

#[test]
fn docker_archive_runs_after_loading() {
    let Some(engine) = engine() else { return };
    let tmp = TempDir::new("archive");
    let image = fixture(&engine, "archive", &[], &[]);
    let out = tmp.path().join("image.tar");
    let mut f = std::fs::File::create(&out).expect("create");
    engine.image_export(&image.tag, &mut f).expect("export");
    drop(f);
    let r = format!("docker-archive:{}", out.display());
    let (_db, url) = database();
    let env = format!("DATABASE_URL={url}");
    let o = dockerflow(
        &[
            "check",
            "image",
            &r,
            "--run",
            "--grace",
            "3",
            "--env",
            &env,
            "--verbose",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("pass  DF703"), "{}", stdout(&o));
}

/// The engine is found as the `docker` CLI finds it: a Docker context (as Docker Desktop,
/// rootless Docker and Colima set one) points at the engine's socket, and an error says which
/// context it came from.
#[test]
fn the_engine_is_found_through_the_docker_context() {
    let Some(engine) = engine() else { return };
    let image = fixture(&engine, "context", &[], &[]);
    let tmp = TempDir::new("context");
    let config = tmp.path().join("docker-config");
    let socket = match engine.host() {
        dockerflow_engine::Host::Unix(p) => p.display().to_string(),
        other => panic!("a Unix socket engine, not {other}"),
    };
    // The context store's layout: meta/<sha256 of the name>/meta.json.
    let context = |name: &str, digest: &str, host: &str| {
        let dir = config.join("contexts/meta").join(digest);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("meta.json"),
            format!(r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#),
        )
        .expect("meta.json");
    };
    // sha256("desktop-linux") and sha256("gone"), as `docker context create` names the folders.
    context(
        "desktop-linux",
        "fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e",
        &format!("unix://{socket}"),
    );
    context(
        "gone",
        "283bb9deef02e6843abfb538efa1eca70801bd8a701c3f98191e123496339247",
        "unix:///nonexistent/docker.sock",
    );
    std::fs::write(
        config.join("config.json"),
        r#"{"currentContext": "desktop-linux"}"#,
    )
    .expect("config.json");
    let run = |context: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dockerflow"));
        c.args(["check", "image", &image.tag])
            .env_remove("DOCKER_HOST")
            .env("DOCKER_CONFIG", &config)
            .current_dir(tmp.path());
        match context {
            Some(name) => c.env("DOCKER_CONTEXT", name),
            None => c.env_remove("DOCKER_CONTEXT"),
        };
        c.output().expect("run")
    };
    let o = run(None);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let e = error_line(&run(Some("gone")));
    assert!(
        e.contains(
            "no Docker engine at unix:///nonexistent/docker.sock (from Docker context \"gone\")"
        ),
        "{e}"
    );
}

#[test]
fn no_engine_and_bad_options_exit_2() {
    let tmp = TempDir::new("noengine");
    let o = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(["check", "image", "app:latest", "--run"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .current_dir(tmp.path())
        .output()
        .expect("run");
    let e = error_line(&o);
    assert!(
        e.contains("no Docker engine at unix:///nonexistent/docker.sock")
            && e.contains("start dockerd or set DOCKER_HOST"),
        "{e}"
    );
    let e = error_line(&dockerflow(
        &["check", "image", "x", "--env", "A=1"],
        tmp.path(),
    ));
    assert!(
        e.contains("required arguments were not provided: --run"),
        "{e}"
    );
    let e = error_line(&dockerflow(
        &["check", "url", "http://127.0.0.1:1", "--run"],
        tmp.path(),
    ));
    assert!(
        e.contains("unexpected argument '--run' found (see `dockerflow check url --help`)"),
        "{e}"
    );
    let e = error_line(&dockerflow(
        &["check", "image", "x", "--run", "--grace", "soon"],
        tmp.path(),
    ));
    assert!(e.contains("expected a number of seconds"), "{e}");
    let tar = support_oci(tmp.path());
    let e = error_line(&dockerflow(&["check", "image", &tar, "--run"], tmp.path()));
    assert!(
        e.contains("--run needs an image the Docker engine can run") || e.contains("Docker engine"),
        "{e}"
    );
}

fn support_oci(dir: &std::path::Path) -> String {
    Image::compliant().write(dir, Form::OciLayout)
}

#[test]
fn dependency_env_must_name_a_variable_with_an_address() {
    let Some(engine) = engine() else { return };
    let image = fixture(&engine, "depenv", &[], &[]);
    let tmp = TempDir::new("depenv");
    let run = |options: &[&str]| {
        let args = [&["check", "image", &image.tag, "--run"][..], options].concat();
        error_line(&dockerflow(&args, tmp.path()))
    };
    let e = run(&["--dependency-env", "REDIS_URL"]);
    assert!(
        e.contains("REDIS_URL is set neither by --env/--env-file nor in the image's Env"),
        "{e}"
    );
    std::fs::write(
        tmp.path().join("env"),
        "# comment\nDATABASE_URL=sqlite:///data/db\n",
    )
    .expect("write");
    let e = run(&["--env-file", "env", "--dependency-env", "DATABASE_URL"]);
    assert!(e.contains("no host:port to rewrite"), "{e}");
}

/// Ctrl-C removes the containers and the image's temporary export: the process ends from the
/// signal watcher, where no destructor runs.
#[test]
fn ctrl_c_removes_the_containers() {
    let Some(engine) = engine() else { return };
    let image = fixture(&engine, "ctrl-c", &["FIXTURE_SIGTERM=ignore"], &[]);
    let tmp = TempDir::new("ctrlc");
    let temps = tmp.path().join("tmp");
    std::fs::create_dir(&temps).expect("mkdir");
    let exports = || -> Vec<String> {
        std::fs::read_dir(&temps)
            .expect("read temp dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(["check", "image", &image.tag, "--run", "--grace", "60"])
        .env("TMPDIR", &temps)
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let ours = || {
        engine
            .containers(&json!({"ancestor": [image.tag.as_str()]}))
            .expect("list")
    };
    let t0 = Instant::now();
    while ours().is_empty() && t0.elapsed() < Duration::from_secs(20) {
        thread::sleep(Duration::from_millis(100));
    }
    assert!(!ours().is_empty(), "the check never started a container");
    let before = exports();
    assert!(
        before.len() == 1 && before[0].starts_with("dockerflow-export-"),
        "the engine image's export: {before:?}"
    );
    // The container is up; wait for the SIGTERM phase (it ignores SIGTERM for 60 s).
    thread::sleep(Duration::from_millis(1500));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill")
        .success());
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "dockerflow did not exit on SIGINT"
        );
        thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    let _ = child.stderr.take().map(|mut s| s.read_to_string(&mut err));
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(ours().is_empty(), "containers left behind: {:?}", ours());
    assert!(exports().is_empty(), "files left behind: {:?}", exports());
}

/// A loopback service for `check url`: compliant (a valid X-Request-ID echoed), or with the
/// lbheartbeat answering 204, no Cache-Control and no echo. Serves `requests` connections,
/// then stops.
fn serve(bad: bool, requests: usize) -> (String, thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let h = thread::spawn(move || {
        // Bounded in requests and in time, whatever the client does.
        l.set_nonblocking(true).expect("nonblocking");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut served = 0;
        while served < requests && Instant::now() < deadline {
            let Ok((mut s, _)) = l.accept() else {
                thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            let (line, headers) = read_request_head(&s);
            let request_id = headers
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case("X-Request-ID"))
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("");
            let path = parts.next().unwrap_or("");
            let (status, body) = match path {
                "/__lbheartbeat__" if bad => (204, String::new()),
                "/__lbheartbeat__" => (200, String::new()),
                "/__heartbeat__" => (
                    200,
                    r#"{"status":"ok","checks":{},"details":{}}"#.to_string(),
                ),
                "/__version__" => (200, version_json()),
                _ => (404, String::new()),
            };
            let cache = if bad {
                String::new()
            } else {
                let echo = if request_id.is_empty() {
                    String::new()
                } else {
                    format!("X-Request-ID: {request_id}\r\n")
                };
                format!("Cache-Control: no-store\r\n{echo}")
            };
            let mut out = format!(
                "HTTP/1.1 {status} X\r\n{cache}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            if method != "HEAD" {
                out.push_str(&body);
            }
            let _ = s.write_all(out.as_bytes());
        }
    });
    (url, h)
}

#[test]
fn check_url_judges_a_running_service() {
    let tmp = TempDir::new("url");
    let (url, h) = serve(false, 7);
    let o = dockerflow(&["check", "url", &url, "--format", "json"], tmp.path());
    h.join().expect("server");
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["input"]["kind"], "url");
    let outcome = |id: &str| {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["rule"] == id)
            .expect(id)["outcome"]
            .clone()
    };
    for id in ["DF602", "DF603", "DF604", "DF605", "DF608", "DF609"] {
        assert_eq!(outcome(id), "pass", "{id}: {v}");
    }
    // CONTRACT 1.9 over HTTP: the echo only; no logs to read for DF706 and DF708.
    assert_eq!(outcome("DF707"), "pass", "{v}");
    for id in [
        "DF101", "DF601", "DF606", "DF701", "DF703", "DF704", "DF706", "DF708",
    ] {
        assert_eq!(outcome(id), "skipped", "{id}");
    }

    let (url, h) = serve(true, 7);
    let o = dockerflow(&["check", "url", &url], tmp.path());
    h.join().expect("server");
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL  DF602") && out.contains("204 No Content"),
        "{out}"
    );
    assert!(
        out.contains("WARN  DF609") && out.contains("no Cache-Control"),
        "{out}"
    );
    assert!(
        out.contains("WARN  DF707") && out.contains("the response has no X-Request-ID"),
        "{out}"
    );

    // Nothing listening: the check could not be made (exit 2), not a broken service.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let e = error_line(&dockerflow(
        &[
            "check",
            "url",
            &format!("http://127.0.0.1:{port}"),
            "--timeout",
            "2",
        ],
        tmp.path(),
    ));
    assert!(
        e.contains(&format!("nothing listens at 127.0.0.1:{port}")),
        "{e}"
    );
    let e = error_line(&dockerflow(
        &["check", "url", "https://127.0.0.1:1"],
        tmp.path(),
    ));
    assert!(e.contains("https is not supported"), "{e}");
    let e = error_line(&dockerflow(
        &["check", "url", "http://127.0.0.1:1", "--env", "A=1"],
        tmp.path(),
    ));
    assert!(
        e.contains("unexpected argument '--env' found (see `dockerflow check url --help`)"),
        "{e}"
    );
}

#[test]
fn check_logs_reports_each_bad_line() {
    let tmp = TempDir::new("logs");
    let good = r#"{"Timestamp":1700000000000000000,"Type":"request.summary","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{"msg":"ok"}}"#;
    std::fs::write(tmp.path().join("good.log"), format!("{good}\n{good}\n")).expect("write");
    let o = dockerflow(&["check", "logs", "good.log", "--verbose"], tmp.path());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("pass  DF702"), "{}", stdout(&o));
    assert_eq!(stderr(&o), "");

    let bad_severity = good.replace("\"Severity\":6", "\"Severity\":\"info\"");
    std::fs::write(
        tmp.path().join("bad.log"),
        format!("{good}\nServer started on port 8000\n{bad_severity}\n"),
    )
    .expect("write");
    let o = dockerflow(&["check", "logs", "bad.log"], tmp.path());
    assert_eq!(code(&o), 0, "a SHOULD: warns");
    assert!(
        stdout(&o).contains("WARN  DF702") && stdout(&o).contains("2 of 3 lines"),
        "{}",
        stdout(&o)
    );
    let e = stderr(&o);
    assert!(e.contains("bad.log:2: not mozlog: not JSON"), "{e}");
    assert!(e.contains("bad.log:3: not mozlog: /Severity"), "{e}");

    // From stdin; no output at all fails DF701.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(["check", "logs", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdin.take());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("FAIL  DF701"), "{}", stdout(&o));
    let e = error_line(&dockerflow(&["check", "logs", "missing.log"], tmp.path()));
    assert!(e.contains("cannot read logs from missing.log"), "{e}");
}

/// `check logs` on the fixture server's own output (run here as a process): the records written
/// while a request is handled carry its rid; without it, a record written at the start of a
/// sub-millisecond request cannot be told from one written just before it (`t` is whole
/// milliseconds), and DF708 says so instead of guessing. A record surely inside a longer
/// request is judged.
#[test]
fn check_logs_judges_rid_on_records_written_while_handling() {
    let tmp = TempDir::new("ridlogs");
    let bin = tmp.path().join("server");
    std::fs::write(&bin, fixture_binary()).expect("write the fixture");
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    for requests in ["", "no-rid"] {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(&bin)
            .env_clear()
            .env("PORT", port.to_string())
            .env("FIXTURE_REQUESTS", requests)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the fixture");
        let ask = |path: &str, rid: &str| -> Option<String> {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
            write!(
                s,
                "GET {path} HTTP/1.1\r\nHost: x\r\nX-Request-ID: {rid}\r\nConnection: close\r\n\r\n"
            )
            .ok()?;
            let mut out = String::new();
            s.read_to_string(&mut out).ok()?;
            Some(out)
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while ask("/__lbheartbeat__", "ready").is_none() {
            assert!(Instant::now() < deadline, "the fixture never listened");
            thread::sleep(Duration::from_millis(20));
        }
        for (i, path) in ["/__version__", "/__heartbeat__", "/nothing"]
            .iter()
            .enumerate()
        {
            let answer = ask(path, &format!("req-{i}")).expect("an answer");
            assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
        }
        child.kill().expect("kill the fixture");
        let mut logs = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut logs)
            .expect("read its stdout");
        child.wait().expect("wait");
        let file = format!("fixture-{requests}.log");
        std::fs::write(tmp.path().join(&file), &logs).expect("write");
        let (outcome, found) = df708_of_logs(&file, tmp.path());
        assert_eq!(outcome, "pass", "{found}\n{logs}");
        assert!(
            found.contains("3 of 3 request.summary records placed in time"),
            "{found}"
        );
        if requests.is_empty() {
            assert!(
                found.contains("3 records written inside them carry their rid"),
                "{found}"
            );
        } else {
            assert!(
                found.ends_with(
                    "not judged: 3 records without rid written where a request may not have started yet (its t is whole milliseconds)"
                ),
                "{found}"
            );
        }
    }
    // A record 20 ms into a 40 ms request, without rid: judged.
    let line = |ts: u64, kind: &str, fields: &str| {
        format!(
            r#"{{"Timestamp":{ts},"Type":"{kind}","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{{fields}}}}}"#
        )
    };
    let t0: u64 = 1_796_000_000_000_000_000;
    let log = [
        line(t0 + 20_000_000, "app.db", r#""msg":"query""#),
        line(
            t0 + 40_000_000,
            "request.summary",
            r#""msg":"","agent":"a","path":"/","method":"GET","code":200,"errno":0,"lang":"","t":40,"rid":"r1","uid":"""#,
        ),
    ]
    .join("\n");
    std::fs::write(tmp.path().join("slow.log"), format!("{log}\n")).expect("write");
    let (outcome, found) = df708_of_logs("slow.log", tmp.path());
    assert_eq!(outcome, "warn", "{found}");
    assert!(
        found.starts_with("1 records written while a request was surely being handled")
            && found.contains("line 1 (app.db)"),
        "{found}"
    );
}

/// DF708's outcome and found text for `check logs FILE`.
fn df708_of_logs(file: &str, dir: &std::path::Path) -> (String, String) {
    let o = dockerflow(&["check", "logs", file, "--format", "json"], dir);
    let report: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "DF708")
        .expect("DF708")
        .clone();
    (
        f["outcome"].as_str().unwrap_or("").to_string(),
        f["found"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn an_engine_image_leaves_no_temporary_archive_behind() {
    let Some(engine) = engine() else { return };
    let tag = format!("dockerflow-test/export:{}", std::process::id());
    let (tar, _id) = Image::compliant().docker_archive(&tag);
    engine
        .image_load(&mut tar.as_slice(), tar.len() as u64)
        .expect("load the image");
    let loaded = Loaded {
        engine: &engine,
        tag: tag.clone(),
    };
    let tmp = TempDir::new("export");
    let private = tmp.path().join("tmp");
    std::fs::create_dir(&private).expect("mkdir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dockerflow"))
            .args(args)
            .current_dir(tmp.path())
            .env("TMPDIR", &private)
            .output()
            .expect("run dockerflow")
    };
    let left = || std::fs::read_dir(&private).expect("read TMPDIR").count();
    // Checked: the export is read, then removed.
    let o = run(&["check", "image", &format!("docker-daemon:{tag}")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(left(), 0, "a temporary file is left in TMPDIR");
    // Not checked (the read fails over its memory budget): removed all the same.
    let o = run(&["check", "image", &tag, "--max-memory", "1KiB"]);
    let e = error_line(&o);
    assert!(e.contains("--max-memory"), "{e}");
    assert_eq!(
        left(),
        0,
        "a temporary file is left in TMPDIR after an error"
    );
    drop(loaded);
}

/// The reference application's image (CI builds it as DEMO_IMAGE) passes `--run` in strict.
#[test]
fn demo_image_passes_running() {
    let Ok(image) = std::env::var("DEMO_IMAGE") else {
        dockerflow_testkit::skip("DEMO_IMAGE is not set (CI builds the demo's image and sets it)");
        return;
    };
    if engine().is_none() {
        return;
    }
    let tmp = TempDir::new("demo");
    let o = dockerflow(
        &[
            "check",
            "image",
            &image,
            "--run",
            "--read-only",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    for f in v["findings"].as_array().expect("findings") {
        let id = f["rule"].as_str().unwrap_or("");
        if id.starts_with("DF6") || id.starts_with("DF7") {
            let expect_skip = ["DF606", "DF607", "DF610"].contains(&id);
            let want = if expect_skip { "skipped" } else { "pass" };
            assert_eq!(f["outcome"], want, "{id}: {f}");
        }
    }
}
