//! `dockerflow ci`: the pipeline of CONTRACT section 3 as one command: version, build, check,
//! publish (only when the check passed), with a build-and-test log file and secrets masked in
//! everything it prints or writes.
//!
//! Each step runs this same executable as a child process (`dockerflow version`, `build`,
//! `check image`, `publish`; `docker build` when a Dockerfile is asked for). That keeps one
//! implementation per step, and it is what makes masking complete: every byte a step writes
//! passes through [`Masker`] before it reaches the terminal or the log file, whoever wrote it
//! (our code, cargo, rustc, docker, or the container's own logs quoted by the checker).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::flags::Flags;

const HELP: &str = "\
Run the Dockerflow pipeline: version.json, the image, its check, and its publication.

Usage:
  dockerflow ci (--bin NAME | --binary PATH | --dockerfile PATH) [OPTIONS]

Steps, in order; the first that fails stops the pipeline:
  1. version  version.json from the CI environment (dockerflow version), unless
              --version-json FILE names an existing one; written into the build context
              for --dockerfile (where its COPY finds it), else to ./version.json
  2. build    daemonless (dockerflow build) from --bin or --binary; or `docker build` of
              --dockerfile PATH (context: its directory, or --context DIR)
  3. check    dockerflow check image, statically, and running (--run) when a Docker engine
              answers; --no-run checks statically only
  4. publish  only when the check passed and --registry-image is given: dockerflow publish
              to each tag, writing docker-image-shasum256.txt

