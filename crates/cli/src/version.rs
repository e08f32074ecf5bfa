//! `dockerflow version`: writes version.json from the CI environment (or the git checkout), or
//! checks an existing one with `--check`. The work is in `dockerflow_build::version`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use dockerflow_build::version::{check_version_json, generate, process_env, VersionOptions};

use crate::flags::Flags;

pub(crate) const HELP: &str = "\
Write version.json (contract section 1.3: source, version, commit, build) for this build, or
check one.

Usage:
  dockerflow version [OPTIONS]
  dockerflow version --check FILE

Values come from GitHub Actions, CircleCI, GitLab CI or Taskcluster variables, and from the
git checkout for what the CI does not set. `version` is the tag on tag builds, else
--version-string, else empty (never a branch name).

Options:
  -o, --output FILE        Write to FILE (default version.json); `-` writes to stdout
  --stdout                 Same as --output -
  --version-string TEXT    `version` on non-tag builds
  --source URL             Override `source`
  --commit SHA             Override `commit`
  --build-url URL          Override `build` (else the CI's job URL, else $BUILD_URL)
  --git-dir DIR            The git checkout to read (default: the current directory)
  --check FILE             Validate FILE with the contract's rules instead of writing one

Exit status: 0 written (or valid), 1 --check found a contract violation, 2 error.
";

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("dockerflow: error: {message}");
    ExitCode::from(2)
}

/// Runs `dockerflow version ARGS`.
pub(crate) fn run(args: &[String]) -> ExitCode {
    let mut options = VersionOptions::default();
    let mut output = String::from("version.json");
    let mut check: Option<String> = None;
    let mut flags = Flags::new("version", args);
    while let Some(flag) = flags.next_flag() {
        let mut value = || -> Result<String, String> { flags.value(flag) };
        let result = match flag {
            "-h" | "--help" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "-o" | "--output" => value().map(|v| output = v),
            "--stdout" => {
                output = "-".into();
                Ok(())
            }
            "--version-string" => value().map(|v| options.version_string = Some(v)),
            "--source" => value().map(|v| options.source = Some(v)),
            "--commit" => value().map(|v| options.commit = Some(v)),
            "--build-url" => value().map(|v| options.build = Some(v)),
            "--git-dir" => value().map(|v| options.git_dir = Some(PathBuf::from(v))),
            "--check" => value().map(|v| check = Some(v)),
            other => Err(format!(
                "unexpected argument {other:?}; see `dockerflow version --help`"
            )),
        };
        if let Err(e) = result {
            return fail(e);
        }
    }

    if let Some(file) = check {
        return run_check(&file);
    }

    let generated = match generate(&process_env, &options) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    for note in &generated.notes {
        eprintln!("dockerflow: note: {note}");
    }
    let json = generated.object.to_json();
    if output == "-" {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(json.as_bytes()).and_then(|()| out.flush());
    } else {
        if let Err(e) = std::fs::write(&output, &json) {
            return fail(format!("cannot write {output}: {e}"));
        }
        eprintln!(
            "dockerflow: wrote {output} ({}, commit {})",
            generated.provider, generated.object.commit
        );
    }
    ExitCode::SUCCESS
}

fn run_check(file: &str) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            return fail(format!(
                "cannot read {file}: {e}; expected a version.json file"
            ))
        }
    };
    let result = check_version_json(&bytes);
    for w in &result.warnings {
        println!("{file}: warning: {w}");
    }
    for e in &result.errors {
        println!("{file}: error: {e}");
    }
    if result.is_valid() {
        println!("{file}: a valid version object (contract section 1.3)");
        ExitCode::SUCCESS
    } else {
        println!(
            "{file}: not a valid version object: {} problem(s)",
            result.errors.len()
        );
        ExitCode::from(1)
    }
}
