//! Building the binary to package: `cargo build --release --bin NAME`, with the executable's
//! path taken from cargo's own JSON messages (so `CARGO_TARGET_DIR`, workspaces and
//! `--target` settings in `.cargo/config.toml` are cargo's business, not guessed).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::error::{BuildError, Error, ErrorKind};

/// Runs `cargo build --release --bin BIN [-p PACKAGE]` in `dir`, cargo's diagnostics going to
/// this process's stderr, and returns the executable's path.
///
/// # Errors
///
/// Cargo missing or failing, or no executable named `bin` in its output.
pub fn build_release_bin(
    dir: &Path,
    bin: &str,
    package: Option<&str>,
) -> Result<PathBuf, BuildError> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(dir).args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
        "--bin",
        bin,
    ]);
    if let Some(p) = package {
        cmd.args(["-p", p]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            Error::new(
                ErrorKind::Cargo,
                format!("cannot run cargo: {e}; expected cargo on PATH (or $CARGO)"),
            )
        })?;
    let mut executable = None;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let is_our_bin = msg["reason"] == "compiler-artifact"
                && msg["target"]["name"] == bin
                && msg["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"));
            if is_our_bin {
                if let Some(path) = msg["executable"].as_str() {
                    executable = Some(PathBuf::from(path));
                }
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::new(ErrorKind::Cargo, format!("cargo did not finish: {e}")))?;
    if !status.success() {
        return Err(Error::new(
            ErrorKind::Cargo,
            format!(
                "`cargo build --release --bin {bin}` failed ({status}); see cargo's messages above"
            ),
        ));
    }
    executable.ok_or_else(|| {
        Error::new(
            ErrorKind::Cargo,
            format!(
                "cargo built no executable named {bin}; expected a [[bin]] target of that name"
            ),
        )
    })
}