Options:
  --bin NAME                   Build the cargo binary target NAME (-p PKG: its package)
  --binary PATH                Use a prebuilt executable
  --cmd CMD                    The image's Cmd for a daemonless build (required there:
                               words, or a JSON array)
  --static DIR                 Static files for /app/static/ (daemonless build)
  --healthcheck                The image's Healthcheck runs the binary's self-probe
                               (daemonless build)
  --image-env K=V              An environment variable in the image's config (daemonless
                               build; repeatable)
  --dockerfile PATH            Build with `docker build -f PATH` instead
  --context DIR                The docker build context (default: the Dockerfile's directory)
  --version-json FILE          Use this version.json instead of generating one
  --registry-image docker://REGISTRY/REPO
                               Where to publish; without it nothing is published
  --tag TAG                    A tag to publish (repeatable; default: the version on tag
                               builds, else latest)
  --profile strict|mozcloud    The check's profile (default strict)
  --no-run                     Do not run the image, even with an engine
  --dependency-env VAR         Passed to the runtime check (repeatable)
  --env K=V                    Passed to the runtime check (repeatable)
  --junit FILE                 Also write the check's report as JUnit XML
  --work-dir DIR               Where images are written (default target/dockerflow-ci)
  --log FILE                   The build and test log (default dockerflow-ci.log)
  --mask VALUE                 Mask VALUE too (repeatable)

Masking: the values of environment variables (and --env values) whose names contain
PASSWORD, PASSWD, SECRET, TOKEN, KEY, CREDENTIAL, AUTH or PRIVATE (4 characters or more), the
password of any URL among them, and every --mask value are replaced with *** in everything
printed and logged, whichever step wrote it.

Exit status: 0 every step passed; 1 the check failed (nothing published); 2 a step could not
run (the reason is in the output and the log).
";

#[derive(Debug, Default)]
struct CiArgs {
    bin: Option<String>,
    package: Option<String>,
    binary: Option<String>,
    cmd: Option<String>,
    static_dir: Option<String>,
    dockerfile: Option<String>,
    context: Option<String>,
    version_json: Option<String>,
    registry_image: Option<String>,
    tags: Vec<String>,
    profile: Option<String>,
    no_run: bool,
    healthcheck: bool,
    dependency_env: Vec<String>,
    env: Vec<String>,
    image_env: Vec<String>,
    junit: Option<String>,
    work_dir: Option<String>,
    log: Option<String>,
    masks: Vec<String>,
}

fn parse(args: &[String]) -> Result<Option<CiArgs>, String> {
    let mut a = CiArgs::default();
    let mut flags = Flags::new("ci", args);
    while let Some(flag) = flags.next_flag() {
        let mut value = || flags.value(flag);
        match flag {
            "-h" | "--help" => return Ok(None),
            "--bin" => a.bin = Some(value()?),
            "-p" | "--package" => a.package = Some(value()?),
            "--binary" => a.binary = Some(value()?),
            "--cmd" => a.cmd = Some(value()?),
            "--static" => a.static_dir = Some(value()?),
            "--dockerfile" => a.dockerfile = Some(value()?),
            "--context" => a.context = Some(value()?),
            "--version-json" => a.version_json = Some(value()?),
            "--registry-image" => a.registry_image = Some(value()?),
            "--tag" => a.tags.push(value()?),
            "--profile" => a.profile = Some(value()?),
            "--no-run" => a.no_run = true,
            "--healthcheck" => a.healthcheck = true,
            "--dependency-env" => a.dependency_env.push(value()?),
            "--env" | "-e" => a.env.push(value()?),
            "--image-env" => a.image_env.push(value()?),
            "--junit" => a.junit = Some(value()?),
            "--work-dir" => a.work_dir = Some(value()?),
            "--log" => a.log = Some(value()?),
            "--mask" => a.masks.push(value()?),
            other => {
                return Err(format!(
                    "unknown option {other:?} for `dockerflow ci` (see `dockerflow ci --help`)"
                ))
            }
        }
    }
    let sources = [a.bin.is_some(), a.binary.is_some(), a.dockerfile.is_some()];
    match sources.iter().filter(|s| **s).count() {
        1 => {}
        0 => {
            return Err(
                "nothing to build: expected --bin NAME, --binary PATH or --dockerfile PATH".into(),
            )
        }
        _ => {
            return Err(
                "--bin, --binary and --dockerfile choose how the image is built: give one".into(),
            )
        }
    }
    if a.dockerfile.is_none() && a.cmd.is_none() {
        return Err("a daemonless build needs --cmd, the image's CMD (e.g. --cmd serve); the contract wants ENTRYPOINT and CMD".into());
    }
    if let Some(r) = &a.registry_image {
        let rest = r.strip_prefix("docker://").ok_or_else(|| {
            format!("--registry-image {r:?}: expected docker://REGISTRY/REPO (no tag: use --tag)")
        })?;
        let last = rest.rsplit('/').next().unwrap_or_default();
        if rest.contains('@') || last.contains(':') {
            return Err(format!(
                "--registry-image {r:?} names a tag or digest; expected docker://REGISTRY/REPO and --tag TAG"
            ));
        }
    }
    for t in &a.tags {
        let valid = !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            && !t.starts_with(['.', '-']);
        if !valid {
            return Err(format!(
                "--tag {t:?} is not a Docker tag; expected 1-128 of [A-Za-z0-9_.-], not starting with . or -"
            ));
        }
    }
    Ok(Some(a))
}

/// Replaces secret values with `***`, longest first (so a secret containing another is masked
/// whole).
#[derive(Debug, Clone)]
pub(crate) struct Masker {
    secrets: Vec<String>,
}

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
];

