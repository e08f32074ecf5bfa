//! `dockerflow check TARGET`: reads the input through `dockerflow-oci` or
//! `dockerflow-dockerfile`, judges it with `dockerflow-check` and renders the report with
//! `dockerflow-report`. The exit status is the verdict: 0 pass, 1 a rule failed (or warned,
//! with `--fail-on warn`); what could not be judged is a [`Fatal`] (exit 2).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dockerflow_check::{
    check_dockerfile, check_image, DockerfileError, DockerfileModel, ImageModel, Options, Report,
    Verdict,
};
use dockerflow_image::{ImageRef, Reference};
use dockerflow_report::{render_run, Detail, RenderOptions, Unchecked};

use crate::cli::{CheckArgs, DockerfileArgs, FailOn, ImageArgs, ReportArgs, Target};
use crate::fatal::{refused, Fatal};
use crate::{kubernetes, logs, one_line, run, url, VERSION};

/// Runs `dockerflow check`.
pub(crate) fn run(c: &CheckArgs) -> Result<ExitCode, Fatal> {
    let report = match &c.target {
        Target::Image(a) => match (a.references.as_slice(), &a.from, a.shard) {
            ([one], None, None) => image(a, one, &options(&c.report, None)?)?,
            _ => return crate::fleet::run(a, &c.report),
        },
        Target::Dockerfile(a) => return dockerfiles(a, &c.report),
        Target::Url(a) => match &a.expect_commit {
            Some(commit) => {
                deploy_has_no_report(&c.report)?;
                return crate::deploy::verify(a, commit);
            }
            None => url::check(a, &options(&c.report, None)?)?,
        },
        Target::Logs(a) => logs::check(a, &options(&c.report, None)?)?,
        Target::Kubernetes(a) => return kubernetes::run(a, &c.report),
    };
    render_and_exit(&c.report, std::slice::from_ref(&report))
}

/// `check url --expect-commit` verifies a deploy and judges no rule: a report option would be
/// silently ignored, so it is refused instead.
fn deploy_has_no_report(r: &ReportArgs) -> Result<(), Fatal> {
    let given = [
        (r.format != crate::cli::FormatArg::Text, "--format"),
        (r.output.is_some(), "--output"),
        (!r.reports.is_empty(), "--report"),
        (!r.ignores.is_empty(), "--ignore"),
        (r.ignore_file.is_some(), "--ignore-file"),
        (r.fail_on != FailOn::Fail, "--fail-on"),
        (r.quiet, "--quiet"),
        (r.verbose, "--verbose"),
    ];
    match given.iter().find(|(set, _)| *set) {
        Some((_, flag)) => Err(refused(format!(
            "{flag} does not apply with --expect-commit, which verifies a deploy (one line on \
             stdout, the exit status) and judges no rule; expected `check url URL` without \
             --expect-commit for a report"
        ))),
        None => Ok(()),
    }
}

/// The judging options: the profile, and ignores from the ignore file and `--ignore`. The
/// default ignore file is `.dockerflow-check` next to `dockerfile`, else in the current
/// directory.
pub(crate) fn options(r: &ReportArgs, dockerfile: Option<&Path>) -> Result<Options, Fatal> {
    let mut options = Options {
        profile: r.profile.profile(),
        ..Options::default()
    };
    let (file, explicit) = match (&r.ignore_file, dockerfile) {
        (Some(f), _) => (f.clone(), true),
        (None, Some(p)) => (
            p.parent()
                .unwrap_or(Path::new(""))
                .join(".dockerflow-check"),
            false,
        ),
        (None, None) => (PathBuf::from(".dockerflow-check"), false),
    };
    match std::fs::read_to_string(&file) {
        Ok(text) => options
            .ignores
            .add_file(&text, &file.display().to_string())
            .map_err(Fatal::Ignore)?,
        Err(e) if explicit => {
            return Err(Fatal::io_expecting(
                format!("cannot read ignore file {}", file.display()),
                e,
                "expected a file of `ID REASON` lines",
            ))
        }
        Err(_) => {}
    }
    for arg in &r.ignores {
        options.ignores.add_flag(arg).map_err(Fatal::Ignore)?;
    }
    Ok(options)
}

