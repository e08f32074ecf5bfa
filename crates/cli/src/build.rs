//! `dockerflow build`: a compliant image without a Docker daemon, reproducible from its inputs
//! and `SOURCE_DATE_EPOCH`. The work is in `dockerflow_build::{image, write}`.

use std::path::PathBuf;
use std::process::ExitCode;

use dockerflow_build::image::{parse_cmd, source_date_epoch};
use dockerflow_build::version::{generate, process_env, VersionOptions};
use dockerflow_build::{build, write_image, Base, BuildSpec, Destination};
use dockerflow_oci::{open, ImageRef, ImageSource, OpenOptions};

use crate::flags::Flags;

pub(crate) const HELP: &str = "\
Build a Dockerflow-compliant image without a Docker daemon, reproducibly.

Usage:
  dockerflow build (--bin NAME | --binary PATH) --cmd CMD --output DEST [OPTIONS]

The image: the base's layers (or, without --base, the binary's interpreter, shared libraries
and CA certificates from this machine); /etc/passwd and /etc/group with app 10001; /app/bin/NAME,
/app/static/ and /app/version.json owned by root, read-only for app. User app, Entrypoint
[\"/app/bin/NAME\"], the given Cmd, PORT=8000, EXPOSE 8000/tcp, WorkingDir /app, OCI labels.
Same inputs and SOURCE_DATE_EPOCH (unset: 0) give the same digest.

Input:
  --bin NAME              Build the cargo binary target NAME (cargo build --release)
  -p, --package PKG       The package of --bin, in a workspace
  --binary PATH           A prebuilt executable instead of --bin
  --name NAME             Its name in /app/bin/ (default: the binary's file name)
  --static DIR            Copy DIR to /app/static/
  --version-json FILE     /app/version.json (default: ./version.json, else generated as
                          `dockerflow version` does)
  --cmd CMD               Cmd: a JSON array ('[\"serve\"]') or words (serve)
  --env KEY=VALUE         An environment variable (repeatable)
  --healthcheck           Set the image's Healthcheck to the binary's self-probe
                          (CMD /app/bin/NAME healthcheck, exec form: no shell needed)
  --base REF              Build on REF (oci:DIR[:TAG], oci-archive:FILE[:TAG],
                          docker-archive:FILE[:NAME:TAG]); pinned by digest in the
                          org.opencontainers.image.base.* annotations

Output (repeatable, at least one):
  --output DEST           oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:NAME:TAG]
                          | docker-daemon:NAME[:TAG] (loaded into the Docker engine through its
                          API) | docker://REGISTRY/REPO[:TAG] (pushed as `dockerflow publish`
                          does, docker-image-shasum256.txt included)

Prints the manifest digest (sha256:...) on stdout. Exit status: 0 built, 2 error.
";

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("dockerflow: error: {message}");
    ExitCode::from(2)
}

#[derive(Debug, Default)]
struct Args {
    bin: Option<String>,
    package: Option<String>,
    binary: Option<PathBuf>,
    name: Option<String>,
    static_dir: Option<PathBuf>,
    version_json: Option<PathBuf>,
    cmd: Option<Vec<String>>,
    env: Vec<(String, String)>,
    base: Option<String>,
    healthcheck: bool,
    outputs: Vec<Output>,
}

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
            _ => Destination::parse(text).map(Output::Local).map_err(|e| e.0),
        }
    }
}

fn parse(args: &[String]) -> Result<Option<Args>, String> {
    let mut a = Args::default();
    let mut flags = Flags::new("build", args);
    while let Some(flag) = flags.next_flag() {
        let mut value = || -> Result<String, String> { flags.value(flag) };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--bin" => a.bin = Some(value()?),
            "-p" | "--package" => a.package = Some(value()?),
            "--binary" => a.binary = Some(PathBuf::from(value()?)),
            "--name" => a.name = Some(value()?),
            "--static" => a.static_dir = Some(PathBuf::from(value()?)),
            "--version-json" => a.version_json = Some(PathBuf::from(value()?)),
            "--cmd" => a.cmd = Some(parse_cmd(&value()?).map_err(|e| e.0)?),
            "--env" => {
                let v = value()?;
                let (k, val) = v
                    .split_once('=')
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| format!("--env {v:?} has no '='; expected KEY=VALUE"))?;
                a.env.push((k.to_string(), val.to_string()));
            }
            "--base" => a.base = Some(value()?),
            "--healthcheck" => a.healthcheck = true,
            "-o" | "--output" => a.outputs.push(Output::parse(&value()?)?),
            other => {
                return Err(format!(
                    "unexpected argument {other:?}; see `dockerflow build --help`"
                ))
            }
        }
    }
    Ok(Some(a))
}

