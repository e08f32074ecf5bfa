//! The demo's image, tested from outside on the Docker engine (CONTRACT section 2 and the
//! reference-app issue): config, every endpoint, uid 10001, a read-only root filesystem with a
//! tmpfs `/tmp`, and a prompt exit 0 on SIGTERM.
//!
//! `.ci/run` builds the image from the repository's Dockerfile and names it in `DEMO_IMAGE`.
//! Without it the tests say so and skip; with `CI=true` they fail instead.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use dockerflow_testkit::process::free_port;
use serde_json::Value;

fn docker() -> String {
    std::env::var("DOCKER").unwrap_or_else(|_| "/usr/bin/docker".to_owned())
}

/// The image under test, or `None` (after saying why) when there is none to test.
fn image() -> Option<String> {
    let image = std::env::var("DEMO_IMAGE").ok().filter(|s| !s.is_empty());
    let engine = Command::new(docker())
        .arg("info")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let why = match (&image, engine) {
        (Some(_), true) => return image,
        (None, _) => "DEMO_IMAGE is not set (.ci/run builds the image and sets it)",
        (Some(_), false) => "no Docker engine answers (.ci/run starts one)",
    };
    dockerflow_testkit::skip(format_args!("the image tests cannot run: {why}"));
    None
}

fn run(args: &[&str]) -> Output {
    let output = Command::new(docker()).args(args).output().expect("docker");
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A container of the image on the host network; removed on drop.
struct Container {
    id: String,
    port: u16,
}

impl Container {
    fn start(image: &str, extra: &[&str]) -> Container {
        let port = free_port();
        let port_env = format!("PORT={port}");
        let mut args = vec![
            "run",
            "-d",
            "--network",
            "host",
            "-e",
            &port_env,
            "-e",
            "HOST=127.0.0.1",
        ];
        args.extend_from_slice(extra);
        args.push(image);
        let id = String::from_utf8_lossy(&run(&args).stdout)
            .trim()
            .to_owned();
        let container = Container { id, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(port, "/__lbheartbeat__").map(|r| r.0) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "the container never answered; logs: {}",
                container.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        container
    }

    fn logs(&self) -> String {
        let out = Command::new(docker())
            .args(["logs", &self.id])
            .output()
            .expect("docker logs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    fn inspect(&self, format: &str) -> String {
        String::from_utf8_lossy(&run(&["inspect", "-f", format, &self.id]).stdout)
            .trim()
            .to_owned()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new(docker())
            .args(["rm", "-f", "-v", &self.id])
            .output();
    }
}

/// GET (or POST with a JSON body) on loopback; (status, headers, body).
fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Option<(u16, HashMap<String, String>, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = body.unwrap_or("");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = text.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some((status, headers, raw[split + 4..].to_vec()))
}

fn get(port: u16, path: &str) -> Option<(u16, HashMap<String, String>, Vec<u8>)> {
    request(port, "GET", path, None)
}

#[test]
fn image_config_is_dockerflow_to_the_letter() {
    let Some(image) = image() else { return };
    let raw = run(&["image", "inspect", &image]).stdout;
    let inspect: Value = serde_json::from_slice(&raw).expect("inspect JSON");
    let config = &inspect[0]["Config"];
    assert_eq!(config["User"], "app");
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/app/bin/dockerflow-demo"])
    );
    assert_eq!(config["Cmd"], serde_json::json!(["serve"]));
    assert_eq!(
        config["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "/app/bin/dockerflow-demo", "healthcheck"]),
        "the self-probe, no shell"
    );
    assert_eq!(config["WorkingDir"], "/app");
    let env: Vec<&str> = config["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"PORT=8000"), "{env:?}");
    assert!(config["ExposedPorts"].get("8000/tcp").is_some(), "{config}");
    let labels = &config["Labels"];
    for key in ["source", "revision", "version"] {
        assert!(
            labels
                .get(format!("org.opencontainers.image.{key}"))
                .is_some(),
            "label {key}: {labels}"
        );
    }
}

#[test]
fn endpoints_uid_and_a_read_only_root() {
    let Some(image) = image() else { return };
    let c = Container::start(&image, &["--read-only", "--tmpfs", "/tmp"]);

    let (status, headers, body) = get(c.port, "/__version__").expect("version");
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    let version: Value = serde_json::from_slice(&body).expect("version.json is JSON");
    for key in ["source", "version", "commit", "build"] {
        assert!(version[key].is_string(), "{key} in {version}");
    }
    let label = c.inspect("{{index .Config.Labels \"org.opencontainers.image.revision\"}}");
    assert_eq!(
        version["commit"], label,
        "the revision label is version.json's commit"
    );

    let (status, _, body) = get(c.port, "/__heartbeat__").expect("heartbeat");
    let heartbeat: Value = serde_json::from_slice(&body).expect("heartbeat JSON");
    assert_eq!(status, 200, "{heartbeat}");
    assert_eq!(heartbeat["checks"]["database"], "ok");
    let (status, _, body) = get(c.port, "/__lbheartbeat__").expect("lbheartbeat");
    assert_eq!((status, body.len()), (200, 0));
    // The image's HEALTHCHECK, run by hand in the container: the self-probe succeeds.
    let probe = run(&["exec", &c.id, "/app/bin/dockerflow-demo", "healthcheck"]);
    assert!(probe.stderr.is_empty(), "{probe:?}");

    // The app works on a read-only root: it writes to its /data volume.
    let (status, _, body) = request(
        c.port,
        "POST",
        "/api/links",
        Some(r#"{"url":"https://example.com/x"}"#),
    )
    .expect("post");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let code = serde_json::from_slice::<Value>(&body).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, headers, _) = get(c.port, &format!("/{code}")).expect("redirect");
    assert_eq!(
        (status, headers.get("location").map(String::as_str)),
        (302, Some("https://example.com/x"))
    );
    let (status, headers, _) = get(c.port, "/").expect("page");
    assert_eq!(status, 200);
    assert!(headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("text/html")));

    // The process runs as uid 10001, read from the host's view of it (no `id` in the image).
    let pid = c.inspect("{{.State.Pid}}");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let uid_line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap_or_default()
        .to_owned();
    let uids: Vec<&str> = uid_line.split_whitespace().skip(1).collect();
    assert_eq!(uids, ["10001"; 4], "{uid_line}");

    // Its logs are mozlog JSON lines.
    let logs = c.logs();
    assert!(!logs.trim().is_empty());
    for line in logs.lines() {
        let record: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert_eq!(record["EnvVersion"], "2.0", "{line}");
    }
}

#[test]
fn sigterm_exits_0_promptly() {
    let Some(image) = image() else { return };
    let c = Container::start(&image, &["-e", "DOCKERFLOW_DRAIN_DELAY_MS=500"]);
    let started = Instant::now();
    run(&["kill", "--signal", "TERM", &c.id]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.inspect("{{.State.Running}}") == "true" {
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM; logs: {}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    assert_eq!(c.inspect("{{.State.ExitCode}}"), "0", "logs: {}", c.logs());
    assert!(
        took < Duration::from_secs(3),
        "took {took:?} with a 500 ms drain delay"
    );
}
