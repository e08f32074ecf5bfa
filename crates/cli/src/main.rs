//! The `dockerflow` command: a thin shell over `dockerflow-check` and `dockerflow-report`.
//! It parses flags, reads the input through `dockerflow-oci` or `dockerflow-dockerfile`, and
//! maps the verdict to an exit status: 0 pass (warnings allowed), 1 a MUST rule failed, 2 the
//! input could not be checked (the reason on stderr, one line).
//!
//! Flags are parsed by hand (a small loop) to keep compile times short on small machines.

#![deny(missing_docs)]

mod build;
mod ci;
mod daemon;
mod flags;
mod logs;
mod publish;
mod registry;
mod run;
mod url;
mod version;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use dockerflow_check::{
    check_dockerfile, check_image, DockerfileModel, ImageModel, Options, Profile, Report, Verdict,
};
use dockerflow_oci::{ImageRef, OpenOptions, Platform};
use dockerflow_report::{render, Format, RenderOptions};

use crate::flags::Flags;

const VERSION: &str = env!("CARGO_PKG_VERSION");

const HELP: &str = "\
dockerflow: Dockerflow tooling for container images

Usage:
  dockerflow check image REF [--run [RUN OPTIONS]] [OPTIONS]
  dockerflow check dockerfile PATH [OPTIONS]
  dockerflow check url URL [OPTIONS]
  dockerflow check logs FILE|- [OPTIONS]
  dockerflow version [OPTIONS]
  dockerflow build (--bin NAME | --binary PATH) --cmd CMD --output DEST [OPTIONS]
  dockerflow publish SRC DEST [OPTIONS]
  dockerflow ci (--bin NAME | --binary PATH | --dockerfile PATH) [OPTIONS]
  dockerflow --help | --version

Commands:
  check    Check an image (statically, or running), a Dockerfile, a running service's URL
           or log lines against the Dockerflow contract
  version  Write version.json from the CI environment and git, or --check one
  build    Build a compliant image without a Docker daemon, reproducibly
  publish  Copy an image to a registry and write docker-image-shasum256.txt
  ci       version, build, check, and publish when the check passed, with a log file and
           secrets masked

Run `dockerflow COMMAND --help` for a command's options. The contract, and why each rule exists:
https://github.com/dockerflow-rs/dockerflow/blob/main/contract/CONTRACT.md
https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md
";

const CHECK_HELP: &str = "\
Check an image, a Dockerfile, a running service or log lines against the Dockerflow contract
(https://github.com/dockerflow-rs/dockerflow/blob/main/contract/CONTRACT.md; its rules, with
why and how to fix each: https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md).

Usage:
  dockerflow check image REF [--run [RUN OPTIONS]] [OPTIONS]
  dockerflow check dockerfile PATH [--target STAGE] [--build-arg K=V]... [OPTIONS]
  dockerflow check url http://HOST:PORT[/PREFIX] [--static-path PATH] [--timeout SECS] [OPTIONS]
  dockerflow check logs FILE|- [OPTIONS]       (each line judged as mozlog JSON)

REF (containers/image transport syntax):
  docker-archive:FILE[:NAME:TAG|:@N]   a `docker save` tar
  oci:DIR[:TAG]                        an OCI image layout directory
  oci-archive:FILE[:TAG]               a tar of an OCI image layout
  docker-daemon:NAME[:TAG], NAME       an image in the Docker engine (DOCKER_HOST), exported
                                       through the engine's API
  docker://[REGISTRY/]REPO[:TAG|@DIGEST]  an image in a registry (credentials: see
                                       `dockerflow publish --help`)

