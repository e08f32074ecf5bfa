//! Image references in the containers/image transport syntax used by skopeo and podman.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};

/// Where an image comes from, as written on a command line.
///
/// | Syntax | Meaning |
/// |---|---|
/// | `docker-daemon:NAME[:TAG]`, or a bare `NAME[:TAG]` | an image in the Docker engine |
/// | `docker-archive:FILE[:REF]` | a `docker save` tar; `REF` is `name:tag` or `@N` |
/// | `oci:DIR[:TAG]` | an OCI image layout directory |
/// | `oci-archive:FILE[:TAG]` | a tar of an OCI image layout |
/// | `docker://[REGISTRY/]REPO[:TAG\|@DIGEST]` | a registry |
///
/// As in containers/image, a path ends at its first `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageRef {
    /// An image in the Docker engine, by name (`name:tag`, `name@digest` or an image id).
    DockerDaemon {
        /// The reference given to the engine.
        reference: String,
    },
    /// A `docker save` archive.
    DockerArchive {
        /// The archive file.
        path: PathBuf,
        /// Which image, when the archive holds several.
        image: Option<ArchiveImage>,
    },
    /// An OCI image layout directory.
    OciLayout {
        /// The layout directory.
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name` to select.
        tag: Option<String>,
    },
    /// A tar of an OCI image layout.
    OciArchive {
        /// The archive file.
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name` to select.
        tag: Option<String>,
    },
    /// An image in a registry.
    Registry(RegistryRef),
}

/// How an image is chosen inside a `docker save` archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveImage {
    /// By a name in `RepoTags` (`name:tag`; `docker.io/library/` prefixes are ignored).
    Name(String),
    /// By position in `manifest.json` (`@0` is the first).
    Index(usize),
}

impl fmt::Display for ArchiveImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchiveImage::Name(n) => f.write_str(n),
            ArchiveImage::Index(i) => write!(f, "@{i}"),
        }
    }
}

/// A registry reference, normalised as Docker does (`alpine` is
/// `docker.io/library/alpine:latest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    /// The registry host (and port), e.g. `docker.io` or `localhost:5000`.
    pub registry: String,
    /// The repository path, e.g. `library/alpine`.
    pub repository: String,
    /// The tag, if given (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// The digest, if given.
    pub digest: Option<Digest>,
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageRef::DockerDaemon { reference } => write!(f, "docker-daemon:{reference}"),
            ImageRef::DockerArchive { path, image } => {
                write!(f, "docker-archive:{}", path.display())?;
                match image {
                    Some(i) => write!(f, ":{i}"),
                    None => Ok(()),
                }
            }
            ImageRef::OciLayout { path, tag } | ImageRef::OciArchive { path, tag } => {
                let t = if matches!(self, ImageRef::OciLayout { .. }) {
                    "oci"
                } else {
                    "oci-archive"
                };
                write!(f, "{t}:{}", path.display())?;
                match tag {
                    Some(tag) => write!(f, ":{tag}"),
                    None => Ok(()),
                }
            }
            ImageRef::Registry(r) => write!(f, "docker://{r}"),
        }
    }
}

/// Transports of containers/image that this crate recognises but does not read.
const OTHER_TRANSPORTS: &[&str] = &["dir", "containers-storage", "ostree", "sif", "tarball"];

impl ImageRef {
    /// Parses a reference. A string without a known transport prefix is an image in the
    /// Docker engine.
    pub fn parse(input: &str) -> Result<ImageRef> {
        let bad = |reason: &str| {
            Error::new(ErrorKind::InvalidReference {
                input: input.to_string(),
                reason: reason.to_string(),
            })
        };
        if input.is_empty() {
            return Err(bad("empty"));
        }
        let Some((transport, rest)) = input.split_once(':') else {
            check_name(input).map_err(|r| bad(&r))?;
            return Ok(ImageRef::DockerDaemon {
                reference: input.to_string(),
            });
        };
        let split_path = |rest: &str, what: &str| -> Result<(PathBuf, Option<String>)> {
            let (path, sel) = match rest.split_once(':') {
                Some((p, s)) => (p, Some(s.to_string())),
                None => (rest, None),
            };
            if path.is_empty() {
                return Err(bad(&format!("{transport}: needs a {what} path")));
            }
            if sel.as_deref() == Some("") {
                return Err(bad("empty name after the path's ':'"));
            }
            Ok((PathBuf::from(path), sel))
        };
        match transport {
            "docker-daemon" => {
                if rest.is_empty() {
                    return Err(bad("docker-daemon: needs an image name"));
                }
                if Digest::parse(rest).is_err() {
                    check_name(rest).map_err(|r| bad(&r))?;
                }
                Ok(ImageRef::DockerDaemon {
                    reference: rest.to_string(),
                })
            }
            "docker-archive" => {
                let (path, sel) = split_path(rest, "file")?;
                let image = match sel {
                    None => None,
                    Some(s) => match s.strip_prefix('@') {
                        Some(n) => Some(ArchiveImage::Index(n.parse().map_err(|_| {
                            bad("after '@' a docker-archive needs an image position (@0, @1, ...)")
                        })?)),
                        None => {
                            check_name(&s).map_err(|r| bad(&r))?;
                            Some(ArchiveImage::Name(s))
                        }
                    },
                };
                Ok(ImageRef::DockerArchive { path, image })
            }
            "oci" | "oci-archive" => {
                let (path, tag) = split_path(rest, "layout")?;
                if tag.as_ref().is_some_and(|t| t.chars().any(char::is_control)) {
                    return Err(bad("a tag cannot hold control characters"));
                }
                Ok(if transport == "oci" {
                    ImageRef::OciLayout { path, tag }
                } else {
                    ImageRef::OciArchive { path, tag }
                })
            }
            "docker" => {
                let name = rest
                    .strip_prefix("//")
                    .ok_or_else(|| bad("docker: must be followed by // (docker://REPO[:TAG])"))?;
                Ok(ImageRef::Registry(parse_registry(name).map_err(|r| bad(&r))?))
            }
            t if OTHER_TRANSPORTS.contains(&t) => Err(bad(&format!(
                "the {t}: transport is not supported; use docker-archive:, oci:, oci-archive:, docker:// or docker-daemon:"
            ))),
            _ => {
                check_name(input).map_err(|r| bad(&r))?;
                Ok(ImageRef::DockerDaemon {
                    reference: input.to_string(),
                })
            }
        }
    }
}

