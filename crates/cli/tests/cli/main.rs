//! Black-box tests of the `dockerflow` binary: exit codes, report formats, errors on stderr.

mod browser;
mod ci;
mod deploy;
mod flags;
mod fleet;
mod hostile;
mod inputs;
mod kubernetes;
mod logs_stream;
mod merge;
mod network;
mod outcomes;
mod publish;
#[path = "../../../registry/tests/common/mod.rs"]
mod registry_support;
mod reports;
mod runtime;
mod sarif;

use std::path::Path;
use std::process::{Command, Output};

use dockerflow_check::RULES;
use dockerflow_testkit::image::{file, whiteout, write_multi_platform, Form, Image, FORMS};
use dockerflow_testkit::TempDir;
use serde_json::{json, Value};

fn dockerflow(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("run dockerflow")
}

/// `dockerflow ARGS...` in `cwd` with `input` on its stdin. The command may refuse before it
/// reads it all (a broken pipe is then expected and ignored).
fn dockerflow_stdin(args: &[&str], cwd: &Path, input: &[u8]) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dockerflow");
    let _ = child.stdin.take().expect("stdin").write_all(input);
    child.wait_with_output().expect("wait")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Reads the head of an HTTP/1.1 request that a test's loopback server accepted, blocking with
/// a 5 s read timeout: the request line and the headers, each `(name, value)` trimmed.
fn read_request_head(s: &std::net::TcpStream) -> (String, Vec<(String, String)>) {
    use std::io::{BufRead, BufReader};
    s.set_nonblocking(false).expect("blocking");
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut line = String::new();
    let _ = r.read_line(&mut line);
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) <= 2 {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    (line, headers)
}