impl Masker {
    /// The secrets of `env` (see the command's help) and the `extra` values.
    pub(crate) fn new(env: impl IntoIterator<Item = (String, String)>, extra: &[String]) -> Masker {
        let mut secrets: Vec<String> = extra.iter().filter(|s| !s.is_empty()).cloned().collect();
        for (name, value) in env {
            let upper = name.to_ascii_uppercase();
            if value.len() >= 4 && SECRET_WORDS.iter().any(|w| upper.contains(w)) {
                secrets.push(value.clone());
            }
            secrets.extend(url_passwords(&value));
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Masker { secrets }
    }

    pub(crate) fn mask(&self, line: &str) -> String {
        let mut out = line.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

/// The passwords of `scheme://user:password@host` URLs in `value` (3 characters or more).
fn url_passwords(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        rest = &rest[i + 3..];
        let authority_end = rest.find(['/', ' ', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                if password.len() >= 3 {
                    found.push(password.to_string());
                }
            }
        }
    }
    found
}

/// Where output goes: the terminal (stdout or stderr, as the step wrote it) and the log file,
/// each line masked first.
#[derive(Clone)]
struct Sink {
    masker: Arc<Masker>,
    log: Arc<Mutex<File>>,
}

impl Sink {
    fn line(&self, text: &str, to_stderr: bool) {
        let masked = self.masker.mask(text);
        if to_stderr {
            eprintln!("{masked}");
        } else {
            println!("{masked}");
        }
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = writeln!(log, "{masked}");
    }

    /// Runs `cmd` with its output streamed through the masker; returns its exit code (None
    /// when it could not be started or was killed by a signal).
    fn run(&self, label: &str, cmd: &mut Command) -> Option<i32> {
        let shown: Vec<String> = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        self.line(&format!("$ {}", shown.join(" ")), false);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                self.line(
                    &format!("ci: {label}: cannot start {}: {e}", shown[0]),
                    true,
                );
                return None;
            }
        };
        let err_sink = self.clone();
        let stderr = child.stderr.take().map(|s| {
            std::thread::spawn(move || {
                for line in lines(s) {
                    err_sink.line(&line, true);
                }
            })
        });
        if let Some(s) = child.stdout.take() {
            for line in lines(s) {
                self.line(&line, false);
            }
        }
        if let Some(t) = stderr {
            let _ = t.join();
        }
        child.wait().ok().and_then(|s| s.code())
    }
}

/// Lines of `r`, lossily decoded (a step's output need not be UTF-8).
fn lines(r: impl Read) -> impl Iterator<Item = String> {
    BufReader::new(r)
        .split(b'\n')
        .map_while(Result::ok)
        .map(|l| {
            String::from_utf8_lossy(&l)
                .trim_end_matches('\r')
                .to_string()
        })
}

pub(crate) fn run(args: &[String]) -> ExitCode {
    let a = match parse(args) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("dockerflow ci: {e}");
            return ExitCode::from(2);
        }
    };
    // Secrets come from the environment and from this command's own `--env K=V` values
    // (which the check's command line repeats).
    let given = a.env.iter().chain(&a.image_env).filter_map(|kv| {
        kv.split_once('=')
            .map(|(k, v)| (k.to_string(), v.to_string()))
    });
    let masker = Arc::new(Masker::new(std::env::vars().chain(given), &a.masks));
    let log_path = a.log.clone().unwrap_or_else(|| "dockerflow-ci.log".into());
    let log = match File::create(&log_path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("dockerflow ci: cannot create the log file {log_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let sink = Sink {
        masker,
        log: Arc::new(Mutex::new(log)),
    };
    let started = Instant::now();
    let code = pipeline(&a, &sink);
    let verdict = match code {
        0 => "PASS: every step passed",
        1 => "FAIL: the check failed; nothing was published",
        _ => "ERROR: a step could not run; nothing was published",
    };
    sink.line(
        &format!(
            "ci: {verdict} ({:.1} s; log: {log_path})",
            started.elapsed().as_secs_f64()
        ),
        code != 0,
    );
    ExitCode::from(code)
}

fn step(sink: &Sink, name: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    sink.line(&format!("== {name} (unix time {now})"), false);
}

/// The docker build context: --context, else the Dockerfile's directory.
fn context_of(a: &CiArgs, dockerfile: &str) -> String {
    a.context.clone().unwrap_or_else(|| {
        Path::new(dockerfile)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| ".".into(), |p| p.display().to_string())
    })
}