impl FromStr for ImageRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<ImageRef> {
        ImageRef::parse(s)
    }
}

/// `name` with Docker's default tag: `name:latest`, unless its last path component already
/// has a tag or a digest (`name:v1`, `name@sha256:...`, `host:5000/name:v1`).
///
/// ```
/// use dockerflow_oci::reference::with_default_tag;
/// assert_eq!(with_default_tag("app"), "app:latest");
/// assert_eq!(with_default_tag("host:5000/app"), "host:5000/app:latest");
/// assert_eq!(with_default_tag("app:v1"), "app:v1");
/// ```
pub fn with_default_tag(name: &str) -> String {
    match name
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'))
    {
        true => name.to_string(),
        false => format!("{name}:latest"),
    }
}

/// Checks a Docker name (`[host[:port]/]path[:tag][@digest]`) loosely: lowercase path
/// components, a valid tag and a valid digest.
fn check_name(name: &str) -> std::result::Result<(), String> {
    parse_registry(name).map(|_| ())
}

fn parse_registry(name: &str) -> std::result::Result<RegistryRef, String> {
    let (rest, digest) = match name.split_once('@') {
        Some((r, d)) => (r, Some(Digest::parse(d).map_err(|e| e.to_string())?)),
        None => (name, None),
    };
    // A tag is after the last ':' that follows the last '/'.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            && !t.starts_with(['.', '-']);
        if !ok {
            return Err(format!(
                "invalid tag {t:?} (1-128 of [A-Za-z0-9_.-], not starting with '.' or '-')"
            ));
        }
    }
    if path.is_empty() {
        return Err("no repository name".into());
    }
    let (registry, repo) = match path.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => ("docker.io".to_string(), path.to_string()),
    };
    let repository = if registry == "docker.io" && !repo.contains('/') {
        format!("library/{repo}")
    } else {
        repo
    };
    for comp in repository.split('/') {
        let ok = !comp.is_empty()
            && comp
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && comp
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if !ok {
            return Err(format!(
                "invalid repository path component {comp:?} (lowercase letters, digits, '.', '_', '-')"
            ));
        }
    }
    let tag = match (tag, &digest) {
        (Some(t), _) => Some(t.to_string()),
        (None, Some(_)) => None,
        (None, None) => Some("latest".to_string()),
    };
    Ok(RegistryRef {
        registry,
        repository,
        tag,
        digest,
    })
}

/// Normalises a Docker name for comparison: `alpine`, `library/alpine:latest` and
/// `docker.io/library/alpine:latest` are equal.
pub(crate) fn normalize_name(name: &str) -> String {
    parse_registry(name).map_or_else(|_| name.to_string(), |r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ImageRef {
        match ImageRef::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        ImageRef::parse(s)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn transports() {
        assert_eq!(
            ok("alpine:3.20"),
            ImageRef::DockerDaemon {
                reference: "alpine:3.20".into()
            }
        );
        assert_eq!(
            ok("docker-archive:/tmp/a.tar:app:latest"),
            ImageRef::DockerArchive {
                path: "/tmp/a.tar".into(),
                image: Some(ArchiveImage::Name("app:latest".into()))
            }
        );
        assert_eq!(
            ok("docker-archive:a.tar:@1"),
            ImageRef::DockerArchive {
                path: "a.tar".into(),
                image: Some(ArchiveImage::Index(1))
            }
        );
        assert_eq!(
            ok("oci:/l:v1"),
            ImageRef::OciLayout {
                path: "/l".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            ok("oci-archive:x.tar"),
            ImageRef::OciArchive {
                path: "x.tar".into(),
                tag: None
            }
        );
        let ImageRef::Registry(r) = ok("docker://alpine") else {
            panic!("registry")
        };
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        let d = format!("sha256:{}", "a".repeat(64));
        let ImageRef::Registry(r) = ok(&format!("docker://localhost:5000/x/y@{d}")) else {
            panic!("registry")
        };
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag),
            ("localhost:5000", "x/y", None)
        );
        assert_eq!(
            ok("ghcr.io/o/r:1").to_string(),
            "docker-daemon:ghcr.io/o/r:1"
        );
    }

    #[test]
    fn errors() {
        assert!(err("").contains("empty"));
        assert!(err("docker:alpine").contains("//"));
        assert!(err("docker://Alpine").contains("lowercase"));
        assert!(err("docker://alpine@sha256:12").contains("64 hex"));
        assert!(err("docker-archive:").contains("file path"));
        assert!(err("docker-archive:a.tar:@x").contains("position"));
        assert!(err("oci:").contains("layout path"));
        assert!(err("dir:/x").contains("not supported"));
        assert!(err("alpine:-bad").contains("invalid tag"));
    }
}
