//! `dockerflow build`: a compliant image without a Docker daemon, reproducible from its inputs
//! and `SOURCE_DATE_EPOCH`. The work is in `dockerflow_build::{image, write}`.

use std::path::PathBuf;
use std::process::ExitCode;

use dockerflow_build::image::{parse_cmd, source_date_epoch};
use dockerflow_build::version::{generate, process_env, VersionOptions};
use dockerflow_build::{build, write_image, Base, BuildSpec, Destination};
use dockerflow_oci::{open, ImageRef, ImageSource, OpenOptions};

use crate::cli::{BuildArgs, NetworkArgs, PublishArgs};
use crate::Fatal;

/// Where the image goes: a local layout or archive, the engine, or a registry.
#[derive(Debug)]
enum Output {
    Local(Destination),
    /// `docker-daemon:NAME[:TAG]`: a docker-archive loaded through the engine's API.
    Engine(String),
    /// `docker://...`: an OCI layout pushed by `dockerflow publish`.
    Registry(String),
}

impl Output {
    fn parse(text: &str) -> Result<Output, String> {
        match dockerflow_oci::ImageRef::parse(text) {
            Ok(dockerflow_oci::ImageRef::DockerDaemon { reference }) => {
                let last = reference.rsplit('/').next().unwrap_or_default();
                Ok(Output::Engine(if last.contains(':') {
                    reference
                } else {
                    format!("{reference}:latest")
                }))
            }
            Ok(dockerflow_oci::ImageRef::Registry(_)) => Ok(Output::Registry(text.to_string())),
            _ => Destination::parse(text)
                .map(Output::Local)
                .map_err(|e| e.to_string()),
        }
    }
}

/// Runs `dockerflow build`.
pub(crate) fn run(a: &BuildArgs) -> Result<ExitCode, Fatal> {
    execute(a).map_err(Fatal)?;
    Ok(ExitCode::SUCCESS)
}

