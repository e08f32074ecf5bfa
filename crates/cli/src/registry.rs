//! Opening an image by reference for the CLI: `docker://` goes to `dockerflow-registry`,
//! every local transport to `dockerflow-oci` (which must not depend on the registry client).

use dockerflow_oci::{open, ImageRef, ImageSource, OpenOptions, Opened};
use dockerflow_registry::{ClientOptions, RegistryImage};

/// Opens the image `reference` names, choosing from an index by `options.platform`.
pub(crate) fn open_image_with(
    reference: &ImageRef,
    options: &OpenOptions,
    client: &ClientOptions,
) -> dockerflow_oci::Result<Box<dyn ImageSource>> {
    match reference {
        ImageRef::Registry(r) => Ok(Box::new(
            RegistryImage::open(r, options, client).map_err(|e| e.into_oci())?,
        )),
        _ => open(reference, options),
    }
}

/// Opens what `reference` names without choosing a platform: an index whole, else the image.
pub(crate) fn open_index_or_image(
    reference: &ImageRef,
    options: &OpenOptions,
    client: &ClientOptions,
) -> dockerflow_oci::Result<Opened> {
    match reference {
        ImageRef::Registry(r) => {
            dockerflow_registry::open_index_or_image(r, options, client).map_err(|e| e.into_oci())
        }
        _ => dockerflow_oci::open_index_or_image(reference, options),
    }
}
