//! A reference as a user writes it, parsed, with one convenience of the command line: a bare
//! name that is a file or directory here is read as the archive or layout it is (as dockle
//! and trivy users expect), instead of as the name of an engine image.

use std::fmt;
use std::path::Path;

use dockerflow_oci::{ImageRef, OpenOptions};

use crate::error::{Error, ErrorKind, Result};

/// A parsed image reference and the text it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    text: String,
    image_ref: ImageRef,
    from_path: bool,
}

impl Reference {
    /// Parses `text` in the containers/image syntax (see [`ImageRef`]); a bare name is an
    /// image in the Docker engine.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidReference`], about `text`.
    pub fn parse(text: &str) -> Result<Reference> {
        let image_ref = ImageRef::parse(text)
            .map_err(|e| Error::new(ErrorKind::InvalidReference(e)).about(text))?;
        Ok(Reference {
            text: text.to_string(),
            image_ref,
            from_path: false,
        })
    }

    /// Like [`Reference::parse`], but a bare name (not `docker-daemon:NAME`) that is a path
    /// here is read as what is there: a directory holding `oci-layout` as `oci:PATH`, a file
    /// as `docker-archive:PATH` when it opens as one, else as `oci-archive:PATH`.
    /// [`Reference::from_path`] says when that happened, so a caller can tell its user.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidReference`], about the text read.
    pub fn parse_or_path(text: &str, options: &OpenOptions) -> Result<Reference> {
        let bare = match ImageRef::parse(text) {
            Ok(ImageRef::DockerDaemon { .. }) | Err(_) => !text.starts_with("docker-daemon:"),
            Ok(_) => false,
        };
        match bare.then(|| local_path(text, options)).flatten() {
            Some(read_as) => Reference::parse(&read_as).map(|mut r| {
                r.from_path = true;
                r
            }),
            None => Reference::parse(text),
        }
    }

    /// The text read: as given, or `TRANSPORT:PATH` for a path.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed reference.
    pub fn image_ref(&self) -> &ImageRef {
        &self.image_ref
    }

    /// Whether a bare name was read as the local path it is ([`Reference::parse_or_path`]).
    pub fn from_path(&self) -> bool {
        self.from_path
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `oci:`, `docker-archive:` or `oci-archive:` before `reference` when it names a local path.
fn local_path(reference: &str, options: &OpenOptions) -> Option<String> {
    let path = Path::new(reference);
    if path.is_dir() {
        return path
            .join("oci-layout")
            .is_file()
            .then(|| format!("oci:{reference}"));
    }
    if !path.is_file() {
        return None;
    }
    let docker = format!("docker-archive:{reference}");
    let opens = ImageRef::parse(&docker)
        .ok()
        .and_then(|r| dockerflow_oci::open(&r, options).ok())
        .is_some();
    Some(match opens {
        true => docker,
        false => format!("oci-archive:{reference}"),
    })
}

/// Whether an engine image name that the engine does not have looks like a path the user
/// meant (`./x`, `/x`, `x.tar`): a hint worth giving.
pub fn looks_like_path(name: &str) -> bool {
    name.contains('/') && name.starts_with('.') || name.ends_with(".tar") || name.starts_with('/')
}
