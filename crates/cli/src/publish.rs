//! `dockerflow publish SRC DEST`: copies an image from any transport to a registry and
//! writes the pushed manifest digest to `docker-image-shasum256.txt` (CONTRACT section 3).
//! Progress goes to stderr: one updating line on a terminal, one line per step otherwise
//! (and always under `CI=true`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use dockerflow_image::{ImageOrIndex, ImageRef, Opened, Reference};
use dockerflow_oci::ErrorKind;
use dockerflow_registry::{push, push_index, Client, Event, PushOptions};

use crate::cli::{NetworkArgs, PublishArgs};
use crate::fatal::{refused, Fatal};

pub(crate) const LONG_HELP: &str = "\
SRC: any image reference of `dockerflow check image` (docker-archive:, oci:, oci-archive:,
docker://, docker-daemon: or a bare name, exported through the engine's API).

The manifest goes up byte for byte as SRC holds it (oci:, oci-archive:, docker://, and a
Docker 25+ docker-archive:), so the digest written is SRC's. A multi-platform SRC (an OCI
image index or a Docker manifest list, from oci:, oci-archive: or docker://) is copied
whole: every platform's blobs (a blob shared by platforms goes up once), each manifest by
digest, then the index itself under DEST's tag; the digest written is the index's. With
--platform, only that platform's manifest is pushed and its digest written. Every manifest
is read before anything is sent, and the tag goes last: a missing platform fails the
publish and leaves no tag.
Layers of a classic `docker save` archive are gzipped (deterministically); the digests are
remembered in DOCKERFLOW_CACHE_DIR (default ~/.cache/dockerflow), so the next publish of the
same layers asks the registry before compressing again.
Credentials: DOCKERFLOW_REGISTRY_USER and DOCKERFLOW_REGISTRY_PASSWORD (for every registry,
or only DOCKERFLOW_REGISTRY_HOST when set), else Docker's config.json ($DOCKER_CONFIG or
~/.docker) with its credential helpers. They are never printed.
Blobs the registry has are skipped; failed requests are retried with backoff; the manifest
goes last, so a failed publish leaves no tag behind. Exit status: 0 published, 2 not.
";

impl PublishArgs {
    /// SRC to DEST with the defaults.
    pub(crate) fn new(src: String, dest: String) -> PublishArgs {
        PublishArgs {
            src,
            dest,
            digest_file: PathBuf::from("docker-image-shasum256.txt"),
            platform: None,
            insecure: Vec::new(),
            chunk_size: None,
            network: NetworkArgs::default(),
        }
    }
}

fn size(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn short(d: &dockerflow_oci::Digest) -> String {
    format!("{}:{}", d.algorithm().name(), &d.hex()[..12])
}

/// Where layer digests learned by compressing are remembered: `DOCKERFLOW_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/dockerflow`, else `~/.cache/dockerflow`.
fn cache_dir() -> Option<std::path::PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    };
    var("DOCKERFLOW_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("dockerflow")))
        .or_else(|| var("HOME").map(|h| h.join(".cache/dockerflow")))
}

