//! Which engine to talk to, found as the `docker` CLI finds it: `DOCKER_HOST`; else the Docker
//! context `DOCKER_CONTEXT` names, else the config's `currentContext`; else the default
//! socket. A context other than `default` is read from its endpoint in the context store
//! (`$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json`, `Endpoints.docker.Host`),
//! which is how Docker Desktop (`desktop-linux`), rootless Docker (`rootless`) and Colima
//! point the CLI at their sockets.
//!
//! A context whose endpoint needs TLS is refused with what this client speaks: it has no TLS.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Error, ErrorKind, Host, Result};

/// The default engine socket.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The engine's address and where it came from (`None` for the default socket): `DOCKER_HOST`
/// or `Docker context NAME`, for messages.
pub(crate) fn discover(var: &dyn Fn(&str) -> Option<String>) -> Result<(Host, Option<String>)> {
    let var = |k: &str| var(k).filter(|v| !v.is_empty());
    if let Some(h) = var("DOCKER_HOST") {
        return Ok((Host::parse(&h)?, Some("DOCKER_HOST".into())));
    }
    let Some(config) = var("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".docker")))
    else {
        return Ok((Host::Unix(DEFAULT_SOCKET.into()), None));
    };
    let (name, named_by) = match var("DOCKER_CONTEXT") {
        Some(name) => (name, "DOCKER_CONTEXT".to_string()),
        None => match current_context(&config.join("config.json"))? {
            Some(name) => (
                name,
                format!("currentContext in {}", config.join("config.json").display()),
            ),
            None => return Ok((Host::Unix(DEFAULT_SOCKET.into()), None)),
        },
    };
    if name == "default" {
        return Ok((Host::Unix(DEFAULT_SOCKET.into()), None));
    }
    let host = context_host(&config, &name, &named_by)?;
    Ok((host, Some(format!("Docker context {name:?}"))))
}

/// `currentContext` in the CLI's config file; `None` when the file or the key is missing.
fn current_context(file: &Path) -> Result<Option<String>> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::new(
                ErrorKind::BadHost,
                format!("cannot read {}: {e}", file.display()),
                "expected a readable Docker CLI config, or DOCKER_HOST set",
            ))
        }
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            ErrorKind::BadHost,
            format!("{} is not JSON: {e}", file.display()),
            "expected the Docker CLI's config.json, or DOCKER_HOST set",
        )
    })?;
    Ok(v["currentContext"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string))
}

