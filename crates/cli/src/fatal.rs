//! Why a command could not do its job (exit status 2). The libraries' errors stay typed here,
//! each with what the command was doing when it failed; [`Fatal`]'s `Display` is the one place
//! they become the line the user reads (`dockerflow: error: LINE`, printed by `main`, or by
//! `ci` and fleets for a step or an image).

use std::fmt;
use std::io;

use dockerflow_image::ErrorKind as Image;

use crate::one_line;

/// A reason for exit status 2.
#[derive(Debug)]
pub(crate) enum Fatal {
    /// The command's own refusal of what it was given (a flag, a combination of them, an
    /// input's content), worded where it was found.
    Refused(String),
    /// A file or stream the command itself reads or writes: `WHAT: ERROR[; EXPECTED]`.
    Io {
        /// What was being done, e.g. `cannot read ignore file .dockerflow-check`.
        what: String,
        /// The error.
        source: io::Error,
        /// What was expected, when worth saying.
        expected: Option<&'static str>,
    },
    /// `check image`: the image could not be opened (`reference` as read).
    CheckImage {
        /// The reference read (as given, or `TRANSPORT:PATH` for a bare path).
        reference: String,
        /// Why.
        source: dockerflow_image::Error,
    },
    /// `check image`: the opened image's files could not be read.
    ReadImage {
        /// The reference read.
        reference: String,
        /// Why.
        source: dockerflow_oci::Error,
    },
    /// `check image --run`: no engine, or the image could not be given to it.
    RunImage {
        /// The reference read.
        reference: String,
        /// Why.
        source: dockerflow_image::Error,
    },
    /// `check image --run` or `check url`: the probe could not run (`CONTEXTERROR`).
    Probe {
        /// E.g. `cannot run image app:v1: ` (with its separator).
        context: String,
        /// Why.
        source: dockerflow_probe::Error,
    },
    /// `publish`: SRC could not be opened.
    PublishSource {
        /// SRC as given.
        src: String,
        /// Why.
        source: dockerflow_image::Error,
    },
    /// `publish`: the registry failed (`CONTEXT: ERROR HINT`).
    Registry {
        /// E.g. `cannot publish oci:dir to docker://host/app:v1`.
        context: String,
        /// Why.
        source: dockerflow_registry::Error,
        /// A way out, when there is one (`; to publish one platform only, ...`).
        hint: &'static str,
    },
    /// `build` or `version`: the pipeline library failed (`[CONTEXT: ]ERROR`).
    Build {
        /// What was being done, when the error does not say it.
        context: Option<String>,
        /// Why.
        source: dockerflow_build::Error,
    },
    /// `build --output docker-daemon:NAME`: the engine could not take the image.
    LoadImage {
        /// The name it was to be loaded as.
        name: String,
        /// Why.
        source: dockerflow_image::Error,
    },
    /// `build --base`: the base image could not be read.
    Base {
        /// The reference as given.
        text: String,
        /// Why.
        source: dockerflow_image::Error,
    },
    /// An ignore entry (`--ignore`, the ignore file) the checker refused.
    Ignore(dockerflow_check::IgnoreError),
    /// `check dockerfile`: the checker cannot judge this Dockerfile.
    Dockerfile {
        /// The file's name (`-` for stdin).
        name: String,
        /// Why.
        source: dockerflow_check::DockerfileError,
    },
    /// `check dockerfile`: a Dockerfile `docker build` refuses (its first refusal).
    Unbuildable {
        /// The file's name.
        name: String,
        /// The first refusal.
        error: dockerflow_dockerfile::ParseError,
        /// How many more.
        more: usize,
    },
    /// `check kubernetes`: a manifest the checker cannot read.
    Manifest(dockerflow_check::kubernetes::ManifestError),
    /// `report merge`: a file that is not a JSON report this version reads.
    Report {
        /// The file's name (`stdin` for `-`).
        file: String,
        /// Why.
        source: dockerflow_report::json::ReadError,
    },
}

/// The command's own refusal, worded by the caller.
pub(crate) fn refused(s: impl Into<String>) -> Fatal {
    Fatal::Refused(s.into())
}

impl Fatal {
    /// A file or stream the command reads or writes failed.
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Fatal {
        Fatal::Io {
            what: what.into(),
            source,
            expected: None,
        }
    }

    /// As [`Fatal::io`], saying what was expected.
    pub(crate) fn io_expecting(
        what: impl Into<String>,
        source: io::Error,
        expected: &'static str,
    ) -> Fatal {
        Fatal::Io {
            what: what.into(),
            source,
            expected: Some(expected),
        }
    }

