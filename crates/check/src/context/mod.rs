//! The build context of a Dockerfile: the files `COPY`/`ADD` can bring into the image, after
//! its `.dockerignore` (Docker's rules, [`Dockerignore`]). Read once, bounded: directories the
//! `.dockerignore` excludes are not walked (unless an exception may re-include something below
//! them), symbolic links are not followed, and only the files whose names credentials go by
//! are opened, for their first `SNIFF_BYTES` bytes.

mod dockerignore;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use dockerignore::{Dockerignore, PatternError};

/// How many directory entries a context may have before reading it stops (it then cannot be
/// judged, rather than taking unbounded time).
pub(crate) const MAX_ENTRIES: usize = 2_000_000;

/// How much of a candidate credential file is read to tell what it holds.
pub(crate) const SNIFF_BYTES: u64 = 64 * 1024;

/// A credential file in the context that the build would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSecret {
    /// Its path relative to the context, `/`-separated.
    pub path: String,
    /// What it is, in words (never its contents).
    pub what: &'static str,
}

/// A build context as read: what it holds that matters to the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildContext {
    /// The context directory as given.
    pub dir: PathBuf,
    /// The ignore file applied (`Dockerfile.dockerignore` or `.dockerignore`), if any.
    pub ignore_file: Option<PathBuf>,
    /// The files the build would send (not excluded).
    pub files: usize,
    /// The credential files among them.
    pub secrets: Vec<ContextSecret>,
    /// Whether `version.json` is at the context's root (and not excluded).
    pub has_version_json: bool,
}

/// Why a context could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

impl std::fmt::Display for ContextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for ContextError {}

/// What a file in the context is, when it holds credentials. `sniff` reads its first bytes.
fn credential(path: &str, sniff: &dyn Fn() -> Vec<u8>) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let has = |bytes: &[u8], needle: &str| {
        let needle = needle.as_bytes();
        bytes
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    if lower == ".env" || lower.starts_with(".env.") {
        let example = [".example", ".sample", ".template", ".dist", ".defaults"];
        return (!example.iter().any(|e| lower.ends_with(e))).then_some("an environment file");
    }
    match lower.as_str() {
        ".netrc" | "_netrc" | ".git-credentials" => return Some("a credentials file"),
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" => return Some("an SSH private key"),
        ".npmrc" | ".pypirc" | ".yarnrc.yml" => {
            let bytes = sniff();
            return ["_authtoken", "_auth", "password", "npmauthtoken"]
                .iter()
                .any(|n| has(&bytes, n))
                .then_some("a registry token");
        }
        _ => {}
    }
    for (suffix, what) in [
        (".aws/credentials", "cloud credentials (AWS)"),
        (".docker/config.json", "registry credentials (Docker)"),
        (".kube/config", "cluster credentials (kubeconfig)"),
    ] {
        if path.ends_with(suffix)
            && (path.len() == suffix.len() || path.ends_with(&format!("/{suffix}")))
        {
            return Some(what);
        }
    }
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    if matches!(ext, "p12" | "pfx" | "jks" | "keystore") {
        return Some("a key store");
    }
    if crate::rules::secrets::hidden_content_wanted(path) || ext == "json" && lower.contains("cred")
    {
        let bytes = sniff();
        if let Some(why) = crate::rules::secrets::content_reason(&bytes) {
            return Some(why);
        }
        if ext == "json" && has(&bytes, "\"private_key\"") {
            return Some("a cloud service-account key");
        }
    }
    None
}

fn sniff(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        // A file that cannot be read is judged by its name alone.
        let _ = f.take(SNIFF_BYTES).read_to_end(&mut out);
    }
    out
}

