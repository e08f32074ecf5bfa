//! What the rules judge: an image (its config and its files after all layers) or a Dockerfile
//! stage (its facts). Building a model is the only I/O in this crate.

use std::path::Path;

use dockerflow_dockerfile::{Facts, ParseError};
use dockerflow_oci::{ContainerConfig, ContentRequest, ImageConfig, ImageSource, Limits, Vfs};

use crate::context::BuildContext;

/// Where version.json lives in an image (CONTRACT.md section 1.2).
pub const VERSION_JSON: &str = "/app/version.json";

/// An image as the rules see it.
#[derive(Debug)]
pub struct ImageModel {
    /// The image as named (`oci:dir`, `docker-archive:file.tar`).
    pub origin: String,
    /// The image configuration.
    pub config: ImageConfig,
    /// The files after all layers, with the content of `/etc/passwd`, `/etc/group` and
    /// `/app/version.json`, and the files later layers hid (with the content of those whose
    /// names suggest key material, for DF503).
    pub vfs: Vfs,
}

impl ImageModel {
    /// Reads `source`: applies every layer (verified as it streams) and keeps the content of
    /// the files the rules read.
    pub fn read(source: &dyn ImageSource, limits: &Limits) -> dockerflow_oci::Result<ImageModel> {
        let request = ContentRequest::default()
            .with_path(VERSION_JSON)
            .with_hidden(crate::rules::secrets::hidden_content_wanted);
        let vfs = Vfs::read_image(source, &request, limits)?;
        Ok(ImageModel {
            origin: source.origin().to_string(),
            config: source.config().clone(),
            vfs,
        })
    }

    /// The container configuration (`config` in the image config), if any.
    pub fn container(&self) -> Option<&ContainerConfig> {
        self.config.container()
    }
}

/// A Dockerfile stage as the rules see it.
#[derive(Debug, Clone)]
pub struct DockerfileModel {
    /// The Dockerfile's path as given (findings point at it).
    pub path: String,
    /// The facts of the judged stage.
    pub facts: Facts,
    /// The build context, when read ([`DockerfileModel::with_context`]).
    pub context: ContextState,
}

/// What is known of a Dockerfile's build context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ContextState {
    /// Not asked for: what `COPY`/`ADD` bring from it cannot be told.
    #[default]
    NotRead,
    /// Asked for and not readable, with the reason.
    Unreadable(String),
    /// Read.
    Read(BuildContext),
}

/// Why a Dockerfile could not be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerfileError {
    /// No `FROM` at all.
    NoStage,
    /// `--target` names no stage.
    NoSuchTarget {
        /// The target asked for.
        target: String,
        /// The stages there are (names, or indexes for unnamed ones).
        stages: Vec<String>,
    },
    /// The file cannot be judged: its variable expansion went over the budget
    /// ([`ParseError::is_fatal`]); the error names the instruction and its line.
    Unjudgeable(ParseError),
}

impl std::fmt::Display for DockerfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DockerfileError::NoStage => {
                f.write_str("no build stage; expected at least one FROM instruction")
            }
            DockerfileError::NoSuchTarget { target, stages } => write!(
                f,
                "no stage named {target:?}; expected one of: {}",
                stages.join(", ")
            ),
            DockerfileError::Unjudgeable(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DockerfileError {}

impl DockerfileModel {
    /// Parses `source` (read from `path`) with build arguments and picks the final stage or
    /// `target`. Parse errors do not stop the check; they come back beside the model.
    pub fn parse(
        path: &str,
        source: &str,
        target: Option<&str>,
        build_args: &[(&str, &str)],
    ) -> Result<(DockerfileModel, Vec<ParseError>), DockerfileError> {
        let (dockerfile, errors) = dockerflow_dockerfile::parse_with_args(source, build_args);
        if let Some(e) = errors.iter().find(|e| e.is_fatal()) {
            return Err(DockerfileError::Unjudgeable(e.clone()));
        }
        let facts = match target {
            None => dockerfile.facts().ok_or(DockerfileError::NoStage)?,
            Some(t) => dockerfile.facts_for(t).ok_or_else(|| {
                if dockerfile.stages.is_empty() {
                    DockerfileError::NoStage
                } else {
                    DockerfileError::NoSuchTarget {
                        target: t.to_string(),
                        stages: dockerfile
                            .stages
                            .iter()
                            .map(|s| s.name.clone().unwrap_or_else(|| s.index.to_string()))
                            .collect(),
                    }
                }
            })?,
        };
        if let Some(e) = facts.errors.iter().find(|e| e.is_fatal()) {
            return Err(DockerfileError::Unjudgeable(e.clone()));
        }
        Ok((
            DockerfileModel {
                path: path.to_string(),
                facts,
                context: ContextState::NotRead,
            },
            errors,
        ))
    }

    /// Reads the build context `dir` (with the ignore file BuildKit would use for the
    /// Dockerfile at `dockerfile`); a context that cannot be read is kept as the reason.
    pub fn with_context(mut self, dir: &Path, dockerfile: Option<&Path>) -> DockerfileModel {
        self.context = match BuildContext::read(dir, dockerfile) {
            Ok(c) => ContextState::Read(c),
            Err(e) => ContextState::Unreadable(e.to_string()),
        };
        self
    }

    /// A location in the Dockerfile.
    pub fn at(&self, line: u32) -> crate::Location {
        crate::Location {
            path: Some(self.path.clone()),
            line: Some(line),
            ..crate::Location::default()
        }
    }

    /// The Dockerfile itself, no line.
    pub fn here(&self) -> crate::Location {
        crate::Location {
            path: Some(self.path.clone()),
            ..crate::Location::default()
        }
    }
}