Options:
  --format text|json|junit|sarif   Report format (default text)
  --output FILE                    Write the report to FILE instead of stdout
  --report FORMAT=FILE             Also write the report in FORMAT to FILE (repeatable;
                                   e.g. junit=check.xml next to the text on stdout)
  --profile strict|mozcloud        strict: the contract as written (default);
                                   mozcloud: what Mozilla's current images do
  --ignore ID=REASON               Ignore a rule; the reason is required (repeatable)
  --ignore-file FILE               Read ignores (lines `ID REASON`) from FILE; by default
                                   .dockerflow-check next to the Dockerfile, or in the
                                   current directory for images, is read when present
  --platform OS/ARCH[/VARIANT]     The platform to pick from a multi-platform image
                                   (default linux/amd64)
  --target STAGE                   The Dockerfile stage to check (default: the last)
  --build-arg K=V                  A build argument for the Dockerfile (repeatable)
  --context DIR                    The build context (default: the Dockerfile's directory)


Runtime options (check image REF --run; --static-path and --timeout also for check url):
  --run                            Run the image on the Docker engine (DOCKER_HOST; host network,
                                   a free loopback port in PORT) and check contract section 1
  --env K=V                        Environment for the container (repeatable)
  --env-file FILE                  Environment from FILE (K=V lines, # comments)
  --dependency-env VAR             VAR points at a backing service: one more run with its host
                                   and port on a closed port; the heartbeat must answer 5xx
                                   (repeatable)
  --static-path PATH               A static file the service serves (e.g. /static/app.css)
  --read-only                      Also run with a read-only root filesystem and a tmpfs /tmp
  --ready-timeout SECS             How long the service has to listen (default 30)
  --grace SECS                     How long it has to exit after SIGTERM (default 10)
  --timeout SECS                   Deadline of each request, and of the heartbeat with a
                                   dependency down (default 10)
  --timings                        Print how long each phase of the run took (stderr)
Exit status: 0 pass (warnings allowed), 1 a MUST rule failed, 2 could not check.
Colour: on a terminal only; set NO_COLOR to turn it off.
";

/// A reason the command could not do its job: exit 2 with this line on stderr.
#[derive(Debug)]
struct Fatal(String);

fn fatal(s: impl Into<String>) -> Fatal {
    Fatal(s.into())
}

#[derive(Debug, PartialEq, Eq)]
enum Input {
    Image(String),
    Dockerfile(String),
    Url(String),
    Logs(String),
}

#[derive(Debug)]
struct CheckArgs {
    input: Input,
    format: Format,
    output: Option<String>,
    /// `--report FORMAT=FILE`: more reports of the same judgement.
    reports: Vec<(Format, String)>,
    profile: Profile,
    ignores: Vec<String>,
    ignore_file: Option<String>,
    platform: Option<Platform>,
    target: Option<String>,
    build_args: Vec<(String, String)>,
    context: Option<String>,
    run: run::RunArgs,
}

enum Command {
    Help(&'static str),
    Version,
    Check(Box<CheckArgs>),
    Publish(Vec<String>),
    /// A command that parses its own flags and reports its own errors.
    Run(fn(&[String]) -> ExitCode, Vec<String>),
}

fn parse_args(args: &[String]) -> Result<Command, Fatal> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        None => Err(fatal(
            "no command given; expected `dockerflow check ...` (see `dockerflow --help`)",
        )),
        Some("-h" | "--help" | "help") => Ok(Command::Help(HELP)),
        Some("-V" | "--version") => Ok(Command::Version),
        Some("check") => parse_check(it.as_slice()),
        Some("publish") => Ok(Command::Publish(it.as_slice().to_vec())),
        Some("version") => Ok(Command::Run(version::run, it.as_slice().to_vec())),
        Some("build") => Ok(Command::Run(build::run, it.as_slice().to_vec())),
        Some("ci") => Ok(Command::Run(ci::run, it.as_slice().to_vec())),
        Some(other) => Err(fatal(format!(
            "unknown command {other:?}; expected `check`, `version`, `build`, `publish` or `ci` (see `dockerflow --help`)"
        ))),
    }
}

fn parse_check(args: &[String]) -> Result<Command, Fatal> {
    let mut kind: Option<&str> = None;
    let mut subject: Option<String> = None;
    let mut c = CheckArgs {
        input: Input::Image(String::new()),
        format: Format::Text,
        output: None,
        reports: Vec::new(),
        profile: Profile::Strict,
        ignores: Vec::new(),
        ignore_file: None,
        platform: None,
        target: None,
        build_args: Vec::new(),
        context: None,
        run: run::RunArgs::default(),
    };
    let mut flags = Flags::new("check", args);
    while let Some(flag) = flags.next_flag() {
        let mut value = || -> Result<String, Fatal> { flags.value(flag).map_err(Fatal) };
        match flag {
            "-h" | "--help" => return Ok(Command::Help(CHECK_HELP)),
            f if run::parse_flag(f, &mut value, &mut c.run)? => {}
            "--format" => {
                let v = value()?;
                c.format = Format::parse(&v).ok_or_else(|| {
                    fatal(format!(
                        "--format {v:?} is not a format; expected text, json, junit or sarif"
                    ))
                })?;
            }
            "--output" | "-o" => c.output = Some(value()?),
            "--report" => {
                let v = value()?;
                let parsed = v
                    .split_once('=')
                    .and_then(|(f, file)| Some((Format::parse(f)?, file.to_string())))
                    .filter(|(_, file)| !file.is_empty());
                c.reports.push(parsed.ok_or_else(|| {
                    fatal(format!(
                        "--report {v:?}: expected FORMAT=FILE with FORMAT text, json, junit or sarif"
                    ))
                })?);
            }
            "--profile" => {
                let v = value()?;
                c.profile = Profile::parse(&v).ok_or_else(|| {
                    fatal(format!(
                        "--profile {v:?} is not a profile; expected strict or mozcloud"
                    ))
                })?;
            }
            "--ignore" => c.ignores.push(value()?),
            "--ignore-file" => c.ignore_file = Some(value()?),
            "--platform" => {
                let v = value()?;
                c.platform = Some(Platform::parse(&v).ok_or_else(|| {
                    fatal(format!("--platform {v:?} is not a platform; expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8"))
                })?);
            }
            "--target" => c.target = Some(value()?),
            "--context" => c.context = Some(value()?),
            "--build-arg" => {
                let v = value()?;
                let (k, val) = v.split_once('=').ok_or_else(|| {
                    fatal(format!("--build-arg {v:?} has no '='; expected NAME=VALUE"))
                })?;
                c.build_args.push((k.to_string(), val.to_string()));
            }
            f if f.starts_with('-') && f.len() > 1 => {
                return Err(fatal(format!(
                    "unknown option {f}; see `dockerflow check --help`"
                )))
            }
            positional => {
                if kind.is_none() {
                    kind = Some(match positional {
                        "image" => "image",
                        "dockerfile" => "dockerfile",
                        "url" => "url",
                        "logs" => "logs",
                        other => {
                            return Err(fatal(format!(
                                "unknown check target {other:?}; expected `image REF`, `dockerfile PATH`, `url URL` or `logs FILE`"
                            )))
                        }
                    });
                } else if subject.is_none() {
                    subject = Some(positional.to_string());
                } else {
                    return Err(fatal(format!(
                        "unexpected argument {positional:?}; one input per check"
                    )));
                }
            }
        }
    }
    let (kind, subject) = match (kind, subject) {
        (None, _) => {
            return Err(fatal(
                "nothing to check; expected `dockerflow check image REF`, `dockerfile PATH`, `url URL` or `logs FILE`",
            ))
        }
        (Some(k), None) => {
            let what = match k {
                "image" => "REF",
                "url" => "URL",
                "logs" => "FILE (or - for stdin)",
                _ => "PATH",
            };
            return Err(fatal(format!("`dockerflow check {k}` needs {what}")));
        }
        (Some(k), Some(s)) => (k, s),
    };
    if kind == "image" && (c.target.is_some() || !c.build_args.is_empty() || c.context.is_some()) {
        return Err(fatal(
            "--target, --build-arg and --context apply to `check dockerfile` only",
        ));
    }
    if kind == "dockerfile" && c.platform.is_some() {
        return Err(fatal("--platform applies to `check image` only"));
    }
    if kind == "image" && !c.run.enabled {
        if let Some(f) = c.run.given.first() {
            return Err(fatal(format!(
                "{f} needs --run (`check image REF --run {f} ...`)"
            )));
        }
    }
    if kind != "image" && c.run.enabled {
        return Err(fatal("--run applies to `check image` only"));
    }
    if kind == "dockerfile" && !c.run.given.is_empty() {
        return Err(fatal(
            "runtime options apply to `check image --run` and `check url` only",
        ));
    }
    c.input = match kind {
        "image" => Input::Image(subject),
        "url" => Input::Url(subject),
        "logs" => Input::Logs(subject),
        _ => Input::Dockerfile(subject),
    };
    Ok(Command::Check(Box::new(c)))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn options(c: &CheckArgs) -> Result<Options, Fatal> {
    let mut options = Options {
        profile: c.profile,
        ..Options::default()
    };
    let (file, explicit) = match (&c.ignore_file, &c.input) {
        (Some(f), _) => (Path::new(f).to_path_buf(), true),
        (None, Input::Dockerfile(p)) => (
            Path::new(p)
                .parent()
                .unwrap_or(Path::new(""))
                .join(".dockerflow-check"),
            false,
        ),
        (None, Input::Image(_) | Input::Url(_) | Input::Logs(_)) => {
            (Path::new(".dockerflow-check").to_path_buf(), false)
        }
    };
    match std::fs::read_to_string(&file) {
        Ok(text) => options
            .ignores
            .add_file(&text, &file.display().to_string())
            .map_err(|e| fatal(one_line(&e.to_string())))?,
        Err(e) if explicit => {
            return Err(fatal(format!(
                "cannot read ignore file {}: {e}; expected a file of `ID REASON` lines",
                file.display()
            )))
        }
        Err(_) => {}
    }
    for arg in &c.ignores {
        options
            .ignores
            .add_flag(arg)
            .map_err(|e| fatal(e.to_string()))?;
    }
    Ok(options)
}

fn run_check(c: &CheckArgs) -> Result<ExitCode, Fatal> {
    let options = options(c)?;
    let report = match &c.input {
        Input::Image(reference) => {
            let r = ImageRef::parse(reference).map_err(|e| {
                fatal(format!(
                    "cannot check image {reference:?}: {}",
                    one_line(&e.to_string())
                ))
            })?;
            let mut open_options = OpenOptions::default();
            if let Some(p) = &c.platform {
                open_options.platform = p.clone();
            }
            let reading = |e: dockerflow_oci::Error| {
                let hint = if matches!(e.kind(), dockerflow_oci::ErrorKind::Unsupported { .. }) {
                    "; expected a local image: docker-archive:FILE, oci:DIR[:TAG] or oci-archive:FILE[:TAG] (use `docker save` or `skopeo copy`)"
                } else {
                    ""
                };
                fatal(format!(
                    "cannot check image {reference}: {}{hint}",
                    one_line(&e.to_string())
                ))
            };
            // The engine's images are exported to a temporary docker-archive (removed when
            // `_export` drops); dockerflow-oci reads archives and knows nothing of engines.
            let r_given = r.clone();
            let (r, _export) = match r {
                ImageRef::DockerDaemon { reference: name } => {
                    let engine = daemon::engine()
                        .map_err(|e| fatal(format!("cannot check image {reference}: {}", e.0)))?;
                    let temp = daemon::export(&engine, &name)?;
                    let archive = ImageRef::DockerArchive {
                        path: temp.path().to_path_buf(),
                        image: None,
                    };
                    (archive, Some(temp))
                }
                other => (other, None),
            };
            let source = registry::open_image(&r, &open_options).map_err(reading)?;
            let mut model =
                ImageModel::read(source.as_ref(), &open_options.limits).map_err(reading)?;
            if _export.is_some() {
                model.origin = reference.clone();
            }
            if c.run.enabled {
                run::check(
                    reference,
                    &r_given,
                    source.as_ref(),
                    &model,
                    &c.run,
                    &options,
                )?
            } else {
                check_image(&model, &options)
            }
        }
        Input::Dockerfile(path) => {
            let text = std::fs::read(path).map_err(|e| {
                fatal(format!(
                    "cannot read Dockerfile {path}: {e}; expected a readable file"
                ))
            })?;
            let text = String::from_utf8(text).map_err(|_| {
                fatal(format!(
                    "cannot check Dockerfile {path}: not UTF-8 text; expected a Dockerfile"
                ))
            })?;
            let args: Vec<(&str, &str)> = c
                .build_args
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let (model, errors) =
                DockerfileModel::parse(path, &text, c.target.as_deref(), &args)
                    .map_err(|e| fatal(format!("cannot check Dockerfile {path}: {e}")))?;
            let file = std::path::Path::new(path);
            let dir = c.context.as_deref().map(std::path::Path::new);
            let dir = dir.unwrap_or(
                file.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(".".as_ref()),
            );
            let model = model.with_context(dir, Some(file));
            for e in errors {
                eprintln!(
                    "dockerflow: warning: {path}:{}:{}: {}",
                    e.span.line,
                    e.span.column,
                    one_line(&e.message)
                );
            }
            check_dockerfile(&model, &options)
        }
        Input::Url(u) => url::check(u, &c.run, &options)?,
        Input::Logs(p) => logs::check(p, &c.run, &options)?,
    };
    render_and_exit(c, &report)
}

fn render_and_exit(c: &CheckArgs, report: &Report) -> Result<ExitCode, Fatal> {
    let color = c.format == Format::Text
        && c.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let render_options = RenderOptions {
        color,
        tool_version: VERSION.to_string(),
    };
    for (format, file) in &c.reports {
        let plain = RenderOptions {
            color: false,
            ..render_options.clone()
        };
        std::fs::write(file, render(*format, report, &plain))
            .map_err(|e| fatal(format!("cannot write the report to {file}: {e}")))?;
    }
    let out = render(c.format, report, &render_options);
    match &c.output {
        Some(file) => std::fs::write(file, out)
            .map_err(|e| fatal(format!("cannot write the report to {file}: {e}")))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not worth a panic.
            let _ = stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush());
        }
    }
    Ok(match report.verdict() {
        Verdict::Pass => ExitCode::SUCCESS,
        Verdict::Fail => ExitCode::from(1),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let result = parse_args(&args).and_then(|command| match command {
        Command::Help(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            println!("dockerflow {VERSION}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(c) => run_check(&c),
        Command::Publish(args) => publish::run(&args).map_err(Fatal),
        Command::Run(run, args) => Ok(run(&args)),
    });
    match result {
        Ok(code) => code,
        Err(Fatal(message)) => {
            eprintln!("dockerflow: error: {message}");
            ExitCode::from(2)
        }
    }
}
