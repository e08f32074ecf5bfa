//! Opens any image reference the `dockerflow` command accepts as one image source: a local
//! archive or layout (`oci-archive:`, `oci:`, `docker-archive:`, or a bare path with
//! [`Reference::parse_or_path`]), an image in the Docker engine (`docker-daemon:NAME` or a
//! bare name: exported through the engine's API into a temporary archive), or an image in a
//! registry (`docker://`).
//!
//! This is the one place that knows which crate reads which transport: `dockerflow-oci` reads
//! local transports and knows nothing of engines or registries, `dockerflow-registry` speaks
//! the distribution API, `dockerflow-engine` the Engine API. The `dockerflow` command's
//! `check image`, `--run`, `publish`, `ci` and fleets open images through it, and so can a
//! library user.
//!
//! ```no_run
//! use dockerflow_image::{open, Options, Reference};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let reference = Reference::parse("docker-daemon:app:v1")?;
//! let image = open(reference.image_ref(), &Options::default())?;
//! let manifest = image.source().manifest();
//! println!("{} layers", manifest.layers.len());
//! // The engine's export is removed when `image` drops.
//! # Ok(())
//! # }
//! ```
//!
//! Errors are one type, [`Error`]: its [`ErrorKind`] keeps the error of the crate that failed,
//! and it names the reference it was about.

#![deny(missing_docs)]

mod engine;
mod error;
mod reference;
mod target;

use std::path::Path;

use dockerflow_oci::{Algorithm, Digest};

pub use dockerflow_engine::Engine;
pub use dockerflow_oci::{ImageRef, ImageSource, IndexSource, OpenOptions, Opened, Platform};
pub use dockerflow_registry::ClientOptions;
pub use engine::{connect, export, load_archive, remove_exports, Export};
pub use error::{Error, ErrorKind, Result};
pub use reference::{looks_like_path, Reference};
pub use target::Target;

/// How images are opened: the reader's options (the platform chosen from an index, resource
/// caps) and the registry client's (credentials, insecure hosts, retries, timeouts).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// For every transport.
    pub open: OpenOptions,
    /// For `docker://`.
    pub client: ClientOptions,
}

/// An opened image, and the temporary export behind it when it came from the engine
/// (removed when the `Image` drops).
#[derive(Debug)]
pub struct Image {
    reference: ImageRef,
    source: Box<dyn ImageSource>,
    export: Option<Export>,
}

impl Image {
    /// The image: manifest, config and verified layers.
    pub fn source(&self) -> &dyn ImageSource {
        self.source.as_ref()
    }

    /// The reference it was opened by.
    pub fn reference(&self) -> &ImageRef {
        &self.reference
    }

    /// The temporary `docker save` archive an engine image was exported to, if it was one.
    pub fn exported_to(&self) -> Option<&Path> {
        self.export.as_ref().map(Export::path)
    }

    /// The name the Docker engine runs this image by: an engine image's own name; a
    /// `docker-archive:` is loaded into the engine first and named by its image id (its
    /// config digest).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotRunnable`] for other transports; [`ErrorKind::Open`] or
    /// [`ErrorKind::Load`] when the archive cannot be loaded.
    pub fn load_into(&self, engine: &Engine) -> Result<String> {
        match &self.reference {
            ImageRef::DockerDaemon { reference } => Ok(reference.clone()),
            ImageRef::DockerArchive { path, .. } => {
                load_archive(engine, path).map_err(|e| e.about(&self.reference))?;
                Ok(Digest::of(Algorithm::Sha256, self.source.raw_config()).to_string())
            }
            _ => Err(Error::new(ErrorKind::NotRunnable).about(&self.reference)),
        }
    }
}

/// An `Image` is itself an image source (the one it opened), so it can go wherever a
/// `dyn ImageSource` goes, boxed too, keeping an engine export alive as long as it is used.
impl ImageSource for Image {
    fn origin(&self) -> &str {
        self.source.origin()
    }

    fn manifest(&self) -> &dockerflow_oci::ImageManifest {
        self.source.manifest()
    }

    fn manifest_digest(&self) -> Option<&Digest> {
        self.source.manifest_digest()
    }

    fn raw_manifest(&self) -> Option<&[u8]> {
        self.source.raw_manifest()
    }

    fn config(&self) -> &dockerflow_oci::ImageConfig {
        self.source.config()
    }

    fn raw_config(&self) -> &[u8] {
        self.source.raw_config()
    }

    fn open_layer(&self, index: usize) -> dockerflow_oci::Result<Box<dyn std::io::Read + '_>> {
        self.source.open_layer(index)
    }
}

/// What a reference names when no platform is chosen (an index whole, else one image), and
/// the temporary export behind it when it came from the engine.
#[derive(Debug)]
pub struct ImageOrIndex {
    opened: Opened,
    export: Option<Export>,
}

impl ImageOrIndex {
    /// The index or image.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// The temporary `docker save` archive an engine image was exported to, if it was one.
    pub fn exported_to(&self) -> Option<&Path> {
        self.export.as_ref().map(Export::path)
    }
}

impl From<Image> for ImageOrIndex {
    /// One image (a platform chosen), as what a reference names.
    fn from(image: Image) -> ImageOrIndex {
        ImageOrIndex {
            opened: Opened::Image(image.source),
            export: image.export,
        }
    }
}

/// An engine image exported to a temporary archive, and the archive's reference; any other
/// reference as it is.
fn local(reference: &ImageRef) -> Result<(ImageRef, Option<Export>)> {
    match reference {
        ImageRef::DockerDaemon { reference: name } => {
            let about = |e: Error| e.about(reference);
            let engine = connect().map_err(about)?;
            let temp = export(&engine, name).map_err(about)?;
            let archive = ImageRef::DockerArchive {
                path: temp.path().to_path_buf(),
                image: None,
            };
            Ok((archive, Some(temp)))
        }
        other => Ok((other.clone(), None)),
    }
}

/// Opens the image `reference` names, choosing from an index by `options.open.platform`.
///
/// # Errors
///
/// Every [`ErrorKind`] but [`ErrorKind::NotRunnable`], about `reference`.
pub fn open(reference: &ImageRef, options: &Options) -> Result<Image> {
    let (read, export) = local(reference)?;
    let failed = |kind: ErrorKind| Error::new(kind).about(reference);
    let source: Box<dyn ImageSource> = match &read {
        ImageRef::Registry(r) => Box::new(
            dockerflow_registry::RegistryImage::open(r, &options.open, &options.client)
                .map_err(|e| failed(e.into()))?,
        ),
        other => {
            dockerflow_oci::open(other, &options.open).map_err(|e| failed(ErrorKind::Image(e)))?
        }
    };
    Ok(Image {
        reference: reference.clone(),
        source,
        export,
    })
}

/// Opens what `reference` names without choosing a platform: an index whole (to copy every
/// platform), else the one image.
///
/// # Errors
///
/// As [`open`].
pub fn open_index_or_image(reference: &ImageRef, options: &Options) -> Result<ImageOrIndex> {
    let (read, export) = local(reference)?;
    let failed = |kind: ErrorKind| Error::new(kind).about(reference);
    let opened = match &read {
        ImageRef::Registry(r) => {
            dockerflow_registry::open_index_or_image(r, &options.open, &options.client)
                .map_err(|e| failed(e.into()))?
        }
        other => dockerflow_oci::open_index_or_image(other, &options.open)
            .map_err(|e| failed(ErrorKind::Image(e)))?,
    };
    Ok(ImageOrIndex { opened, export })
}