/// Runs `dockerflow publish`; an error is the one-line reason for exit status 2.
pub(crate) fn run(a: &PublishArgs) -> Result<ExitCode, Fatal> {
    let dest = match ImageRef::parse(&a.dest) {
        Ok(ImageRef::Registry(r)) => r,
        // A name without a transport reads as an engine image; as DEST it is most likely a
        // registry reference missing its `docker://` (crane and docker push take it bare).
        Ok(ImageRef::DockerDaemon { reference }) if !a.dest.starts_with("docker-daemon:") => {
            return Err(refused(format!(
                "cannot publish to {reference:?}: DEST names no transport; expected \
                 docker://{reference} to push it to that registry"
            )))
        }
        Ok(other) => {
            return Err(refused(format!(
                "cannot publish to {other}: only registries are supported as DEST yet; expected docker://REGISTRY/REPO[:TAG]"
            )))
        }
        Err(e) => return Err(refused(format!("invalid DEST {:?}: {e}", a.dest))),
    };
    let reference = Reference::parse(&a.src).map_err(|source| Fatal::PublishSource {
        src: a.src.clone(),
        source,
    })?;
    let src = reference.image_ref();
    let mut options = dockerflow_image::Options {
        client: a.network.client_options(),
        ..dockerflow_image::Options::default()
    };
    let attempts = options.client.max_attempts;
    options.client.insecure.extend(a.insecure.iter().cloned());
    if let Some(p) = &a.platform {
        options.open.platform = p.clone();
    }
    let unreadable = |source| Fatal::PublishSource {
        src: src.to_string(),
        source,
    };
    // Without --platform an index goes whole; with it, the one platform's image. An engine
    // image is read from a temporary export, removed when `image` or `whole` drops (after
    // the push).
    if matches!(src, ImageRef::DockerDaemon { .. }) {
        crate::run::on_ctrl_c()?;
    }
    let whole = match &a.platform {
        Some(_) => dockerflow_image::open(src, &options).map(ImageOrIndex::from),
        None => dockerflow_image::open_index_or_image(src, &options),
    }
    .map_err(unreadable)?;
    let opened = whole.opened();
    let client =
        Client::new(&dest.registry, &options.client).map_err(|source| Fatal::Registry {
            context: format!("cannot publish to docker://{dest}"),
            source,
            hint: "",
        })?;
    let mut push_options = PushOptions {
        blob_cache: cache_dir().map(|d| d.join("blob-digests")),
        ..PushOptions::default()
    };
    if let ImageRef::Registry(from) = src {
        if from.registry == dest.registry {
            push_options.mount_from = Some(from.repository.clone());
        }
    }
    if let Some(c) = a.chunk_size {
        push_options.chunk_size = c;
    }
    let live = crate::say::live_stderr();
    let started = Instant::now();
    let mut stderr = std::io::stderr().lock();
    let mut line_open = false;
    let mut report = |e: &Event| {
        let text = match e {
            Event::Compressing { what } => Some(format!("{what}: compressing")),
            Event::BlobExists {
                what,
                digest,
                size: n,
            } => Some(format!(
                "{what}: {} ({}) already in the registry, skipped",
                short(digest),
                size(*n)
            )),
            Event::BlobStart { what, size: n } => Some(format!("{what}: uploading {}", size(*n))),
            Event::BlobProgress {
                what,
                sent,
                size: n,
            } => {
                if live {
                    let _ = write!(stderr, "\r\x1b[2K{what}: {} / {}", size(*sent), size(*n));
                    let _ = stderr.flush();
                    line_open = true;
                }
                None
            }
            Event::BlobDone {
                what,
                digest,
                size: n,
            } => Some(format!("{what}: {} ({}) uploaded", short(digest), size(*n))),
            Event::Retry {
                what,
                attempt,
                error,
            } => {
                let step = match what.as_str() {
                    "config" => "the image's config",
                    "manifest" => "the manifest",
                    other => other,
                };
                Some(format!(
                    "sending {step} failed: {error}; trying again (attempt {attempt} of {attempts})"
                ))
            }
            Event::BlobMounted { what, digest, from } => {
                Some(format!("{what}: {} mounted from {from}", short(digest)))
            }
            Event::EntryPushed { what, digest } => {
                Some(format!("{what}: manifest {digest} pushed"))
            }
            Event::ManifestPushed { digest, reference } => {
                Some(format!("manifest: {digest} pushed to {reference}"))
            }
            _ => None,
        };
        if let Some(t) = text {
            if line_open {
                let _ = write!(stderr, "\r\x1b[2K");
                line_open = false;
            }
            crate::say::err(&format!("dockerflow: {t}"));
        }
    };
    let pushed = match opened {
        Opened::Index(index) => {
            push_index(&client, index.as_ref(), &dest, &push_options, &mut report)
        }
        Opened::Image(image) => push(&client, image.as_ref(), &dest, &push_options, &mut report),
    }
    .map_err(|e| {
        let hint = match (opened, &e) {
            (Opened::Index(_), dockerflow_registry::Error::Image(oci))
                if matches!(oci.kind(), ErrorKind::BlobMissing { .. }) =>
            {
                "; to publish one platform only, use --platform OS/ARCH[/VARIANT]"
            }
            _ => "",
        };
        Fatal::Registry {
            context: format!("cannot publish {src} to docker://{dest}"),
            source: e,
            hint,
        }
    })?;
    std::fs::write(&a.digest_file, format!("{}\n", pushed.digest)).map_err(|e| {
        Fatal::io(
            format!(
                "published {}, but cannot write {}",
                pushed.digest,
                a.digest_file.display()
            ),
            e,
        )
    })?;
    let index = match opened {
        Opened::Index(_) => format!("an index of {} manifests; ", pushed.manifests),
        Opened::Image(_) => String::new(),
    };
    crate::say::out(&format!(
        "published {}@{} ({index}{} blobs uploaded, {} already there, {} mounted, {:.1} s); digest written to {}",
        pushed.reference,
        pushed.digest,
        pushed.uploaded,
        pushed.skipped,
        pushed.mounted,
        started.elapsed().as_secs_f64(),
        a.digest_file.display()
    ));
    if let (Opened::Image(image), true) = (opened, pushed.manifest_rewritten) {
        if let Some(d) = image.manifest_digest() {
            crate::say::out(&format!(
                "note: the manifest was re-encoded, so its digest differs from the source's {d}"
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