impl BuildContext {
    /// Reads the context `dir`, with the ignore file BuildKit would use for `dockerfile`
    /// (`<Dockerfile>.dockerignore` beside it, else `.dockerignore` at the context root).
    pub fn read(dir: &Path, dockerfile: Option<&Path>) -> Result<BuildContext, ContextError> {
        let error = |path: &Path, reason: String| ContextError {
            path: path.to_path_buf(),
            reason,
        };
        let meta = std::fs::metadata(dir)
            .map_err(|e| error(dir, format!("cannot read the build context: {e}")))?;
        if !meta.is_dir() {
            return Err(error(dir, "the build context is not a directory".into()));
        }
        let specific = dockerfile.map(|d| {
            let mut name = d.as_os_str().to_owned();
            name.push(".dockerignore");
            PathBuf::from(name)
        });
        let ignore_file = specific
            .filter(|p| p.is_file())
            .or_else(|| Some(dir.join(".dockerignore")).filter(|p| p.is_file()));
        let ignore = match &ignore_file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| error(p, format!("cannot read: {e}")))?;
                Dockerignore::parse(&text).map_err(|e| error(p, e.to_string()))?
            }
            None => Dockerignore::default(),
        };
        let mut context = BuildContext {
            dir: dir.to_path_buf(),
            ignore_file,
            files: 0,
            secrets: Vec::new(),
            has_version_json: false,
        };
        let mut entries = 0usize;
        // (directory on disk, its path relative to the context, whether it is excluded)
        let mut stack: Vec<(PathBuf, String, bool)> =
            vec![(dir.to_path_buf(), String::new(), false)];
        while let Some((disk, rel, dir_excluded)) = stack.pop() {
            let list =
                std::fs::read_dir(&disk).map_err(|e| error(&disk, format!("cannot list: {e}")))?;
            for entry in list {
                let entry = entry.map_err(|e| error(&disk, format!("cannot list: {e}")))?;
                entries += 1;
                if entries > MAX_ENTRIES {
                    return Err(error(
                        dir,
                        format!("more than {MAX_ENTRIES} entries; not read to the end"),
                    ));
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let excluded = if dir_excluded && !ignore.may_include_below(&rel) {
                    true
                } else {
                    ignore.excludes(&path)
                };
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    if !excluded || ignore.may_include_below(&path) {
                        stack.push((entry.path(), path, excluded));
                    }
                    continue;
                }
                if excluded {
                    continue;
                }
                context.files += 1;
                if path == "version.json" {
                    context.has_version_json = true;
                }
                let disk_path = entry.path();
                if let Some(what) = credential(&path, &|| sniff(&disk_path)) {
                    context.secrets.push(ContextSecret { path, what });
                }
            }
        }
        context.secrets.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(context)
    }

    /// The credential files a `COPY`/`ADD` of `source` (relative to the context, as written)
    /// brings in: the path itself, everything below it, or what its wildcards match.
    pub fn secrets_under(&self, source: &str) -> Vec<&ContextSecret> {
        let cleaned = dockerignore_clean(source);
        if cleaned == "." {
            return self.secrets.iter().collect();
        }
        let pattern = Dockerignore::parse(&cleaned).ok();
        self.secrets
            .iter()
            .filter(|s| pattern.as_ref().is_some_and(|p| p.excludes(&s.path)))
            .collect()
    }
}

/// A `COPY` source made relative to the context root, as BuildKit does.
fn dockerignore_clean(source: &str) -> String {
    let trimmed = source.trim_start_matches('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in trimmed.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_and_contents() {
        let none = || Vec::new();
        assert_eq!(credential(".env", &none), Some("an environment file"));
        assert_eq!(
            credential("svc/.env.production", &none),
            Some("an environment file")
        );
        assert_eq!(credential(".env.example", &none), None);
        assert_eq!(
            credential(".ssh/id_ed25519", &none),
            Some("an SSH private key")
        );
        assert_eq!(
            credential("home/.aws/credentials", &none),
            Some("cloud credentials (AWS)")
        );
        assert_eq!(
            credential(".npmrc", &none),
            None,
            "an .npmrc without a token"
        );
        let token = || b"//registry.npmjs.org/:_authToken=npm_x\n".to_vec();
        assert_eq!(credential(".npmrc", &token), Some("a registry token"));
        let key = || b"-----BEGIN RSA PRIVATE KEY-----\nMII\n".to_vec();
        assert_eq!(credential("deploy/tls.key", &key), Some("a private key"));
        let cert = || b"-----BEGIN CERTIFICATE-----\nMII\n".to_vec();
        assert_eq!(credential("deploy/tls.pem", &cert), None);
        let sa = || br#"{"type": "service_account", "private_key": "x"}"#.to_vec();
        assert_eq!(
            credential("gcp-credentials.json", &sa),
            Some("a cloud service-account key")
        );
    }

    #[test]
    fn copy_sources() {
        assert_eq!(dockerignore_clean("./"), ".");
        assert_eq!(dockerignore_clean("/src/../app/"), "app");
        assert_eq!(dockerignore_clean("*.json"), "*.json");
    }
}