    /// The build library's error, as it words it.
    pub(crate) fn build(source: dockerflow_build::Error) -> Fatal {
        Fatal::Build {
            context: None,
            source,
        }
    }
}

impl From<dockerflow_build::Error> for Fatal {
    fn from(source: dockerflow_build::Error) -> Fatal {
        Fatal::build(source)
    }
}

/// The engine name a `docker-daemon:` (or bare) reference holds.
fn engine_name(reference: &str) -> Option<String> {
    match dockerflow_oci::ImageRef::parse(reference) {
        Ok(dockerflow_oci::ImageRef::DockerDaemon { reference }) => Some(reference),
        _ => None,
    }
}

/// Why an image could not be read, in `check image`'s words: the memory budget in the
/// flag's terms, and the local transports when one is not read.
fn reading(f: &mut fmt::Formatter<'_>, reference: &str, e: &dockerflow_oci::Error) -> fmt::Result {
    if let Some(message) = over_budget(e) {
        return write!(f, "cannot check image {reference}: {message}");
    }
    let hint = if matches!(e.kind(), dockerflow_oci::ErrorKind::Unsupported { .. }) {
        "; expected a local image: docker-archive:FILE, oci:DIR[:TAG] or oci-archive:FILE[:TAG] (use `docker save` or `skopeo copy`)"
    } else {
        ""
    };
    write!(
        f,
        "cannot check image {reference}: {}{hint}",
        one_line(&e.to_string())
    )
}

/// Why `name` (a `publish` SRC, a `build` base) could not be read, `doing` what (`read`,
/// `read the base`): an image reader's error in the words of every command that reads images.
fn cannot_read(
    f: &mut fmt::Formatter<'_>,
    doing: &str,
    name: &str,
    source: &dockerflow_image::Error,
) -> fmt::Result {
    match source.kind() {
        Image::NoEngine(e) => write!(f, "cannot {doing} {name}: {e}"),
        Image::Image(e) => write!(f, "cannot {doing} {name}: {e}"),
        Image::Registry(e) => write!(f, "cannot {doing} {name}: {}", talking(e)),
        kind => match exporting(kind, doing) {
            Some(message) => f.write_str(&message),
            None => write!(f, "cannot {doing} {name}: {kind}"),
        },
    }
}

/// A registry failure that is not about the image's content, as the image reader reports it.
fn talking(e: &dockerflow_registry::Error) -> String {
    format!("I/O error talking to the registry: {e}")
}

