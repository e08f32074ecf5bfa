//! Where an image is written, by reference: the local writers' transports, the Docker engine
//! (loaded as `NAME:TAG`, Docker's `:latest` by default), or a registry.

use dockerflow_oci::reference::with_default_tag;
use dockerflow_oci::{ImageRef, RegistryRef};

use crate::error::{Error, ErrorKind, Result};

/// A destination for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// `oci:`, `oci-archive:` or `docker-archive:`: a file or layout to write.
    Local(ImageRef),
    /// `docker-daemon:NAME[:TAG]`: to load into the engine as `NAME:TAG`.
    Engine(String),
    /// `docker://REGISTRY/REPO[:TAG]`: to push.
    Registry(RegistryRef),
}

impl Target {
    /// Parses a destination. A bare name is an engine image, as for reading.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidReference`], about `text`.
    pub fn parse(text: &str) -> Result<Target> {
        let r = ImageRef::parse(text)
            .map_err(|e| Error::new(ErrorKind::InvalidReference(e)).about(text))?;
        Ok(match r {
            ImageRef::DockerDaemon { reference } => Target::Engine(with_default_tag(&reference)),
            ImageRef::Registry(r) => Target::Registry(r),
            local => Target::Local(local),
        })
    }
}