/// Reads the image `given` names and judges it (statically, or running it with `--run`). A
/// bare name that is a file or directory here is read as the archive or layout it is, as
/// dockle and trivy users expect; the transport it was read with is said on stderr.
pub(crate) fn image(a: &ImageArgs, given: &str, options: &Options) -> Result<Report, Fatal> {
    let mut open_options = dockerflow_image::Options {
        client: a.network.client_options(),
        ..dockerflow_image::Options::default()
    };
    if let Some(p) = &a.platform {
        open_options.open.platform = p.clone();
    }
    if let Some(max) = a.max_memory {
        open_options.open.limits.max_memory = max;
    }
    let reference = Reference::parse_or_path(given, &open_options.open).map_err(|source| {
        Fatal::CheckImage {
            reference: source.reference().unwrap_or(given).to_string(),
            source,
        }
    })?;
    if reference.from_path() {
        crate::say::err(&format!(
            "dockerflow: note: {given} is a local path; reading it as {reference}"
        ));
    }
    let text = reference.as_str();
    // An engine image is exported to a temporary file: Ctrl-C must remove it.
    if matches!(reference.image_ref(), ImageRef::DockerDaemon { .. }) {
        run::on_ctrl_c()?;
    }
    let image = dockerflow_image::open(reference.image_ref(), &open_options).map_err(|source| {
        Fatal::CheckImage {
            reference: text.to_string(),
            source,
        }
    })?;
    let mut model =
        ImageModel::read(image.source(), &open_options.open.limits).map_err(|source| {
            Fatal::ReadImage {
                reference: text.to_string(),
                source,
            }
        })?;
    if image.exported_to().is_some() {
        model.origin = text.to_string();
    }
    if a.run.run {
        run::check(text, &image, &model, &a.run, a.network.timeout, options)
    } else {
        Ok(check_image(&model, options))
    }
}

/// Judges each Dockerfile, into one report document (see `dockerflow_report::render_all`);
/// the exit status is the worst.
fn dockerfiles(a: &DockerfileArgs, r: &ReportArgs) -> Result<ExitCode, Fatal> {
    if a.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(refused("`-` (stdin) given twice; expected it once"));
    }
    let mut reports = Vec::new();
    for path in &a.paths {
        let named = Some(path.as_path()).filter(|p| p.as_os_str() != "-");
        reports.push(dockerfile(path, a, &options(r, named)?)?);
    }
    render_and_exit(r, &reports)
}

fn dockerfile(path: &Path, a: &DockerfileArgs, options: &Options) -> Result<Report, Fatal> {
    let stdin = path.as_os_str() == "-";
    // A directory is read as `docker build DIR` reads it: its `Dockerfile`.
    let in_dir = (!stdin && path.is_dir()).then(|| path.join("Dockerfile"));
    let path = in_dir.as_deref().unwrap_or(path);
    let name = if stdin {
        "-".to_string()
    } else {
        path.to_string_lossy().into_owned()
    };
    let bytes = crate::read_input(path).map_err(|e| {
        Fatal::io_expecting(
            format!("cannot read Dockerfile {name}"),
            e,
            if in_dir.is_some() {
                "expected a Dockerfile in the directory given, as `docker build DIR` reads it"
            } else {
                "expected a readable file"
            },
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        refused(format!(
            "cannot check Dockerfile {name}: not UTF-8 text; expected a Dockerfile"
        ))
    })?;
    let args: Vec<(&str, &str)> = a
        .build_args
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (model, errors) = match DockerfileModel::parse(&name, &text, a.target.as_deref(), &args) {
        Ok(parsed) => parsed,
        // A refusal explains "no build stage" (`FROM a b`) better than the model can.
        Err(e) => {
            if !matches!(e, DockerfileError::Unjudgeable(_)) {
                let (_, errors) = dockerflow_dockerfile::parse_with_args(&text, &args);
                unbuildable(&name, &errors)?;
            }
            return Err(Fatal::Dockerfile {
                name: name.clone(),
                source: e,
            });
        }
    };
    unbuildable(&name, &errors)?;
    let file = (!stdin).then_some(path);
    let dir = match (&a.context, file.and_then(Path::parent)) {
        (Some(dir), _) => dir.as_path(),
        (None, Some(parent)) if !parent.as_os_str().is_empty() => parent,
        (None, _) => Path::new("."),
    };
    let model = model.with_context(dir, file);
    for e in errors {
        crate::say::err(&format!(
            "dockerflow: warning: {name}:{}:{}: {}",
            e.span.line,
            e.span.column,
            one_line(&e.message)
        ));
    }
    let mut report = check_dockerfile(&model, options);
    // Something missing is reported at the judged stage's FROM, so that every finding has a
    // line (editors and code scanning show findings on lines).
    let from = model.facts.base.span.line;
    for f in &mut report.findings {
        if f.location.path.is_some() && f.location.line.is_none() {
            f.location.line = Some(from);
        }
    }
    crate::pragma::apply(&name, &text, &mut report)?;
    Ok(report)
}

/// The current directory as a `file://` URI ending in `/` (SARIF's `%SRCROOT%`).
fn source_root() -> Option<String> {
    let dir = std::env::current_dir().ok()?;
    let dir = dir.to_str()?;
    let mut uri = String::from("file://");
    for b in dir.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                uri.push(b as char)
            }
            b => uri.push_str(&format!("%{b:02X}")),
        }
    }
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

