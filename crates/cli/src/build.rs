//! `dockerflow build`: a compliant image without a Docker daemon, reproducible from its inputs
//! and `SOURCE_DATE_EPOCH`. The work is in `dockerflow_build::{image, write}`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dockerflow_build::image::{parse_cmd, source_date_epoch};
use dockerflow_build::version::{generate, process_env, VersionOptions};
use dockerflow_build::{build, write_image, Base, BuildSpec, Destination};
use dockerflow_image::{Platform, Reference, Target};
use dockerflow_oci::{ImageRef, ImageSource};

use crate::cli::{BuildArgs, NetworkArgs, PublishArgs};
use crate::fatal::{refused, Fatal};

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
    fn parse(text: &str) -> Result<Output, Fatal> {
        match Target::parse(text) {
            Ok(Target::Engine(name)) => Ok(Output::Engine(name)),
            Ok(Target::Registry(_)) => Ok(Output::Registry(text.to_string())),
            // The local writer judges the rest, and words what it refuses.
            _ => Ok(Output::Local(Destination::parse(text)?)),
        }
    }
}

/// Opens `--base` from any transport the checker reads (a local layout or archive, the
/// engine, a registry); from an index, the platform of the binary's architecture, the only
/// one it runs on. A registry base is named without its `docker://` in the
/// `org.opencontainers.image.base.name` annotation, as a reference `docker pull` takes.
fn open_base(text: &str, arch: Option<&str>, network: &NetworkArgs) -> Result<Base, Fatal> {
    let failed = |source| Fatal::Base {
        text: text.to_string(),
        source,
    };
    let reference = Reference::parse(text).map_err(failed)?;
    let mut options = dockerflow_image::Options {
        client: network.client_options(),
        ..dockerflow_image::Options::default()
    };
    if let Some(arch) = arch {
        options.open.platform = Platform::new("linux", arch, None);
    }
    // An engine base is exported to a temporary file: Ctrl-C must remove it.
    if matches!(reference.image_ref(), ImageRef::DockerDaemon { .. }) {
        crate::run::on_ctrl_c()?;
    }
    let image = dockerflow_image::open(reference.image_ref(), &options).map_err(failed)?;
    let name = match reference.image_ref() {
        ImageRef::Registry(r) => r.to_string(),
        _ => text.to_string(),
    };
    Ok(Base {
        name,
        image: Box::new(image),
    })
}

/// The binary's architecture (`amd64`, `arm64`; `None` for another), read before anything
/// else is done with the inputs, so that a missing or non-ELF binary is the first error.
fn binary_architecture(binary: &Path) -> Result<Option<&'static str>, Fatal> {
    let bytes = std::fs::read(binary).map_err(|e| {
        Fatal::io_expecting(
            format!("cannot read the binary {}", binary.display()),
            e,
            "expected the executable to package",
        )
    })?;
    let elf = dockerflow_build::elf::parse(&bytes, &binary.display().to_string())?;
    Ok(elf.architecture())
}

/// Runs `dockerflow build`.
pub(crate) fn run(a: &BuildArgs) -> Result<ExitCode, Fatal> {
    if a.outputs.is_empty() {
        return Err(refused("no --output given; expected e.g. --output oci:image or --output docker-archive:image.tar:app:latest"));
    }
    let outputs = a
        .outputs
        .iter()
        .map(|o| Output::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    let cmd = a.cmd.as_deref().ok_or(refused(
        "no --cmd given: the contract needs a non-empty CMD (e.g. --cmd serve or --cmd '[\"serve\"]')",
    ))?;
    let cmd = parse_cmd(cmd)?;
    let epoch = source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?;
    let binary = match (&a.bin, &a.binary) {
        (Some(_), Some(_)) => return Err(refused("--bin and --binary are exclusive; give one")),
        (None, None) => {
            return Err(refused(
                "nothing to package; expected --bin NAME (a cargo target) or --binary PATH",
            ))
        }
        (None, Some(p)) => p.clone(),
        (Some(bin), None) => dockerflow_build::cargo::build_release_bin(
            &std::env::current_dir().map_err(|e| Fatal::io("no current directory", e))?,
            bin,
            a.package.as_deref(),
        )?,
    };
    let arch = binary_architecture(&binary)?;
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
            Fatal::io_expecting(
                format!("cannot read --version-json {}", p.display()),
                e,
                "expected a version.json file",
            )
        })?,
        None => match std::fs::read("version.json") {
            Ok(bytes) => {
                crate::say::err("dockerflow: using ./version.json");
                bytes
            }
            Err(_) => {
                let g = generate(&process_env, &VersionOptions::default())?;
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
        Some(text) => Some(open_base(text, arch, &a.network)?),
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
    })?;
    for note in &image.notes {
        crate::say::err(&format!("dockerflow: note: {note}"));
    }
    for output in &outputs {
        match output {
            Output::Local(dest) => {
                let written = write_image(&image, dest)?;
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
    Ok(ExitCode::SUCCESS)
}

/// A private temporary path for what the engine and registry outputs write first: `kind`
/// inside a fresh temporary directory, removed with it on drop.
struct Scratch {
    path: PathBuf,
    /// Removes `path` with it when dropped.
    _dir: tempfile::TempDir,
}

impl Scratch {
    fn new(kind: &str) -> Result<Scratch, Fatal> {
        let dir = tempfile::Builder::new()
            .prefix("dockerflow-build-")
            .tempdir()
            .map_err(|e| {
                Fatal::io_expecting(
                    "cannot create a temporary directory",
                    e,
                    "expected a writable TMPDIR",
                )
            })?;
        Ok(Scratch {
            path: dir.path().join(kind),
            _dir: dir,
        })
    }
}

/// Writes a docker-archive named `name` and loads it through the engine's API.
fn load_into_engine(image: &dyn dockerflow_oci::ImageSource, name: &str) -> Result<(), Fatal> {
    let failed = |source| Fatal::LoadImage {
        name: name.to_string(),
        source,
    };
    let engine = dockerflow_image::connect().map_err(failed)?;
    let scratch = Scratch::new("load")?;
    let dest = Destination::DockerArchive {
        path: scratch.path.clone(),
        name: Some(name.to_string()),
    };
    write_image(image, &dest)?;
    dockerflow_image::load_archive(&engine, &scratch.path).map_err(failed)?;
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
) -> Result<(), Fatal> {
    let scratch = Scratch::new("push")?;
    let layout = Destination::OciLayout {
        path: scratch.path.clone(),
        tag: None,
    };
    write_image(image, &layout)?;
    let src = format!("oci:{}", scratch.path.display());
    let args = PublishArgs {
        network: network.clone(),
        ..PublishArgs::new(src, dest.to_string())
    };
    crate::publish::run(&args).map(drop)
}
