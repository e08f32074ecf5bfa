//! Opening an image by reference for the CLI: `docker://` goes to `dockerflow-registry`,
//! every local transport to `dockerflow-oci` (which must not depend on the registry client).

use dockerflow_oci::{open, ImageRef, ImageSource, OpenOptions};
use dockerflow_registry::{ClientOptions, RegistryImage};

/// Opens `reference` with the registry client's default options (credentials from the
/// environment and Docker's config, insecure hosts from `DOCKERFLOW_INSECURE_REGISTRIES`).
pub(crate) fn open_image(
    reference: &ImageRef,
    options: &OpenOptions,
) -> dockerflow_oci::Result<Box<dyn ImageSource>> {
    open_with(reference, options, &ClientOptions::default()).map(|(s, _)| s)
}

/// An opened image and, when known, its manifest's exact bytes.
pub(crate) type Opened = (Box<dyn ImageSource>, Option<Vec<u8>>);

/// Opens `reference`; also returns the manifest's exact bytes when the source can give them
/// (a registry, or an OCI layout directory), so a copy keeps the manifest digest.
pub(crate) fn open_with(
    reference: &ImageRef,
    options: &OpenOptions,
    client: &ClientOptions,
) -> dockerflow_oci::Result<Opened> {
    match reference {
        ImageRef::Registry(r) => {
            let image = RegistryImage::open(r, options, client).map_err(|e| e.into_oci())?;
            let raw = image.raw_manifest().to_vec();
            Ok((Box::new(image), Some(raw)))
        }
        ImageRef::OciLayout { path, .. } => {
            let source = open(reference, options)?;
            let raw = source.manifest_digest().and_then(|d| {
                let bytes = std::fs::read(path.join(d.blob_path())).ok()?;
                (dockerflow_oci::Digest::of(d.algorithm(), &bytes) == *d).then_some(bytes)
            });
            Ok((source, raw))
        }
        _ => Ok((open(reference, options)?, None)),
    }
}
