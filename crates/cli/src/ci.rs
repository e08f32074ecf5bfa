//! `dockerflow ci`: the pipeline of CONTRACT section 3 as one command: version, build, check,
//! publish (only when the check passed), with a build-and-test log file and secrets masked in
//! everything it prints or writes.
//!
//! Each step is the same function its own command runs (`version::run`, `build::run`,
//! `check::run`, `publish::run`), called with typed arguments built here. Masking is complete
//! because every line those steps print goes through [`crate::say`], which ci points at its
//! [`Sink`]: masked, then to the terminal and the log. `docker build` (for `--dockerfile`) is
//! the one child process; its output passes through the same sink.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::cli::{
    BuildArgs, CheckArgs, CiArgs, FormatArg, ImageArgs, PublishArgs, ReportArgs, RunArgs, Target,
    VersionArgs,
};
use crate::fatal::{refused, Fatal};
use crate::mask::Masker;

pub(crate) const AFTER_HELP: &str = "\
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

Masking: the values of environment variables (and --env values) whose names contain
PASSWORD, PASSWD, SECRET, TOKEN, KEY, CREDENTIAL, AUTH or PRIVATE (4 characters or more), the
password of any URL among them, and every --mask value are replaced with *** in everything
printed and logged, whichever step wrote it.

Exit status: 0 every step passed; 1 the check failed (nothing published); 2 a step could not
run (the reason is in the output and the log).";