/// Runs `dockerflow build ARGS`.
pub(crate) fn run(args: &[String]) -> ExitCode {
    match parse(args) {
        Ok(None) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Ok(Some(a)) => match execute(a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
        Err(e) => fail(e),
    }
}

fn execute(a: Args) -> Result<(), String> {
    if a.outputs.is_empty() {
        return Err("no --output given; expected e.g. --output oci:image or --output docker-archive:image.tar:app:latest".into());
    }
    let cmd = a.cmd.clone().ok_or(
        "no --cmd given: the contract needs a non-empty CMD (e.g. --cmd serve or --cmd '[\"serve\"]')",
    )?;
    let epoch =
        source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref()).map_err(|e| e.0)?;
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
        .map_err(|e| e.0)?,
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
                eprintln!("dockerflow: using ./version.json");
                bytes
            }
            Err(_) => {
                let g = generate(&process_env, &VersionOptions::default()).map_err(|e| e.0)?;
                for note in &g.notes {
                    eprintln!("dockerflow: note: {note}");
                }
                eprintln!("dockerflow: version.json generated ({})", g.provider);
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
    .map_err(|e| e.0)?;
    for note in &image.notes {
        eprintln!("dockerflow: note: {note}");
    }
    for output in &a.outputs {
        match output {
            Output::Local(dest) => {
                let written = write_image(&image, dest).map_err(|e| e.0)?;
                eprintln!(
                    "dockerflow: wrote {dest} ({} layers, {} bytes of blobs)",
                    image.manifest().layers.len(),
                    written.blob_bytes
                );
            }
            Output::Engine(name) => load_into_engine(&image, name)?,
            Output::Registry(dest) => push(&image, dest)?,
        }
    }
    if let Some(d) = image.manifest_digest() {
        println!("{d}");
    }
    Ok(())
}

/// A private temporary path (removed on drop) for what the engine and registry outputs write
/// first.
struct Scratch(PathBuf);

impl Scratch {
    fn new(kind: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Scratch(std::env::temp_dir().join(format!(
            "dockerflow-build-{kind}-{}-{nanos}",
            std::process::id()
        )))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a docker-archive named `name` and loads it through the engine's API.
fn load_into_engine(image: &dyn dockerflow_oci::ImageSource, name: &str) -> Result<(), String> {
    let engine =
        crate::daemon::engine().map_err(|e| format!("output docker-daemon:{name}: {}", e.0))?;
    let scratch = Scratch::new("load");
    let dest = Destination::DockerArchive {
        path: scratch.0.clone(),
        name: Some(name.to_string()),
    };
    write_image(image, &dest).map_err(|e| e.0)?;
    let mut file = std::fs::File::open(&scratch.0)
        .map_err(|e| format!("cannot read {}: {e}", scratch.0.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    engine.image_load(&mut file, len).map_err(|e| {
        format!(
            "cannot load the image into the engine as {name}: {}",
            crate::one_line(&e.to_string())
        )
    })?;
    eprintln!("dockerflow: loaded docker-daemon:{name} into the Docker engine");
    Ok(())
}

/// Writes an OCI layout and publishes it to `dest` (same code, output and digest file as
/// `dockerflow publish`).
fn push(image: &dyn dockerflow_oci::ImageSource, dest: &str) -> Result<(), String> {
    let scratch = Scratch::new("push");
    let layout = Destination::OciLayout {
        path: scratch.0.clone(),
        tag: None,
    };
    write_image(image, &layout).map_err(|e| e.0)?;
    let src = format!("oci:{}", scratch.0.display());
    match crate::publish::run(&[src, dest.to_string()])? {
        code if code == ExitCode::SUCCESS => Ok(()),
        _ => Err(format!("publishing to {dest} failed")),
    }
}