fn execute(a: &BuildArgs) -> Result<(), String> {
    if a.outputs.is_empty() {
        return Err("no --output given; expected e.g. --output oci:image or --output docker-archive:image.tar:app:latest".into());
    }
    let outputs = a
        .outputs
        .iter()
        .map(|o| Output::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    let cmd = a.cmd.as_deref().ok_or(
        "no --cmd given: the contract needs a non-empty CMD (e.g. --cmd serve or --cmd '[\"serve\"]')",
    )?;
    let cmd = parse_cmd(cmd).map_err(|e| e.to_string())?;
    let epoch = source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
        .map_err(|e| e.to_string())?;
    let binary = match (&a.bin, &a.binary) {
        (Some(_), Some(_)) => return Err("--bin and --binary are exclusive; give one".into()),
        (None, None) => {
            return Err(
                "nothing to package; expected --bin NAME (a cargo target) or --binary PATH".into(),
            )
        }
        (None, Some(p)) => p.clone(),
        (Some(bin), None) => dockerflow_build::cargo::build_release_bin(
            &std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?,
            bin,
            a.package.as_deref(),
        )
        .map_err(|e| e.to_string())?,
    };
    let name = match &a.name {
        Some(n) => n.clone(),
        None => a.bin.clone().unwrap_or_else(|| {
            binary
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
    };
    let version_json = match &a.version_json {
        Some(p) => std::fs::read(p).map_err(|e| {
            format!(
                "cannot read --version-json {}: {e}; expected a version.json file",
                p.display()
            )
        })?,
        None => match std::fs::read("version.json") {
            Ok(bytes) => {
                crate::say::err("dockerflow: using ./version.json");
                bytes
            }
            Err(_) => {
                let g = generate(&process_env, &VersionOptions::default())
                    .map_err(|e| e.to_string())?;
                for note in &g.notes {
                    crate::say::err(&format!("dockerflow: note: {note}"));
                }
                crate::say::err(&format!(
                    "dockerflow: version.json generated ({})",
                    g.provider
                ));
                g.object.to_json().into_bytes()
            }
        },
    };
    let base = match &a.base {
        None => None,
        Some(text) => {
            let r = ImageRef::parse(text).map_err(|e| format!("invalid --base {text:?}: {e}"))?;
            let image = open(&r, &OpenOptions::default()).map_err(|e| {
                format!(
                    "cannot read the base {text}: {e}; expected a local image (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE)"
                )
            })?;
            Some(Base {
                name: text.clone(),
                image,
            })
        }
    };
    let image = build(BuildSpec {
        binary,
        name,
        static_dir: a.static_dir.clone(),
        version_json,
        cmd,
        env: a.env.clone(),
        healthcheck: a.healthcheck,
        base,
        source_date_epoch: epoch,
        host_root: PathBuf::from("/"),
    })
    .map_err(|e| e.to_string())?;
    for note in &image.notes {
        crate::say::err(&format!("dockerflow: note: {note}"));
    }
    for output in &outputs {
        match output {
            Output::Local(dest) => {
                let written = write_image(&image, dest).map_err(|e| e.to_string())?;
                crate::say::err(&format!(
                    "dockerflow: wrote {dest} ({} layers, {} bytes of blobs)",
                    image.manifest().layers.len(),
                    written.blob_bytes
                ));
            }
            Output::Engine(name) => load_into_engine(&image, name)?,
            Output::Registry(dest) => push(&image, dest, &a.network)?,
        }
    }
    if let Some(d) = image.manifest_digest() {
        crate::say::out(&format!("{d}"));
    }
    Ok(())
}

/// A private temporary path for what the engine and registry outputs write first: `kind`
/// inside a fresh temporary directory, removed with it on drop.
struct Scratch {
    path: PathBuf,
    /// Removes `path` with it when dropped.
    _dir: tempfile::TempDir,
}

impl Scratch {
    fn new(kind: &str) -> Result<Scratch, String> {
        let dir = tempfile::Builder::new()
            .prefix("dockerflow-build-")
            .tempdir()
            .map_err(|e| {
                format!("cannot create a temporary directory: {e}; expected a writable TMPDIR")
            })?;
        Ok(Scratch {
            path: dir.path().join(kind),
            _dir: dir,
        })
    }
}

/// Writes a docker-archive named `name` and loads it through the engine's API.
fn load_into_engine(image: &dyn dockerflow_oci::ImageSource, name: &str) -> Result<(), String> {
    let engine =
        crate::daemon::engine().map_err(|e| format!("output docker-daemon:{name}: {}", e.0))?;
    let scratch = Scratch::new("load")?;
    let dest = Destination::DockerArchive {
        path: scratch.path.clone(),
        name: Some(name.to_string()),
    };
    write_image(image, &dest).map_err(|e| e.to_string())?;
    let mut file = std::fs::File::open(&scratch.path)
        .map_err(|e| format!("cannot read {}: {e}", scratch.path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    engine.image_load(&mut file, len).map_err(|e| {
        format!(
            "cannot load the image into the engine as {name}: {}",
            crate::one_line(&e.to_string())
        )
    })?;
    crate::say::err(&format!(
        "dockerflow: loaded docker-daemon:{name} into the Docker engine"
    ));
    Ok(())
}

/// Writes an OCI layout and publishes it to `dest` (same code, output and digest file as
/// `dockerflow publish`).
fn push(
    image: &dyn dockerflow_oci::ImageSource,
    dest: &str,
    network: &NetworkArgs,
) -> Result<(), String> {
    let scratch = Scratch::new("push")?;
    let layout = Destination::OciLayout {
        path: scratch.path.clone(),
        tag: None,
    };
    write_image(image, &layout).map_err(|e| e.to_string())?;
    let src = format!("oci:{}", scratch.path.display());
    let args = PublishArgs {
        network: network.clone(),
        ..PublishArgs::new(src, dest.to_string())
    };
    crate::publish::run(&args).map(drop).map_err(|e| e.0)
}