/// What clap cannot say: exactly one way to build, a Cmd for a daemonless build, and the
/// registry and tags in their forms.
fn validate(a: &CiArgs) -> Result<(), String> {
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
    // The inputs on disk, before anything is written (the log, the work directory).
    let inputs = [
        ("--binary", &a.binary, false, "the executable to package"),
        (
            "--dockerfile",
            &a.dockerfile,
            false,
            "the Dockerfile to build",
        ),
        (
            "--version-json",
            &a.version_json,
            false,
            "a version.json file",
        ),
        (
            "--static-dir",
            &a.static_dir,
            true,
            "the directory of static files",
        ),
        (
            "--context",
            &a.context,
            true,
            "the docker build context directory",
        ),
    ];
    for (flag, path, dir, what) in inputs {
        let Some(path) = path else { continue };
        let found = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() == dir => continue,
            Ok(m) if m.is_dir() => "a directory".to_string(),
            Ok(_) => "a file".to_string(),
            Err(e) => e.to_string(),
        };
        return Err(format!(
            "{flag} {}: {found}; expected {what}",
            path.display()
        ));
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
    Ok(())
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

/// Runs `dockerflow ci`.
pub(crate) fn run(a: &CiArgs) -> Result<ExitCode, Fatal> {
    validate(a).map_err(refused)?;
    // Secrets come from the environment and from this command's own `--env K=V` values.
    let given = a.env.iter().chain(&a.image_env).cloned();
    let masker = Arc::new(Masker::new(std::env::vars().chain(given), &a.masks));
    let log = File::create(&a.log)
        .map_err(|e| Fatal::io(format!("cannot create the log file {}", a.log.display()), e))?;
    let sink = Sink {
        masker,
        log: Arc::new(Mutex::new(log)),
    };
    let steps = sink.clone();
    crate::say::install(Box::new(move |line, to_stderr| steps.line(line, to_stderr)));
    let started = Instant::now();
    let code = pipeline(a, &sink);
    let verdict = match code {
        0 => "PASS: every step passed",
        1 => "FAIL: the check failed; nothing was published",
        _ => "ERROR: a step could not run; nothing was published",
    };
    sink.line(
        &format!(
            "ci: {verdict} ({:.1} s; log: {})",
            started.elapsed().as_secs_f64(),
            a.log.display()
        ),
        code != 0,
    );
    Ok(ExitCode::from(code))
}

fn step(sink: &Sink, name: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    sink.line(&format!("== {name} (unix time {now})"), false);
}

/// The docker build context: --context, else the Dockerfile's directory.
fn context_of(a: &CiArgs, dockerfile: &Path) -> PathBuf {
    a.context.clone().unwrap_or_else(|| {
        dockerfile
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    })
}

/// A step's outcome as an exit code: 0, 1, or 2 with its reason said.
fn outcome(sink: &Sink, result: Result<ExitCode, Fatal>) -> u8 {
    match result {
        Ok(code) if code == ExitCode::SUCCESS => 0,
        Ok(code) if code == ExitCode::from(1) => 1,
        Ok(_) => 2,
        Err(fatal) => {
            sink.line(&format!("dockerflow: error: {fatal}"), true);
            2
        }
    }
}

/// The steps; returns the exit code.
fn pipeline(a: &CiArgs, sink: &Sink) -> u8 {
    let fail = |msg: String| {
        sink.line(&format!("ci: {msg}"), true);
        2
    };
    let work = &a.work_dir;
    if let Err(e) = std::fs::create_dir_all(work) {
        return fail(format!(
            "cannot create the work directory {}: {e}",
            work.display()
        ));
    }

    // 1. version
    step(sink, "version");
    let version_json = match &a.version_json {
        Some(f) => {
            sink.line(
                &format!("$ dockerflow version --check {}", f.display()),
                false,
            );
            let checked = VersionArgs {
                check: Some(f.clone()),
                ..VersionArgs::default()
            };
            if outcome(sink, crate::version::run(&checked)) != 0 {
                return fail(format!(
                    "{} is not a valid version.json (see above)",
                    f.display()
                ));
            }
            f.clone()
        }
        None => {
            // A Dockerfile COPYs version.json from its build context (CONTRACT section 3);
            // a daemonless build is handed the file.
            let f = match &a.dockerfile {
                Some(d) => context_of(a, d).join("version.json"),
                None => PathBuf::from("version.json"),
            };
            sink.line(
                &format!("$ dockerflow version --output {}", f.display()),
                false,
            );
            let written = VersionArgs {
                output: Some(f.clone()),
                ..VersionArgs::default()
            };
            if outcome(sink, crate::version::run(&written)) != 0 {
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
    let engine_up = dockerflow_image::connect().is_ok();
    let (check_ref, publish_src, runnable) = if let Some(dockerfile) = &a.dockerfile {
        let tag = format!("dockerflow-ci:{}", std::process::id());
        let mut cmd = Command::new("docker");
        cmd.arg("build")
            .arg("-f")
            .arg(dockerfile)
            .args(["-t", &tag])
            .arg(context_of(a, dockerfile));
        let code = sink.run("build", &mut cmd);
        if code != Some(0) {
            return fail(format!(
                "docker build of {} failed (see above)",
                dockerfile.display()
            ));
        }
        let r = format!("docker-daemon:{tag}");
        (r.clone(), r, true)
    } else {
        let layout = work.join("image");
        let archive = work.join("image.tar");
        let _ = std::fs::remove_dir_all(&layout);
        let build = BuildArgs {
            bin: a.bin.clone(),
            package: a.package.clone(),
            binary: a.binary.clone(),
            static_dir: a.static_dir.clone(),
            version_json: Some(version_json.clone()),
            cmd: a.cmd.clone(),
            env: a.image_env.clone(),
            healthcheck: a.healthcheck,
            outputs: vec![
                format!("oci:{}", layout.display()),
                format!("docker-archive:{}:dockerflow-ci:latest", archive.display()),
            ],
            ..BuildArgs::default()
        };
        sink.line(
            &format!(
                "$ dockerflow build --output {}",
                build.outputs.join(" --output ")
            ),
            false,
        );
        if outcome(sink, crate::build::run(&build)) != 0 {
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
    let run = match run_it {
        true => RunArgs {
            run: true,
            env: a.env.clone(),
            dependency_env: a.dependency_env.clone(),
            ..RunArgs::default()
        },
        false => RunArgs::default(),
    };
    let check = CheckArgs {
        target: Target::Image(Box::new(ImageArgs {
            references: vec![check_ref.clone()],
            from: None,
            jobs: None,
            shard: None,
            platform: None,
            max_memory: a.max_memory,
            network: a.network.clone(),
            run,
        })),
        report: ReportArgs {
            format: FormatArg::Text,
            output: None,
            reports: a
                .junit
                .iter()
                .map(|j| (dockerflow_report::Format::Junit, j.clone()))
                .collect(),
            profile: a.profile,
            fail_on: crate::cli::FailOn::Fail,
            quiet: false,
            verbose: false,
            ignores: Vec::new(),
            ignore_file: None,
        },
    };
    sink.line(
        &format!(
            "$ dockerflow check image {check_ref} --profile {}{}",
            a.profile.profile(),
            if run_it { " --run" } else { "" }
        ),
        false,
    );
    match outcome(sink, crate::check::run(&check)) {
        0 => {}
        1 => return 1,
        _ => return fail("the check could not run (see above)".into()),
    }

    // 4. publish
    step(sink, "publish");
    let Some(repo) = &a.registry_image else {
        sink.line("ci: no --registry-image: nothing to publish", false);
        return 0;
    };
    let tags = if a.tags.is_empty() {
        vec![if version.is_empty() {
            "latest".to_string()
        } else {
            version.clone()
        }]
    } else {
        a.tags.clone()
    };
    let mut published = None;
    for tag in &tags {
        let args = PublishArgs {
            network: a.network.clone(),
            ..PublishArgs::new(publish_src.clone(), format!("{repo}:{tag}"))
        };
        sink.line(
            &format!("$ dockerflow publish {} {}", args.src, args.dest),
            false,
        );
        if outcome(sink, crate::publish::run(&args)) != 0 {
            return fail(format!("publishing to {} failed (see above)", args.dest));
        }
        published = Some(args.digest_file);
    }
    if let Some(digest) = published.and_then(|f| std::fs::read_to_string(f).ok()) {
        sink.line(&format!("ci: published {}", digest.trim()), false);
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<CiArgs, String> {
        let cli = Cli::try_parse_from(["dockerflow", "ci"].iter().chain(args))
            .map_err(|e| e.to_string())?;
        let Command::Ci(a) = cli.command else {
            unreachable!("parsed as ci")
        };
        validate(&a).map(|()| a)
    }

    #[test]
    fn flags_are_validated() {
        assert!(parse(&[]).unwrap_err().contains("nothing to build"));
        assert!(parse(&["--bin", "a", "--dockerfile", "D"])
            .unwrap_err()
            .contains("give one"));
        assert!(parse(&["--bin", "a"]).unwrap_err().contains("--cmd"));
        assert!(
            parse(&["--bin", "a", "--cmd", "serve", "--registry-image", "r/x"])
                .unwrap_err()
                .contains("docker://")
        );
        assert!(parse(&[
            "--bin",
            "a",
            "--cmd",
            "serve",
            "--registry-image",
            "docker://r/x:tag"
        ])
        .unwrap_err()
        .contains("--tag"));
        assert!(parse(&["--bin", "a", "--cmd", "serve", "--tag=-bad"])
            .unwrap_err()
            .contains("not a Docker tag"));
        let ok = parse(&[
            "--bin",
            "a",
            "--cmd",
            "serve",
            "--registry-image=docker://127.0.0.1:5000/x",
            "--tag",
            "v1",
            "--env",
            "A=1",
        ])
        .unwrap();
        assert_eq!(ok.tags, ["v1"]);
        assert_eq!(ok.env, [("A".to_string(), "1".to_string())]);
    }
}
