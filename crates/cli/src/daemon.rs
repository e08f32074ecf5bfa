//! Images in the Docker engine (`docker-daemon:NAME[:TAG]` and bare names): exported through
//! the engine's API into a private temporary file, read as a `docker save` archive, and the
//! file removed afterwards (on drop, also when the check fails).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use dockerflow_engine::{Engine, ErrorKind};

use crate::{fatal, one_line, Fatal};

/// A temporary file removed on drop.
#[derive(Debug)]
pub(crate) struct TempFile(PathBuf);

impl TempFile {
    fn create(tag: &str) -> Result<(TempFile, File), Fatal> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "dockerflow-{tag}-{}-{nanos}.tar",
            std::process::id()
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                fatal(format!(
                    "cannot create the temporary file {}: {e}; expected a writable TMPDIR",
                    path.display()
                ))
            })?;
        Ok((TempFile(path), file))
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The engine `DOCKER_HOST` names, answering, or the reason it cannot be used.
pub(crate) fn engine() -> Result<Engine, Fatal> {
    let engine = Engine::from_env().map_err(|e| fatal(e.to_string()))?;
    engine.ping().map_err(|e| fatal(e.to_string()))?;
    Ok(engine)
}

/// Exports `reference` from the engine into a temporary `docker save` tar.
pub(crate) fn export(engine: &Engine, reference: &str) -> Result<TempFile, Fatal> {
    engine.image_inspect(reference).map_err(|e| {
        if e.is_not_found() {
            fatal(format!(
                "cannot check image {reference}: the Docker engine at {} has no such image; expected a local image name (see `docker images`)",
                engine.host()
            ))
        } else {
            fatal(format!("cannot check image {reference}: {}", one_line(&e.to_string())))
        }
    })?;
    let (temp, file) = TempFile::create("export")?;
    let mut out = BufWriter::new(file);
    let written = engine.image_export(reference, &mut out).map_err(|e| {
        let hint = if matches!(e.kind(), ErrorKind::NoEngine) {
            ""
        } else {
            " (is TMPDIR full?)"
        };
        fatal(format!(
            "cannot export image {reference}: {}{hint}",
            one_line(&e.to_string())
        ))
    })?;
    out.flush().map_err(|e| {
        fatal(format!(
            "cannot write {} ({written} bytes): {e}; expected room in TMPDIR",
            temp.path().display()
        ))
    })?;
    Ok(temp)
}