/// The error line: exactly one line on stderr, starting `dockerflow: error: `.
fn error_line(o: &Output) -> String {
    assert_eq!(code(o), 2, "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    let e = stderr(o);
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(e.starts_with("dockerflow: error: "), "{e}");
    e
}

const GOOD_DOCKERFILE: &str = "FROM debian:bookworm-slim\nRUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 app\nWORKDIR /app\nCOPY . .\nENV PORT=8000\nEXPOSE 8000\nUSER app\nENTRYPOINT [\"/app/server\"]\nCMD [\"serve\"]\nCOPY version.json /app/version.json\n";
const ROOT_DOCKERFILE: &str =
    "FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT [\"./server\"]\n";

#[test]
fn help_and_version() {
    let tmp = TempDir::new("cli");
    let o = dockerflow(&["--help"], tmp.path());
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Usage: dockerflow <COMMAND>"));
    let o = dockerflow(&["check", "--help"], tmp.path());
    assert_eq!(code(&o), 0);
    for flag in [
        "--format",
        "--output",
        "--profile",
        "--ignore <ID=REASON>",
        "image",
        "dockerfile",
    ] {
        assert!(stdout(&o).contains(flag), "{flag}");
    }
    let o = dockerflow(&["--version"], tmp.path());
    assert_eq!(
        stdout(&o),
        format!("dockerflow {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn image_exit_codes_in_every_form() {
    let tmp = TempDir::new("cli");
    for form in FORMS {
        let dir = tmp.path().join(format!("{form:?}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let good = Image::compliant().write(&dir, form);
        let o = dockerflow(&["check", "image", &good], tmp.path());
        assert_eq!(code(&o), 0, "{form:?}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("verdict: PASS"));
        let bad_dir = dir.join("root");
        std::fs::create_dir_all(&bad_dir).expect("mkdir");
        let bad = Image::compliant()
            .with("User", json!("root"))
            .write(&bad_dir, form);
        let o = dockerflow(&["check", "image", &bad], tmp.path());
        assert_eq!(code(&o), 1, "{form:?}");
        assert!(stdout(&o).contains("FAIL  DF203"));
        // The same failure, ignored with a reason, passes.
        let o = dockerflow(
            &[
                "check",
                "image",
                &bad,
                "--ignore",
                "DF203=fixture runs as root on purpose",
            ],
            tmp.path(),
        );
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        // mozcloud still fails root.
        let o = dockerflow(&["check", "image", &bad, "--profile=mozcloud"], tmp.path());
        assert_eq!(code(&o), 1);
    }
}

#[test]
fn mozcloud_profile_accepts_a_non_root_cmd_only_image() {
    let tmp = TempDir::new("cli");
    let image = Image::compliant()
        .with("User", json!("65532"))
        .with("Entrypoint", Value::Null);
    let r = image.write(tmp.path(), Form::OciLayout);
    assert_eq!(code(&dockerflow(&["check", "image", &r], tmp.path())), 1);
    let o = dockerflow(
        &[
            "check",
            "image",
            &r,
            "--profile",
            "mozcloud",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["profile"], "mozcloud");
    assert_eq!(v["summary"]["warn"], 2);
}

#[test]
fn every_format_parses() {
    let tmp = TempDir::new("cli");
    let r = Image::compliant()
        .with("User", json!("root"))
        .write(tmp.path(), Form::OciArchive);
    // json
    let o = dockerflow(&["check", "image", &r, "--format", "json"], tmp.path());
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["verdict"], "fail");
    assert_eq!(
        v["findings"].as_array().map(Vec::len),
        Some(container_rules())
    );
    // sarif
    let o = dockerflow(&["check", "image", &r, "--format=sarif"], tmp.path());
    let v: Value = serde_json::from_str(&stdout(&o)).expect("sarif");
    assert_eq!(v["version"], "2.1.0");
    let ids: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, RULES.iter().map(|r| r.id).collect::<Vec<_>>());
    let failed: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["level"] == "error")
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(failed, ["DF203"]);
    // junit, to a file
    let out = tmp.path().join("report.xml");
    let o = dockerflow(
        &[
            "check",
            "image",
            &r,
            "--format",
            "junit",
            "--output",
            out.to_str().expect("utf8"),
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    let xml = std::fs::read_to_string(&out).expect("report");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert_eq!(xml.matches("<testcase ").count(), container_rules());
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    assert!(xml.trim_end().ends_with("</testsuites>"));
    // text: no colour when not a terminal
    let o = dockerflow(&["check", "image", &r], tmp.path());
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn dockerfile_checks() {
    let tmp = TempDir::new("cli");
    let good = tmp.path().join("Dockerfile");
    std::fs::write(&good, GOOD_DOCKERFILE).expect("write");
    // The build context as CI has it: COPY . brings version.json.
    std::fs::write(tmp.path().join("version.json"), "{}").expect("write");
    let o = dockerflow(&["check", "dockerfile", "Dockerfile"], tmp.path());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let sub = tmp.path().join("svc");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(sub.join("Dockerfile"), ROOT_DOCKERFILE).expect("write");
    std::fs::write(sub.join("version.json"), "{}").expect("write");
    let o = dockerflow(
        &["check", "dockerfile", "svc/Dockerfile", "--format", "json"],
        tmp.path(),
    );
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let fails: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["outcome"] == "fail")
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(fails, ["DF203", "DF301"]);
    // A directory is read as `docker build DIR` reads it: its Dockerfile, named in the report.
    let o = dockerflow(
        &["check", "dockerfile", "svc", "--format", "json"],
        tmp.path(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let dir: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(dir["input"]["name"], "svc/Dockerfile");
    assert_eq!(dir["findings"], v["findings"]);
    std::fs::create_dir_all(tmp.path().join("empty")).expect("mkdir");
    let e = error_line(&dockerflow(&["check", "dockerfile", "empty"], tmp.path()));
    assert!(
        e.contains("cannot read Dockerfile empty/Dockerfile")
            && e.contains("expected a Dockerfile in the directory given"),
        "{e}"
    );
    // .dockerflow-check next to the Dockerfile
    std::fs::write(
        sub.join(".dockerflow-check"),
        "# accepted\nDF203 runs in a sandbox\nDF301 one binary, no arguments\n",
    )
    .expect("write");
    let o = dockerflow(&["check", "dockerfile", "svc/Dockerfile"], tmp.path());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("ignored:  runs in a sandbox"));
    std::fs::write(sub.join(".dockerflow-check"), "DF203\n").expect("write");
    let e = error_line(&dockerflow(
        &["check", "dockerfile", "svc/Dockerfile"],
        tmp.path(),
    ));
    assert!(
        e.contains(".dockerflow-check:1: ignoring DF203 needs a reason"),
        "{e}"
    );
    // --target and --build-arg
    let multi = "ARG U=root\nFROM debian AS base\nARG U\nCOPY . /app\nUSER $U\nENTRYPOINT [\"a\"]\nCMD [\"b\"]\nFROM scratch\nCOPY x /x\n";
    std::fs::write(tmp.path().join("Multi"), multi).expect("write");
    let o = dockerflow(
        &[
            "check",
            "dockerfile",
            "Multi",
            "--target",
            "base",
            "--build-arg",
            "U=10001",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let e = error_line(&dockerflow(
        &["check", "dockerfile", "Multi", "--target", "nope"],
        tmp.path(),
    ));
    assert!(
        e.contains("no stage named \"nope\"; expected one of: base, 1"),
        "{e}"
    );
}

/// Secrets are a MUST (CONTRACT section 2): a credential in ENV, LABEL or a kept ARG fails
/// the check (exit 1) in both profiles, its value never printed.
#[test]
fn dockerfile_secrets_fail_the_check() {
    let tmp = TempDir::new("cli");
    std::fs::write(tmp.path().join("version.json"), "{}").expect("write");
    for (name, line) in [
        ("env", "ENV DATABASE_URL=postgres://app:s3cr3t-pw@db/app"),
        ("label", "LABEL com.example.db-password=s3cr3t-pw"),
        ("arg", "ARG NPM_TOKEN=npm_s3cr3t-pw"),
    ] {
        let src = GOOD_DOCKERFILE.replace("ENV PORT=8000\n", &format!("{line}\nENV PORT=8000\n"));
        std::fs::write(tmp.path().join(name), src).expect("write");
        for profile in ["strict", "mozcloud"] {
            let o = dockerflow(
                &["check", "dockerfile", name, "--profile", profile],
                tmp.path(),
            );
            assert_eq!(code(&o), 1, "{name} ({profile}): {}", stdout(&o));
            assert!(stdout(&o).contains("FAIL  DF501"), "{}", stdout(&o));
            assert!(!stdout(&o).contains("s3cr3t-pw"), "{}", stdout(&o));
        }
    }
}

#[test]
fn dockerfile_build_context() {
    let tmp = TempDir::new("cli");
    std::fs::write(tmp.path().join("Dockerfile"), GOOD_DOCKERFILE).expect("write");
    std::fs::write(tmp.path().join("version.json"), "{}").expect("write");
    std::fs::write(tmp.path().join(".env"), "DB_PASSWORD=ctx-secret-value").expect("write");
    // The Dockerfile's directory is the context: COPY . . brings .env in.
    let o = dockerflow(&["check", "dockerfile", "Dockerfile"], tmp.path());
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains(".env by COPY . from the build context (an environment file)"));
    assert!(!stdout(&o).contains("ctx-secret-value"));
    // --context names another directory; one that is not there cannot tell.
    let clean = tmp.path().join("clean");
    std::fs::create_dir_all(&clean).expect("mkdir");
    std::fs::write(clean.join("version.json"), "{}").expect("write");
    let o = dockerflow(
        &["check", "dockerfile", "Dockerfile", "--context", "clean"],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = dockerflow(
        &["check", "dockerfile", "Dockerfile", "--context", "nope"],
        tmp.path(),
    );
    assert!(
        stdout(&o).contains("(DF502): could not tell"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("could not be read"), "{}", stdout(&o));
}

#[test]
fn could_not_check_exits_2_with_one_line() {
    let tmp = TempDir::new("cli");
    let t = tmp.path();
    // A registry that is not there (loopback only: tests never reach the internet).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let e = error_line(&dockerflow(
        &[
            "check",
            "image",
            &format!("docker://127.0.0.1:{port}/app:3"),
        ],
        t,
    ));
    assert!(
        e.contains(&format!("GET http://127.0.0.1:{port}/v2/")) && e.contains("network error"),
        "{e}"
    );
    let e = error_line(&dockerflow(&["check", "image", "alpine:3"], t));
    assert!(e.contains("Docker engine"), "{e}");
    let e = error_line(&dockerflow(
        &["check", "image", "oci-archive:missing.tar"],
        t,
    ));
    assert!(e.contains("missing.tar"), "{e}");
    let e = error_line(&dockerflow(&["check", "dockerfile", "nope/Dockerfile"], t));
    assert!(e.contains("cannot read Dockerfile nope/Dockerfile"), "{e}");
    let e = error_line(&dockerflow(
        &["check", "image", "x", "--ignore", "DF201"],
        t,
    ));
    assert!(
        e.contains(
            "ignoring DF201 needs a reason; expected `--ignore 'DF201=why it does not apply here'`"
        ),
        "{e}"
    );
    let e = error_line(&dockerflow(&["check", "image", "x", "--format", "xml"], t));
    assert!(
        e.contains("[possible values: text, json, junit, sarif, gnu, html, badge]"),
        "{e}"
    );
    let e = error_line(&dockerflow(&["check", "image", "x", "--profile"], t));
    assert!(
        e.contains("a value is required for '--profile <PROFILE>'"),
        "{e}"
    );
    let e = error_line(&dockerflow(
        &["check", "image", "x", "--platform", "linux"],
        t,
    ));
    assert!(e.contains("expected OS/ARCH[/VARIANT]"), "{e}");
    let e = error_line(&dockerflow(&["check", "image"], t));
    assert!(
        e.contains("required arguments were not provided: <REF>"),
        "{e}"
    );
    let e = error_line(&dockerflow(&["check", "image", "x", "--bogus"], t));
    assert!(e.contains("unexpected argument '--bogus' found"), "{e}");
    let e = error_line(&dockerflow(&[], t));
    assert!(e.contains("requires a subcommand"), "{e}");
}

/// `ENV A=$A$A` forty times (under 500 bytes) once asked for terabytes and took a CI runner
/// down; the `ARG` form before `FROM` too. Now each is refused at once, with exit 2 and the
/// instruction and line, under an address-space limit of 1 GiB set on the child.
#[test]
fn exponential_variable_expansion_exits_2_within_a_memory_limit() {
    let tmp = TempDir::new("cli");
    let t = tmp.path();
    let cases = [
        (
            format!("FROM debian\nENV A=xxxxxxxx\n{}", "ENV A=$A$A\n".repeat(40)),
            "line 20, column 1: ENV: variable expansion grows this value by more than 1048576 bytes",
        ),
        (
            format!("ARG A=xxxxxxxx\n{}FROM debian:$A\n", "ARG A=$A$A\n".repeat(40)),
            "line 19, column 1: ARG: variable expansion grows this value by more than 1048576 bytes",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let file = t.join(format!("Dockerfile.{i}"));
        std::fs::write(&file, text).expect("write");
        let o = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1048576 && exec \"$0\" check dockerfile \"$1\"")
            .arg(env!("CARGO_BIN_EXE_dockerflow"))
            .arg(&file)
            .current_dir(t)
            .output()
            .expect("run dockerflow under ulimit");
        let e = error_line(&o);
        assert!(
            e.contains(&format!(
                "cannot check Dockerfile {}: {want}",
                file.display()
            )),
            "{e}"
        );
    }
}

#[test]
fn hostile_or_truncated_archives_exit_2() {
    let tmp = TempDir::new("cli");
    let r = Image::compliant()
        .layer(vec![file("/app/big", 0o644, &"x".repeat(10_000))])
        .write(tmp.path(), Form::DockerArchive);
    let path = r.strip_prefix("docker-archive:").expect("prefix");
    let bytes = std::fs::read(path).expect("read");
    let cut = tmp.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let e = error_line(&dockerflow(
        &[
            "check",
            "image",
            &format!("docker-archive:{}", cut.display()),
        ],
        tmp.path(),
    ));
    assert!(e.contains("cut.tar"), "{e}");
    // A layer whose bytes do not match its digest.
    let r = Image::compliant().write(tmp.path(), Form::OciLayout);
    let dir = Path::new(r.strip_prefix("oci:").expect("prefix"));
    let blobs = dir.join("blobs/sha256");
    let mut biggest = None;
    for entry in std::fs::read_dir(&blobs).expect("blobs") {
        let p = entry.expect("entry").path();
        let len = std::fs::metadata(&p).expect("meta").len();
        if biggest.as_ref().is_none_or(|(l, _)| len > *l) {
            biggest = Some((len, p));
        }
    }
    let (_, layer) = biggest.expect("a blob");
    let mut b = std::fs::read(&layer).expect("read");
    let n = b.len();
    b[n / 2] ^= 0xff;
    std::fs::write(&layer, b).expect("write");
    let e = error_line(&dockerflow(&["check", "image", &r], tmp.path()));
    assert!(e.contains("cannot check image oci:"), "{e}");
}

#[test]
fn platform_picks_from_a_multi_platform_image() {
    let tmp = TempDir::new("cli");
    let amd64 = Image::compliant();
    let arm64 = Image::compliant().with("User", json!("root"));
    let r = write_multi_platform(
        tmp.path(),
        &[("linux/amd64", &amd64), ("linux/arm64", &arm64)],
    );
    let o = dockerflow(&["check", "image", &r], tmp.path());
    assert_eq!(
        code(&o),
        0,
        "linux/amd64 by default: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = dockerflow(
        &["check", "image", &r, "--platform", "linux/arm64"],
        tmp.path(),
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let e = error_line(&dockerflow(
        &["check", "image", &r, "--platform", "linux/s390x"],
        tmp.path(),
    ));
    assert!(e.contains("linux/s390x"), "{e}");
}

#[test]
fn no_format_prints_a_secret_value() {
    let tmp = TempDir::new("cli");
    let r = Image::compliant()
        .with("Env", json!(["PORT=8000", "DB_PASSWORD=hunter2-value"]))
        .with("Labels", json!({"aws": "AKIAIOSFODNN7EXAMPLE"}))
        .history("RUN |1 NPM_TOKEN=npm-token-value /bin/sh -c npm ci")
        .layer(vec![
            file("/app/.env", 0o644, "SECRET=env-file-value"),
            file(
                "/key.pem",
                0o600,
                "-----BEGIN PRIVATE KEY-----\nkey-file-value\n",
            ),
        ])
        .layer(vec![whiteout("/app/.env"), whiteout("/key.pem")])
        .write(tmp.path(), Form::DockerArchive);
    for format in ["text", "json", "junit", "sarif"] {
        let o = dockerflow(&["check", "image", &r, "--format", format], tmp.path());
        assert_eq!(
            code(&o),
            1,
            "{format}: a secret fails (a MUST, CONTRACT §2)"
        );
        let out = stdout(&o);
        assert!(out.contains("DB_PASSWORD=****"), "{format}: {out}");
        assert!(
            out.contains("/key.pem (a private key; layer 2"),
            "{format}: {out}"
        );
        for secret in [
            "hunter2-value",
            "AKIAIOSFODNN7EXAMPLE",
            "npm-token-value",
            "env-file-value",
            "key-file-value",
        ] {
            assert!(!out.contains(secret), "{format} prints {secret}");
        }
    }
}

/// The rules of a report of anything but Kubernetes manifests (DF8xx judge only those).
fn container_rules() -> usize {
    RULES.iter().filter(|r| !r.judges_manifests()).count()
}
