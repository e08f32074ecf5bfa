//! Registry credentials: from the environment (`DOCKERFLOW_REGISTRY_USER`,
//! `DOCKERFLOW_REGISTRY_PASSWORD`, optionally limited to `DOCKERFLOW_REGISTRY_HOST`), else from
//! Docker's `config.json` (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`): `auths`
//! entries (base64 `user:password` or an `identitytoken`), `credHelpers` per registry and
//! `credsStore` for the rest, through `docker-credential-NAME get`.
//!
//! A [`Credentials`] never shows its secret: its `Debug` prints only where it came from.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The environment variable holding the user name for registries.
pub const ENV_USER: &str = "DOCKERFLOW_REGISTRY_USER";
/// The environment variable holding the password or token.
pub const ENV_PASSWORD: &str = "DOCKERFLOW_REGISTRY_PASSWORD";
/// When set, the environment credentials are sent to this registry host only.
pub const ENV_HOST: &str = "DOCKERFLOW_REGISTRY_HOST";

/// A secret string: compared and used, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret's value, for building an `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password (or personal access token), sent as Basic auth.
    Basic {
        /// The user name.
        username: Secret,
        /// The password or token.
        password: Secret,
        /// Where they came from, for messages (`DOCKERFLOW_REGISTRY_USER`, a config path).
        source: String,
    },
    /// An OAuth2 refresh token (`identitytoken` in Docker's config).
    IdentityToken {
        /// The token.
        token: Secret,
        /// Where it came from.
        source: String,
    },
}

impl Credentials {
    /// Where these credentials came from (never their value).
    pub fn source(&self) -> &str {
        match self {
            Credentials::Basic { source, .. } | Credentials::IdentityToken { source, .. } => source,
        }
    }

    /// The `Authorization: Basic ...` value, when these are a user and password.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Credentials::Basic {
                username, password, ..
            } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    username.expose(),
                    password.expose()
                ))
            )),
            Credentials::IdentityToken { .. } => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Credentials::Basic { .. } => "Basic",
            Credentials::IdentityToken { .. } => "IdentityToken",
        };
        write!(
            f,
            "Credentials::{kind} {{ source: {:?}, .. }}",
            self.source()
        )
    }
}

/// The registry host under which credentials are filed: Docker Hub's aliases all map to
/// `https://index.docker.io/v1/`'s host, `index.docker.io`.
pub fn credential_host(registry: &str) -> String {
    let host = registry
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or(host);
    match host {
        "docker.io" | "registry-1.docker.io" | "index.docker.io" | "registry.hub.docker.com" => {
            "index.docker.io".to_string()
        }
        h => h.to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthEntry { .. }")
    }
}

/// Where credentials are looked up; tests point it at their own files.
#[derive(Debug, Clone, Default)]
pub struct CredentialSources {
    /// Environment credentials (user, password, optional host); `None` to ignore.
    pub env: Option<(String, Secret, Option<String>)>,
    /// The Docker config file; `None` to ignore.
    pub docker_config: Option<PathBuf>,
}

impl CredentialSources {
    /// The sources a command line uses: the environment variables, then Docker's config.
    pub fn from_env() -> CredentialSources {
        let env = match (std::env::var(ENV_USER), std::env::var(ENV_PASSWORD)) {
            (Ok(u), Ok(p)) if !u.is_empty() => {
                Some((u, Secret::new(p), std::env::var(ENV_HOST).ok()))
            }
            _ => None,
        };
        let docker_config = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
            .map(|d| d.join("config.json"));
        CredentialSources { env, docker_config }
    }

    /// No credentials at all (anonymous access).
    pub fn none() -> CredentialSources {
        CredentialSources::default()
    }

