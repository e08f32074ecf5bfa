//! `dockerflow check kubernetes PATH...|-`: manifest files, directories of them and stdin
//! read into one `KubernetesModel` (bounded: `Limits`), each workload container judged by the
//! DF8xx rules into a report of its own, all rendered as one document; the exit status is the
//! worst. Objects that are not workloads are named on stderr.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dockerflow_check::check_kubernetes;
use dockerflow_check::kubernetes::{KubernetesModel, Limits};

use crate::check::{options, render_and_exit};
use crate::cli::{KubernetesArgs, ReportArgs};
use crate::fatal::{refused, Fatal};

/// Runs `check kubernetes`.
pub(crate) fn run(a: &KubernetesArgs, r: &ReportArgs) -> Result<ExitCode, Fatal> {
    if a.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(refused("`-` (stdin) given twice; expected it once"));
    }
    let options = options(r, None)?;
    let limits = Limits::default();
    let mut model = KubernetesModel::default();
    for path in &a.paths {
        for file in files(path)? {
            let name = file.to_string_lossy().into_owned();
            let text = read(&file, &name, limits.max_bytes)?;
            model.add(&name, &text, &limits).map_err(Fatal::Manifest)?;
        }
    }
    if model.containers.is_empty() {
        let given: Vec<String> = a.paths.iter().map(|p| p.display().to_string()).collect();
        let others = match model.skipped.len() {
            0 => String::new(),
            n => format!(" (only {n} other objects: {})", describe(&model.skipped)),
        };
        return Err(refused(format!(
            "no workload in {}{others}; expected a Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod",
            given.join(", ")
        )));
    }
    for s in &model.skipped {
        crate::say::err(&format!(
            "dockerflow: note: {}:{}: {} is not a workload; not judged",
            s.file,
            s.line,
            describe(std::slice::from_ref(s))
        ));
    }
    render_and_exit(r, &check_kubernetes(&model, &options))
}

/// `Service "web"`, `a ConfigMap`, ... joined by commas.
fn describe(objects: &[dockerflow_check::kubernetes::Skipped]) -> String {
    let one = |s: &dockerflow_check::kubernetes::Skipped| match (s.kind.as_str(), s.name.as_str()) {
        ("", _) => "an object without a kind".to_string(),
        (kind, "") => format!("a {kind}"),
        (kind, name) => format!("{kind} {name:?}"),
    };
    objects.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// The files a path names: itself, or a directory's `*.yaml` and `*.yml` files in name order.
fn files(path: &Path) -> Result<Vec<PathBuf>, Fatal> {
    if path.as_os_str() == "-" || !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        Fatal::io_expecting(
            format!("cannot read directory {}", path.display()),
            e,
            "expected a readable directory of manifests",
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(refused(format!(
            "no *.yaml or *.yml file in directory {}; expected Kubernetes manifests",
            path.display()
        )));
    }
    Ok(files)
}

/// Reads a file or stdin, refusing more than `max` bytes without reading them all.
fn read(path: &Path, name: &str, max: usize) -> Result<String, Fatal> {
    let cannot = |e: std::io::Error| {
        Fatal::io_expecting(
            format!("cannot read {name}"),
            e,
            "expected a readable file of Kubernetes manifests, or - for stdin",
        )
    };
    let mut bytes = Vec::new();
    let limit = max as u64 + 1;
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    } else {
        std::fs::File::open(path)
            .map_err(cannot)?
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    }
    if bytes.len() > max {
        return Err(refused(format!(
            "cannot check {name}: over the limit of {max} bytes; expected Kubernetes manifests"
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        refused(format!(
            "cannot check {name}: not UTF-8 text; expected YAML"
        ))
    })
}
