//! The Docker engine as a source of images: its images are exported through the engine's API
//! into a private temporary `docker save` archive (the `tempfile` crate's: mode 0600, removed
//! on drop, also when reading fails), which `dockerflow-oci` reads; and archives are loaded
//! into it to be run.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use dockerflow_engine::Engine;
use tempfile::NamedTempFile;

use crate::error::{Error, ErrorKind, Result};

/// The engine `DOCKER_HOST` names (default `unix:///var/run/docker.sock`), answering its
/// ping.
///
/// # Errors
///
/// [`ErrorKind::NoEngine`]: `DOCKER_HOST` is malformed, or nothing answers there.
pub fn connect() -> Result<Engine> {
    let no_engine = |e| Error::new(ErrorKind::NoEngine(e));
    let engine = Engine::from_env().map_err(no_engine)?;
    engine.ping().map_err(no_engine)?;
    Ok(engine)
}

/// The temporary exports alive in this process, for [`remove_exports`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary `docker save` archive: removed when it drops, and listed for
/// [`remove_exports`] while it lives.
#[derive(Debug)]
pub struct Export(NamedTempFile);

impl Export {
    fn new(temp: NamedTempFile) -> Export {
        if let Ok(mut live) = LIVE.lock() {
            live.push(temp.path().to_path_buf());
        }
        Export(temp)
    }

    /// Where the archive is.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Export {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|p| p != self.0.path());
        }
    }
}

/// Removes every temporary export still alive in this process, for a process about to end
/// without running destructors (a Ctrl-C handler that exits); returns how many it removed.
/// An export removed this way reads as a missing file from then on.
pub fn remove_exports() -> usize {
    let Ok(mut live) = LIVE.lock() else { return 0 };
    live.drain(..)
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// Exports the engine's image `name` into a new temporary `docker save` archive
/// (`dockerflow-export-*.tar` in the temporary directory), removed when it drops.
///
/// # Errors
///
/// [`ErrorKind::NotInEngine`], [`ErrorKind::Inspect`], [`ErrorKind::CreateTemp`],
/// [`ErrorKind::Export`] or [`ErrorKind::WriteTemp`].
pub fn export(engine: &Engine, name: &str) -> Result<Export> {
    engine.image_inspect(name).map_err(|e| {
        Error::new(if e.is_not_found() {
            ErrorKind::NotInEngine {
                name: name.to_string(),
                host: engine.host().to_string(),
            }
        } else {
            ErrorKind::Inspect {
                name: name.to_string(),
                source: e,
            }
        })
    })?;
    let create = |source| {
        Error::new(ErrorKind::CreateTemp {
            dir: std::env::temp_dir(),
            source,
        })
    };
    let temp = Export::new(
        tempfile::Builder::new()
            .prefix("dockerflow-export-")
            .suffix(".tar")
            .tempfile()
            .map_err(create)?,
    );
    let mut out = BufWriter::new(temp.0.reopen().map_err(create)?);
    let written = engine.image_export(name, &mut out).map_err(|e| {
        Error::new(ErrorKind::Export {
            name: name.to_string(),
            source: e,
        })
    })?;
    out.flush().map_err(|source| {
        Error::new(ErrorKind::WriteTemp {
            path: temp.path().to_path_buf(),
            written,
            source,
        })
    })?;
    Ok(temp)
}

/// Loads the `docker save` archive at `path` into the engine; returns the engine's answer
/// (its `Loaded image: ...` lines).
///
/// # Errors
///
/// [`ErrorKind::Open`] (the file) or [`ErrorKind::Load`] (the engine refused it).
pub fn load_archive(engine: &Engine, path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|source| {
        Error::new(ErrorKind::Open {
            path: path.to_path_buf(),
            source,
        })
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = std::io::BufReader::new(file);
    engine
        .image_load(&mut reader, len)
        .map_err(|source| Error::new(ErrorKind::Load { source }))
}
