//! `dockerflow check image REF --run` and the options shared with `check url`: runs the image
//! on the Docker engine through `dockerflow-probe` and judges static and runtime rules in one
//! report.

use std::path::Path;
use std::time::Duration;

use dockerflow_check::{check_image_run, ImageModel, Options, Report};
use dockerflow_image::Image;
use dockerflow_probe::{install_interrupt_cleanup, run_image, ImageFacts, RunOptions};

use crate::cli::RunArgs;
use crate::fatal::{refused, Fatal};

/// Reads `K=V` lines (blank lines and `#` comments skipped) from an env file.
fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, Fatal> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Fatal::io_expecting(
            format!("cannot read env file {}", path.display()),
            e,
            "expected a file of NAME=VALUE lines",
        )
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (k, v) = line.split_once('=').ok_or_else(|| {
            refused(format!(
                "{}:{}: no '='; expected NAME=VALUE",
                path.display(),
                n + 1
            ))
        })?;
        out.push((k.trim().to_string(), v.to_string()));
    }
    Ok(out)
}

impl RunArgs {
    /// The probe's options: env files first, then `--env` (later values win).
    pub(crate) fn options(&self, timeout: Option<Duration>) -> Result<RunOptions, Fatal> {
        let mut env = Vec::new();
        for f in &self.env_file {
            env.extend(read_env_file(f)?);
        }
        env.extend(self.env.iter().cloned());
        let mut o = RunOptions {
            env,
            dependency_env: self.dependency_env.clone(),
            static_path: self.static_path.clone(),
            read_only: self.read_only,
            ..RunOptions::default()
        };
        if let Some(t) = self.ready_timeout {
            o.ready_timeout = t;
        }
        if let Some(t) = self.grace {
            o.grace = t;
        }
        if let Some(t) = timeout {
            o.heartbeat_deadline = t;
        }
        Ok(o)
    }
}

/// From here on, Ctrl-C (SIGINT or SIGTERM) removes the containers the probe started and the
/// engine images exported to temporary files, says so, and ends the command with status 130,
/// as a shell expects. Without it the signal would end the process before any destructor ran,
/// leaving both behind.
pub(crate) fn on_ctrl_c() -> Result<(), Fatal> {
    install_interrupt_cleanup(|| {
        dockerflow_image::remove_exports();
        eprintln!("dockerflow: interrupted; removed the containers and temporary files it made");
        std::process::exit(130);
    })
    .map_err(|source| Fatal::Probe {
        context: "cannot handle Ctrl-C: ".to_string(),
        source,
    })
}

/// Runs `image` (already read into `model`; `reference` as read) on the engine and judges it.
pub(crate) fn check(
    reference: &str,
    image: &Image,
    model: &ImageModel,
    args: &RunArgs,
    timeout: Option<Duration>,
    options: &Options,
) -> Result<Report, Fatal> {
    let run_options = args.options(timeout)?;
    let failed = |source| Fatal::RunImage {
        reference: reference.to_string(),
        source,
    };
    let engine = dockerflow_image::connect().map_err(failed)?;
    let name = image.load_into(&engine).map_err(failed)?;
    on_ctrl_c()?;
    let facts = ImageFacts::from_model(model);
    let observed =
        run_image(&engine, &name, reference, &facts, &run_options).map_err(|source| {
            Fatal::Probe {
                context: format!("cannot run image {reference}: "),
                source,
            }
        })?;
    if args.timings {
        for (phase, t) in &observed.phases {
            crate::say::err(&format!(
                "dockerflow: timing: {phase}: {} ms",
                t.as_millis()
            ));
        }
    }
    Ok(check_image_run(model, &observed, options))
}
