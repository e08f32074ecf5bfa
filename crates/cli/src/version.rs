//! `dockerflow version`: writes version.json from the CI environment (or the git checkout), or
//! checks an existing one with `--check`. The work is in `dockerflow_build::version`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dockerflow_build::version::{check_version_json, generate, process_env, VersionOptions};

use crate::cli::VersionArgs;
use crate::fatal::Fatal;

/// Runs `dockerflow version`.
pub(crate) fn run(a: &VersionArgs) -> Result<ExitCode, Fatal> {
    if let Some(file) = &a.check {
        return Ok(run_check(file));
    }
    let options = VersionOptions {
        version_string: a.version_string.clone(),
        source: a.source.clone(),
        commit: a.commit.clone(),
        build: a.build_url.clone(),
        git_dir: a.git_dir.clone(),
    };
    let output = match (&a.output, a.stdout) {
        (_, true) => PathBuf::from("-"),
        (Some(o), false) => o.clone(),
        (None, false) => PathBuf::from("version.json"),
    };
    let generated = generate(&process_env, &options)?;
    for note in &generated.notes {
        crate::say::err(&format!("dockerflow: note: {note}"));
    }
    let json = generated.object.to_json();
    if output.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(json.as_bytes()).and_then(|()| out.flush());
    } else {
        std::fs::write(&output, &json)
            .map_err(|e| Fatal::io(format!("cannot write {}", output.display()), e))?;
        crate::say::err(&format!(
            "dockerflow: wrote {} ({}, commit {})",
            output.display(),
            generated.provider,
            generated.object.commit
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_check(path: &Path) -> ExitCode {
    let file = path.display();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            crate::say::err(&format!(
                "dockerflow: error: cannot read {file}: {e}; expected a version.json file"
            ));
            return ExitCode::from(2);
        }
    };
    let result = check_version_json(&bytes);
    for w in &result.warnings {
        crate::say::out(&format!("{file}: warning: {w}"));
    }
    for e in &result.errors {
        crate::say::out(&format!("{file}: error: {e}"));
    }
    if result.is_valid() {
        crate::say::out(&format!(
            "{file}: a valid version object (contract section 1.3)"
        ));
        ExitCode::SUCCESS
    } else {
        crate::say::out(&format!(
            "{file}: not a valid version object: {} problem(s)",
            result.errors.len()
        ));
        ExitCode::from(1)
    }
}