    /// The credentials for `registry` (as written in a reference: `docker.io`, `host:port`).
    pub fn lookup(&self, registry: &str) -> Result<Option<Credentials>> {
        let host = credential_host(registry);
        if let Some((user, password, only)) = &self.env {
            if only.as_deref().is_none_or(|h| credential_host(h) == host) {
                return Ok(Some(Credentials::Basic {
                    username: Secret::new(user.clone()),
                    password: password.clone(),
                    source: format!("{ENV_USER}/{ENV_PASSWORD}"),
                }));
            }
        }
        let Some(path) = &self.docker_config else {
            return Ok(None);
        };
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Credentials {
                    source: path.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        let config: DockerConfig =
            serde_json::from_slice(&text).map_err(|e| Error::Credentials {
                source: path.display().to_string(),
                reason: format!("not a Docker config file: {e}"),
            })?;
        let source = path.display().to_string();
        if let Some(helper) = config
            .cred_helpers
            .iter()
            .find(|(k, _)| credential_host(k) == host)
            .map(|(_, v)| v)
        {
            return helper_get(helper, &host);
        }
        for (key, entry) in &config.auths {
            if credential_host(key) != host {
                continue;
            }
            if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
                return Ok(Some(Credentials::IdentityToken {
                    token: Secret::new(token.clone()),
                    source,
                }));
            }
            if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
                let bad = || Error::Credentials {
                    source: format!("{source} (auths.{key:?}.auth)"),
                    reason: "expected base64 of user:password".to_string(),
                };
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .map_err(|_| bad())?;
                let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
                let (u, p) = decoded.split_once(':').ok_or_else(bad)?;
                return Ok(Some(Credentials::Basic {
                    username: Secret::new(u),
                    password: Secret::new(p),
                    source,
                }));
            }
            if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
                return Ok(Some(Credentials::Basic {
                    username: Secret::new(u.clone()),
                    password: Secret::new(p.clone()),
                    source,
                }));
            }
        }
        match &config.creds_store {
            Some(store) if !store.is_empty() => helper_get(store, &host),
            _ => Ok(None),
        }
    }
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Runs `docker-credential-NAME get` with the server URL on stdin.
fn helper_get(name: &str, host: &str) -> Result<Option<Credentials>> {
    let program = format!("docker-credential-{name}");
    let server = if host == "index.docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        host.to_string()
    };
    let failed = |reason: String| Error::Credentials {
        source: format!("{program} get"),
        reason,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run it: {e}; expected it on PATH")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| failed(format!("writing the server URL: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(format!("waiting for it: {e}")))?;
    if !out.status.success() {
        // The helper's stdout may hold a secret; only its stderr's first line is shown,
        // and "not found" means there are no credentials.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if stderr.contains("not found") || stdout.contains("not found") {
            return Ok(None);
        }
        let first: String = stderr
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        return Err(failed(format!("exited with {}: {first}", out.status)));
    }
    let answer: HelperAnswer = serde_json::from_slice(&out.stdout)
        .map_err(|_| failed("its output is not the JSON {Username, Secret} expected".into()))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    let source = format!("{program} get");
    Ok(Some(if answer.username == "<token>" {
        Credentials::IdentityToken {
            token: Secret::new(answer.secret),
            source,
        }
    } else {
        Credentials::Basic {
            username: Secret::new(answer.username),
            password: Secret::new(answer.secret),
            source,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_config(body: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "dockerflow-registry-cred-{}-{}",
            std::process::id(),
            body.len()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let p = dir.join("config.json");
        std::fs::write(&p, body).expect("write config");
        p
    }

    #[test]
    fn auths_entries_decode_and_never_print() {
        // "alice:s3cr3t-pw"
        let p = temp_config(
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"YWxpY2U6czNjcjN0LXB3"},"127.0.0.1:5000":{"identitytoken":"tok-XYZ"}}}"#,
        );
        let sources = CredentialSources {
            env: None,
            docker_config: Some(p.clone()),
        };
        let hub = sources.lookup("docker.io").expect("lookup").expect("found");
        assert_eq!(
            hub.basic_header().as_deref(),
            Some("Basic YWxpY2U6czNjcjN0LXB3")
        );
        let shown = format!("{hub:?} {sources:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("alice"),
            "{shown}"
        );
        let local = sources
            .lookup("127.0.0.1:5000")
            .expect("lookup")
            .expect("found");
        assert!(matches!(local, Credentials::IdentityToken { .. }));
        assert!(!format!("{local:?}").contains("tok-XYZ"));
        assert!(sources.lookup("ghcr.io").expect("lookup").is_none());
        let _ = std::fs::remove_dir_all(p.parent().expect("dir"));
    }

    #[test]
    fn env_credentials_win_and_can_be_limited_to_a_host() {
        let sources = CredentialSources {
            env: Some(("bob".into(), Secret::new("pw-123"), Some("ghcr.io".into()))),
            docker_config: None,
        };
        assert!(sources.lookup("docker.io").expect("lookup").is_none());
        let c = sources.lookup("ghcr.io").expect("lookup").expect("found");
        assert_eq!(
            c.source(),
            "DOCKERFLOW_REGISTRY_USER/DOCKERFLOW_REGISTRY_PASSWORD"
        );
        assert!(!format!("{c:?}").contains("pw-123"));
    }

    #[test]
    fn bad_config_is_a_clear_error_without_secrets() {
        let p = temp_config(r#"{"auths":{"x.io":{"auth":"bm8tY29sb24tc2VjcmV0"}}}"#);
        let sources = CredentialSources {
            env: None,
            docker_config: Some(p.clone()),
        };
        let e = sources
            .lookup("x.io")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("expected base64 of user:password"), "{e}");
        assert!(
            !e.contains("no-colon-secret") && !e.contains("bm8tY29sb24"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(p.parent().expect("dir"));
    }

    #[test]
    fn docker_hub_aliases_share_one_host() {
        for h in [
            "docker.io",
            "registry-1.docker.io",
            "https://index.docker.io/v1/",
        ] {
            assert_eq!(credential_host(h), "index.docker.io");
        }
        assert_eq!(
            credential_host("http://localhost:5000/v2/"),
            "localhost:5000"
        );
    }
}