fn me() -> Command {
    Command::new(std::env::current_exe().unwrap_or_else(|_| PathBuf::from("dockerflow")))
}

/// The steps; returns the exit code.
fn pipeline(a: &CiArgs, sink: &Sink) -> u8 {
    let fail = |msg: String| {
        sink.line(&format!("ci: {msg}"), true);
        2
    };
    let work = PathBuf::from(
        a.work_dir
            .clone()
            .unwrap_or_else(|| "target/dockerflow-ci".into()),
    );
    if let Err(e) = std::fs::create_dir_all(&work) {
        return fail(format!(
            "cannot create the work directory {}: {e}",
            work.display()
        ));
    }

    // 1. version
    step(sink, "version");
    let version_json = match &a.version_json {
        Some(f) => {
            let code = sink.run("version", me().args(["version", "--check", f]));
            if code != Some(0) {
                return fail(format!("{f} is not a valid version.json (see above)"));
            }
            PathBuf::from(f)
        }
        None => {
            // A Dockerfile COPYs version.json from its build context (CONTRACT section 3);
            // a daemonless build is handed the file.
            let f = match &a.dockerfile {
                Some(d) => Path::new(&context_of(a, d)).join("version.json"),
                None => PathBuf::from("version.json"),
            };
            let code = sink.run("version", me().arg("version").arg("--output").arg(&f));
            if code != Some(0) {
                return fail("could not write version.json (see above)".into());
            }
            f
        }
    };
    let version = std::fs::read(&version_json)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v.get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    if let Ok(text) = std::fs::read_to_string(&version_json) {
        for line in text.lines() {
            sink.line(line, false);
        }
    }

    // 2. build
    step(sink, "build");
    let engine_up = crate::daemon::engine().is_ok_and(|e| e.ping().is_ok());
    let (check_ref, publish_src, runnable) = if let Some(dockerfile) = &a.dockerfile {
        let tag = format!("dockerflow-ci:{}", std::process::id());
        let context = context_of(a, dockerfile);
        let mut cmd = Command::new("docker");
        cmd.args(["build", "-f", dockerfile, "-t", &tag, &context]);
        let code = sink.run("build", &mut cmd);
        if code != Some(0) {
            return fail(format!("docker build of {dockerfile} failed (see above)"));
        }
        let r = format!("docker-daemon:{tag}");
        (r.clone(), r, true)
    } else {
        let layout = work.join("image");
        let archive = work.join("image.tar");
        let _ = std::fs::remove_dir_all(&layout);
        let mut cmd = me();
        cmd.arg("build");
        if let Some(b) = &a.bin {
            cmd.args(["--bin", b]);
        }
        if let Some(p) = &a.package {
            cmd.args(["--package", p]);
        }
        if let Some(b) = &a.binary {
            cmd.args(["--binary", b]);
        }
        if let Some(c) = &a.cmd {
            cmd.args(["--cmd", c]);
        }
        if let Some(s) = &a.static_dir {
            cmd.args(["--static", s]);
        }
        for e in &a.image_env {
            cmd.args(["--env", e]);
        }
        if a.healthcheck {
            cmd.arg("--healthcheck");
        }
        cmd.arg("--version-json").arg(&version_json);
        cmd.arg("--output").arg(format!("oci:{}", layout.display()));
        cmd.arg("--output").arg(format!(
            "docker-archive:{}:dockerflow-ci:latest",
            archive.display()
        ));
        let code = sink.run("build", &mut cmd);
        if code != Some(0) {
            return fail("the daemonless build failed (see above)".into());
        }
        (
            format!("docker-archive:{}", archive.display()),
            format!("oci:{}", layout.display()),
            engine_up,
        )
    };

    // 3. check
    step(sink, "check");
    let run_it = runnable && engine_up && !a.no_run;
    if !run_it {
        let why = if a.no_run {
            "--no-run"
        } else {
            "no Docker engine answers"
        };
        sink.line(&format!("ci: static check only ({why})"), false);
    }
    let mut check = me();
    check.args(["check", "image", &check_ref]);
    if let Some(p) = &a.profile {
        check.args(["--profile", p]);
    }
    if run_it {
        check.arg("--run");
        for d in &a.dependency_env {
            check.args(["--dependency-env", d]);
        }
        for e in &a.env {
            check.args(["--env", e]);
        }
    }
    if let Some(junit) = &a.junit {
        check.arg("--report").arg(format!("junit={junit}"));
    }
    let check_code = sink.run("check", &mut check);
    match check_code {
        Some(0) => {}
        Some(1) => return 1,
        _ => return fail("the check could not run (see above)".into()),
    }

    // 4. publish
    let Some(repo) = &a.registry_image else {
        step(sink, "publish");
        sink.line("ci: no --registry-image: nothing to publish", false);
        return 0;
    };
    step(sink, "publish");
    let tags = if a.tags.is_empty() {
        vec![if version.is_empty() {
            "latest".to_string()
        } else {
            version.clone()
        }]
    } else {
        a.tags.clone()
    };
    for tag in &tags {
        let dest = format!("{repo}:{tag}");
        let code = sink.run("publish", me().args(["publish", &publish_src, &dest]));
        if code != Some(0) {
            return fail(format!("publishing to {dest} failed (see above)"));
        }
    }
    if let Ok(digest) = std::fs::read_to_string("docker-image-shasum256.txt") {
        sink.line(&format!("ci: published {}", digest.trim()), false);
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_names_url_passwords_and_extras_longest_first() {
        let env = vec![
            (
                "DOCKERFLOW_REGISTRY_PASSWORD".to_string(),
                "hunter22".to_string(),
            ),
            ("API_TOKEN".to_string(), "tok-abcdef".to_string()),
            ("PATH".to_string(), "/usr/bin".to_string()),
            ("SHORT_KEY".to_string(), "abc".to_string()),
            (
                "DATABASE_URL".to_string(),
                "postgres://app:s3cr3tpw@db:5432/x".to_string(),
            ),
        ];
        let m = Masker::new(env, &["extra-value".to_string(), "hunter2".to_string()]);
        assert_eq!(
            m.mask(
                "pw=hunter22 t=tok-abcdef db=postgres://app:s3cr3tpw@db x=extra-value p=/usr/bin"
            ),
            "pw=*** t=*** db=postgres://app:***@db x=*** p=/usr/bin"
        );
        assert_eq!(
            m.mask("abc stays: too short to be a secret"),
            "abc stays: too short to be a secret"
        );
    }

    #[test]
    fn flags_are_validated() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(parse(&s(&[])).unwrap_err().contains("nothing to build"));
        assert!(parse(&s(&["--bin", "a", "--dockerfile", "D"]))
            .unwrap_err()
            .contains("give one"));
        assert!(parse(&s(&["--bin", "a"])).unwrap_err().contains("--cmd"));
        assert!(parse(&s(&[
            "--bin",
            "a",
            "--cmd",
            "serve",
            "--registry-image",
            "r/x"
        ]))
        .unwrap_err()
        .contains("docker://"));
        assert!(parse(&s(&[
            "--bin",
            "a",
            "--cmd",
            "serve",
            "--registry-image",
            "docker://r/x:tag"
        ]))
        .unwrap_err()
        .contains("--tag"));
        assert!(
            parse(&s(&["--bin", "a", "--cmd", "serve", "--tag", "-bad"]))
                .unwrap_err()
                .contains("not a Docker tag")
        );
        let ok = parse(&s(&[
            "--bin",
            "a",
            "--cmd",
            "serve",
            "--registry-image=docker://127.0.0.1:5000/x",
            "--tag",
            "v1",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(ok.tags, ["v1"]);
    }
}