/// Exit 2 for a file `docker build` refuses, as the builder does: `FILE:LINE: message`.
fn unbuildable(name: &str, errors: &[dockerflow_dockerfile::ParseError]) -> Result<(), Fatal> {
    let mut refusals = errors.iter().filter(|e| e.is_refused());
    let Some(e) = refusals.next() else {
        return Ok(());
    };
    Err(Fatal::Unbuildable {
        name: name.to_string(),
        error: e.clone(),
        more: refusals.count(),
    })
}

pub(crate) fn render_and_exit(r: &ReportArgs, reports: &[Report]) -> Result<ExitCode, Fatal> {
    render_with_table(r, reports, &[], None).map(ExitCode::from)
}

/// Renders `reports` to stdout (or `--output`) and every `--report` file, `table` appended to
/// the text format's, the inputs that could not be checked named in the JSON (see
/// `dockerflow_report::render_run`); the status: 1 when a rule failed (or warned, with
/// `--fail-on warn`), else 0.
pub(crate) fn render_with_table(
    r: &ReportArgs,
    reports: &[Report],
    unchecked: &[Unchecked],
    table: Option<&str>,
) -> Result<u8, Fatal> {
    let format = r.format.format();
    let color = format == dockerflow_report::Format::Text
        && r.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let render_options = RenderOptions {
        color,
        tool_version: VERSION.to_string(),
        source_root: source_root(),
        detail: match (r.quiet, r.verbose) {
            (true, _) => Detail::Quiet,
            (false, true) => Detail::Verbose,
            (false, false) => Detail::Normal,
        },
    };
    let write = |file: &Path, text: String| {
        std::fs::write(file, text)
            .map_err(|e| Fatal::io(format!("cannot write the report to {}", file.display()), e))
    };
    for (format, file) in &r.reports {
        let plain = RenderOptions {
            color: false,
            ..render_options.clone()
        };
        let mut text = render_run(*format, reports, unchecked, &plain);
        if let (dockerflow_report::Format::Text, Some(t)) = (format, table) {
            text = joined(text, t);
        }
        write(file, text)?;
    }
    let mut out = render_run(format, reports, unchecked, &render_options);
    if let (dockerflow_report::Format::Text, Some(t)) = (format, table) {
        out = joined(out, t);
    }
    match &r.output {
        Some(file) => write(file, out)?,
        None if crate::say::captured() => crate::say::out(&out),
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not worth a panic.
            let _ = stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush());
        }
    }
    let warned = r.fail_on == FailOn::Warn && reports.iter().any(|r| r.summary().warn > 0);
    let failed = reports.iter().any(|r| r.verdict() == Verdict::Fail);
    Ok(u8::from(failed || warned))
}

/// The reports, then a blank line and the table.
fn joined(reports: String, table: &str) -> String {
    match reports.is_empty() {
        true => table.to_string(),
        false => format!("{}\n\n{table}", reports.trim_end_matches('\n')),
    }
}
