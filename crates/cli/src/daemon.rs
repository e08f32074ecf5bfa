//! Images in the Docker engine (`docker-daemon:NAME[:TAG]` and bare names): exported through
//! the engine's API into a private temporary file, read as a `docker save` archive, and the
//! file removed afterwards (on drop, also when the check fails).

use std::fs::File;
use std::io::{BufWriter, Write};

use dockerflow_engine::{Engine, ErrorKind};

use crate::{fatal, one_line, Fatal};

/// A private temporary file (mode 0600), removed on drop.
pub(crate) type TempFile = tempfile::NamedTempFile;

/// A new temporary file `dockerflow-TAG-*.tar`, and a handle to write it.
fn create_temp(tag: &str) -> Result<(TempFile, File), Fatal> {
    let fail = |e: std::io::Error| {
        fatal(format!(
            "cannot create a temporary file in {}: {e}; expected a writable TMPDIR",
            std::env::temp_dir().display()
        ))
    };
    let temp = tempfile::Builder::new()
        .prefix(&format!("dockerflow-{tag}-"))
        .suffix(".tar")
        .tempfile()
        .map_err(fail)?;
    let file = temp.reopen().map_err(fail)?;
    Ok((temp, file))
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
    let (temp, file) = create_temp("export")?;
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