/// Exporting an engine image failed (`export` step kinds), in the words of every command
/// that reads one (`doing`: `check image`, `read`); `None` for kinds of other steps.
fn exporting(kind: &Image, doing: &str) -> Option<String> {
    Some(match kind {
        Image::NotInEngine { name, host } => format!(
            "cannot {doing} {name}: the Docker engine at {host} has no such image; expected a local image name (see `docker images`)"
        ),
        Image::Inspect { name, source } => {
            format!("cannot {doing} {name}: {}", one_line(&source.to_string()))
        }
        Image::Export { name, source } => {
            let hint = match source.kind() {
                dockerflow_engine::ErrorKind::NoEngine => "",
                _ => " (is TMPDIR full?)",
            };
            format!(
                "cannot export image {name}: {}{hint}",
                one_line(&source.to_string())
            )
        }
        Image::CreateTemp { .. } | Image::WriteTemp { .. } => kind.to_string(),
        _ => return None,
    })
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fatal::Refused(message) => f.write_str(message),
            Fatal::Report { file, source } => match source {
                // FILE:LINE:COLUMN, as compilers point at a place in a file.
                dockerflow_report::json::ReadError::Syntax { .. } => {
                    write!(f, "cannot merge {file}:{source}")
                }
                dockerflow_report::json::ReadError::Shape(_) => {
                    write!(f, "cannot merge {file}: {source}")
                }
            },
            Fatal::Io {
                what,
                source,
                expected,
            } => {
                write!(f, "{what}: {source}")?;
                match expected {
                    Some(expected) => write!(f, "; {expected}"),
                    None => Ok(()),
                }
            }
            Fatal::CheckImage { reference, source } => match source.kind() {
                Image::InvalidReference(e) => write!(
                    f,
                    "cannot check image {reference:?}: {}",
                    one_line(&e.to_string())
                ),
                Image::Image(e) => reading(f, reference, e),
                Image::Registry(e) => write!(
                    f,
                    "cannot check image {reference}: {}",
                    one_line(&talking(e))
                ),
                Image::NoEngine(e) => write!(f, "cannot check image {reference}: {e}"),
                kind => {
                    let message = exporting(kind, "check image").unwrap_or_else(|| source.to_string());
                    match engine_name(reference) {
                        Some(name) if dockerflow_image::looks_like_path(&name) => write!(
                            f,
                            "{message}; {name} looks like a path, but nothing is there: expected docker-archive:FILE, oci-archive:FILE or oci:DIR"
                        ),
                        _ => f.write_str(&message),
                    }
                }
            },
            Fatal::ReadImage { reference, source } => reading(f, reference, source),
            Fatal::RunImage { reference, source } => match source.kind() {
                Image::NoEngine(e) => write!(f, "cannot run image {reference}: {e}"),
                Image::Load { source } => write!(
                    f,
                    "cannot load {reference} into the engine: {}",
                    one_line(&source.to_string())
                ),
                Image::NotRunnable => write!(
                    f,
                    "--run needs an image the Docker engine can run; expected docker-daemon:NAME, a bare NAME or docker-archive:FILE, got {reference}"
                ),
                kind => write!(f, "{kind}"),
            },
            Fatal::Probe { context, source } => {
                write!(f, "{context}{}", one_line(&source.to_string()))
            }
            Fatal::PublishSource { src, source } => match source.kind() {
                Image::InvalidReference(e) => write!(f, "invalid SRC {src:?}: {e}"),
                _ => cannot_read(f, "read", src, source),
            },
            Fatal::Registry {
                context,
                source,
                hint,
            } => write!(f, "{context}: {source}{hint}"),
            Fatal::Build {
                context: Some(context),
                source,
            } => write!(f, "{context}: {source}"),
            Fatal::Build {
                context: None,
                source,
            } => write!(f, "{source}"),
            Fatal::LoadImage { name, source } => match source.kind() {
                Image::NoEngine(e) => write!(f, "output docker-daemon:{name}: {e}"),
                Image::Open { path, source } => {
                    write!(f, "cannot read {}: {source}", path.display())
                }
                Image::Load { source } => write!(
                    f,
                    "cannot load the image into the engine as {name}: {}",
                    one_line(&source.to_string())
                ),
                kind => write!(f, "output docker-daemon:{name}: {kind}"),
            },
            Fatal::Base { text, source } => match source.kind() {
                Image::InvalidReference(e) => write!(
                    f,
                    "invalid --base {text:?}: {e}; expected oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, docker-daemon:NAME[:TAG] or docker://REGISTRY/REPO[:TAG]"
                ),
                _ => cannot_read(f, "read the base", text, source),
            },
            Fatal::Ignore(e) => f.write_str(&one_line(&e.to_string())),
            Fatal::Dockerfile { name, source } => {
                write!(f, "cannot check Dockerfile {name}: {source}")
            }
            Fatal::Unbuildable { name, error, more } => {
                let more = match more {
                    0 => String::new(),
                    n => format!(" (and {n} more)"),
                };
                write!(
                    f,
                    "{name}:{}: {}{}; `docker build` refuses this Dockerfile{more}",
                    error.span.line,
                    error
                        .instruction
                        .as_deref()
                        .map_or(String::new(), |i| format!("{i}: ")),
                    one_line(&error.message)
                )
            }
            Fatal::Manifest(e) => write!(f, "cannot check {e}"),
        }
    }
}

/// The memory budget's refusal in the CLI's words: the library's message names
/// `Limits::max_memory`, a user sets it with `--max-memory`.
fn over_budget(e: &dockerflow_oci::Error) -> Option<String> {
    let dockerflow_oci::ErrorKind::LimitExceeded {
        limit: dockerflow_oci::Limit::Memory,
        max,
        layer,
        digest,
    } = e.kind()
    else {
        return None;
    };
    let place = match (layer, digest) {
        (Some(l), Some(d)) => format!(" in layer {l} ({d})"),
        (Some(l), None) => format!(" in layer {l}"),
        _ => String::new(),
    };
    Some(format!(
        "the image needs more memory than the memory budget of {} ({max} bytes){place}; \
         raise it with --max-memory SIZE (e.g. --max-memory 2GiB) to check it",
        human_size(*max)
    ))
}

/// Bytes in the largest binary unit that divides them (`512MiB`), as `--max-memory` takes them.
pub(crate) fn human_size(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}