/// The engine endpoint of context `name` (named by `named_by`) in the store under `config`.
fn context_host(config: &Path, name: &str, named_by: &str) -> Result<Host> {
    let dir = hex(&Sha256::digest(name.as_bytes()));
    let meta = config.join("contexts/meta").join(&dir).join("meta.json");
    let bad = |what: String, expected: &str| Error::new(ErrorKind::BadHost, what, expected);
    let bytes = std::fs::read(&meta).map_err(|e| {
        bad(
            format!(
                "Docker context {name:?} ({named_by}): cannot read {}: {e}",
                meta.display()
            ),
            "expected a context `docker context ls` lists, or DOCKER_HOST set",
        )
    })?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        bad(
            format!(
                "Docker context {name:?}: {} is not JSON: {e}",
                meta.display()
            ),
            "expected the context store's meta.json",
        )
    })?;
    let endpoint = &v["Endpoints"]["docker"];
    let Some(host) = endpoint["Host"].as_str().filter(|h| !h.is_empty()) else {
        return Err(bad(
            format!(
                "Docker context {name:?}: {} has no Endpoints.docker.Host",
                meta.display()
            ),
            "expected a context with a Docker endpoint",
        ));
    };
    let tls = config.join("contexts/tls").join(&dir).join("docker");
    if host.starts_with("tcp://") && (tls.exists() || endpoint["SkipTLSVerify"] == true) {
        return Err(bad(
            format!("Docker context {name:?} reaches the engine at {host} over TLS"),
            "expected a unix:// socket or plain tcp:// (this client has no TLS), or DOCKER_HOST set",
        ));
    }
    Host::parse_address(host).ok_or_else(|| {
        bad(
            format!("Docker context {name:?} reaches the engine at {host}"),
            "expected a unix:// socket or plain tcp:// (ssh:// and npipe:// are not supported), or DOCKER_HOST set",
        )
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config directory with contexts, and the variables of a shell that uses it.
    struct Setup {
        dir: dockerflow_testkit::TempDir,
    }

    impl Setup {
        fn new() -> Setup {
            Setup {
                dir: dockerflow_testkit::TempDir::new("engine-discover"),
            }
        }

        fn config(&self) -> PathBuf {
            self.dir.path().join(".docker")
        }

        fn context(&self, name: &str, meta: &str) {
            let d = self
                .config()
                .join("contexts/meta")
                .join(hex(&Sha256::digest(name.as_bytes())));
            std::fs::create_dir_all(&d).expect("mkdir");
            std::fs::write(d.join("meta.json"), meta).expect("write");
        }

        fn current(&self, name: &str) {
            std::fs::create_dir_all(self.config()).expect("mkdir");
            std::fs::write(
                self.config().join("config.json"),
                format!(r#"{{"auths": {{}}, "currentContext": "{name}"}}"#),
            )
            .expect("write");
        }

        fn discover(&self, vars: &[(&str, &str)]) -> Result<(Host, Option<String>)> {
            let home = self.dir.path().to_string_lossy().into_owned();
            discover(&|k: &str| {
                vars.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
                    .or_else(|| (k == "HOME").then(|| home.clone()))
            })
        }
    }

    const DESKTOP: &str = r#"{"Name":"desktop-linux","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///Users/me/.docker/run/docker.sock","SkipTLSVerify":false}}}"#;

    #[test]
    fn docker_host_wins_then_docker_context_then_the_current_context() {
        let s = Setup::new();
        s.context("desktop-linux", DESKTOP);
        s.context(
            "colima",
            r#"{"Name":"colima","Endpoints":{"docker":{"Host":"unix:///Users/me/.colima/default/docker.sock"}}}"#,
        );
        // Nothing configured: the default socket.
        assert_eq!(
            s.discover(&[]).expect("default"),
            (Host::Unix(DEFAULT_SOCKET.into()), None)
        );
        s.current("desktop-linux");
        assert_eq!(
            s.discover(&[]).expect("current"),
            (
                Host::Unix("/Users/me/.docker/run/docker.sock".into()),
                Some("Docker context \"desktop-linux\"".into())
            )
        );
        let (host, _) = s.discover(&[("DOCKER_CONTEXT", "colima")]).expect("env");
        assert_eq!(
            host,
            Host::Unix("/Users/me/.colima/default/docker.sock".into())
        );
        let (host, from) = s
            .discover(&[
                ("DOCKER_CONTEXT", "colima"),
                ("DOCKER_HOST", "tcp://10.0.0.1"),
            ])
            .expect("DOCKER_HOST");
        assert_eq!(
            (host, from.as_deref()),
            (Host::Tcp("10.0.0.1:2375".into()), Some("DOCKER_HOST"))
        );
        // `default` is the default socket, whatever the store holds.
        let (host, _) = s
            .discover(&[("DOCKER_CONTEXT", "default")])
            .expect("default");
        assert_eq!(host, Host::Unix(DEFAULT_SOCKET.into()));
        // DOCKER_CONFIG moves the store.
        let elsewhere = s.dir.path().join("elsewhere");
        let (host, _) = s
            .discover(&[("DOCKER_CONFIG", elsewhere.to_str().expect("utf-8"))])
            .expect("no store");
        assert_eq!(host, Host::Unix(DEFAULT_SOCKET.into()));
    }

    #[test]
    fn a_context_that_cannot_be_used_says_which_and_why() {
        let s = Setup::new();
        let err = |vars: &[(&str, &str)]| s.discover(vars).expect_err("refused").to_string();
        let e = err(&[("DOCKER_CONTEXT", "gone")]);
        assert!(
            e.starts_with("Docker context \"gone\" (DOCKER_CONTEXT): cannot read ")
                && e.ends_with("expected a context `docker context ls` lists, or DOCKER_HOST set"),
            "{e}"
        );
        s.context(
            "remote",
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"tcp://build.example:2376","SkipTLSVerify":true}}}"#,
        );
        let e = err(&[("DOCKER_CONTEXT", "remote")]);
        assert!(
            e.contains("over TLS") && e.contains("this client has no TLS"),
            "{e}"
        );
        s.context(
            "ssh",
            r#"{"Name":"ssh","Endpoints":{"docker":{"Host":"ssh://me@build.example"}}}"#,
        );
        let e = err(&[("DOCKER_CONTEXT", "ssh")]);
        assert!(
            e.starts_with("Docker context \"ssh\" reaches the engine at ssh://me@build.example; ")
                && e.contains("ssh:// and npipe:// are not supported"),
            "{e}"
        );
        s.context("k8s", r#"{"Name":"k8s","Endpoints":{"kubernetes":{}}}"#);
        let e = err(&[("DOCKER_CONTEXT", "k8s")]);
        assert!(e.contains("has no Endpoints.docker.Host"), "{e}");
        std::fs::create_dir_all(s.config()).expect("mkdir");
        std::fs::write(s.config().join("config.json"), "{oops").expect("write");
        let e = err(&[]);
        assert!(e.contains("config.json is not JSON"), "{e}");
    }
}
