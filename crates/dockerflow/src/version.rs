//! `/__version__` (CONTRACT 1.2, 1.3): version.json, read and validated once at start-up and
//! served byte for byte.
//!
//! Two kinds of problems, deliberately treated differently:
//! - *unusable* (missing file, not JSON, not an object, one of `source`, `version`, `commit`,
//!   `build` missing or not a string): `/__version__` answers 404 with `{"error": "..."}`
//!   naming the path and the reason;
//! - *questionable* (`commit` not 7-64 hex characters, `source` or `build` not an absolute URL):
//!   the bytes are still served (they still identify the build), and the heartbeat warns.
//!
//! Either way a warning is logged at start-up and the heartbeat's `version` check reports a
//! warning, so a broken build identity is visible without failing the service.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::heartbeat::{Level, Message};

/// Where version.json is looked for when `DOCKERFLOW_VERSION_FILE` is not set.
pub const DEFAULT_PATH: &str = "/app/version.json";

/// The four keys every version object must have (CONTRACT 1.3).
pub const REQUIRED_KEYS: [&str; 4] = ["source", "version", "commit", "build"];

/// The version file as loaded at start-up.
#[derive(Debug, Clone)]
pub struct VersionFile {
    path: PathBuf,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    /// Served with 200; `warnings` are questionable-but-usable findings.
    Usable { bytes: Bytes, warnings: Vec<String> },
    /// Served as 404 with this reason.
    Unusable { id: &'static str, reason: String },
}

impl VersionFile {
    /// Finds and loads version.json: `explicit` when given (`DOCKERFLOW_VERSION_FILE`), else
    /// `/app/version.json`, else `./version.json` when `/app/version.json` does not exist.
    pub fn locate(explicit: Option<&Path>) -> VersionFile {
        if let Some(path) = explicit {
            return VersionFile::load(path);
        }
        let default = Path::new(DEFAULT_PATH);
        let local = Path::new("version.json");
        if !default.exists() && local.exists() {
            return VersionFile::load(local);
        }
        VersionFile::load(default)
    }

    /// Loads and validates the file at `path`.
    pub fn load(path: &Path) -> VersionFile {
        let path = path.to_path_buf();
        let state = match std::fs::read(&path) {
            Ok(bytes) => VersionFile::validate(Bytes::from(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::Unusable {
                id: "dockerflow.version.W001",
                reason: "version.json is missing".to_owned(),
            },
            Err(e) => State::Unusable {
                id: "dockerflow.version.W001",
                reason: format!("version.json cannot be read: {e}"),
            },
        };
        VersionFile { path, state }
    }

    /// Validates bytes as a version object (for tests and for callers with their own source).
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: impl Into<Bytes>) -> VersionFile {
        VersionFile {
            path: path.into(),
            state: VersionFile::validate(bytes.into()),
        }
    }

    fn validate(bytes: Bytes) -> State {
        let unusable = |reason: String| State::Unusable {
            id: "dockerflow.version.W002",
            reason,
        };
        let value: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => return unusable(format!("version.json is not valid JSON: {e}")),
        };
        let Some(object) = value.as_object() else {
            return unusable("version.json is not a JSON object".to_owned());
        };
        let mut problems = Vec::new();
        for key in REQUIRED_KEYS {
            match object.get(key) {
                None => problems.push(format!("key \"{key}\" is missing")),
                Some(v) if !v.is_string() => {
                    problems.push(format!("key \"{key}\" is not a string"))
                }
                Some(_) => {}
            }
        }
        if !problems.is_empty() {
            return unusable(format!(
                "version.json does not have the four string keys source, version, commit, build: {}",
                problems.join(", ")
            ));
        }
        let text = |key: &str| object.get(key).and_then(|v| v.as_str()).unwrap_or_default();
        let mut warnings = Vec::new();
        let commit = text("commit");
        if !(7..=64).contains(&commit.len()) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            warnings.push(format!(
                "\"commit\" is {commit:?}: expected a git commit hash of 7 to 64 hex characters"
            ));
        }
        for key in ["source", "build"] {
            if !is_absolute_url(text(key)) {
                warnings.push(format!(
                    "\"{key}\" is {:?}: expected an absolute URL",
                    text(key)
                ));
            }
        }
        State::Usable { bytes, warnings }
    }

    /// The path the file was read from (or looked for).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes to serve, when the file is usable.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.state {
            State::Usable { bytes, .. } => Some(bytes),
            State::Unusable { .. } => None,
        }
    }

    /// Why `/__version__` answers 404, when it does.
    pub fn unusable_reason(&self) -> Option<String> {
        match &self.state {
            State::Usable { .. } => None,
            State::Unusable { reason, .. } => Some(format!("{reason} ({})", self.path.display())),
        }
    }

    /// The messages the heartbeat's `version` check reports: empty when all is well.
    pub fn messages(&self) -> Vec<Message> {
        match &self.state {
            State::Usable { warnings, .. } => warnings
                .iter()
                .map(|w| {
                    Message::new(
                        Level::Warning,
                        "dockerflow.version.W003",
                        format!("{w} ({})", self.path.display()),
                    )
                })
                .collect(),
            State::Unusable { id, reason } => {
                vec![Message::new(
                    Level::Warning,
                    *id,
                    format!("{reason} ({})", self.path.display()),
                )]
            }
        }
    }
}

fn is_absolute_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    scheme_ok && !host.is_empty() && !s.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"source":"https://github.com/mozilla-services/dockerflow","version":"v1.0.0","commit":"8f8771bde1a4c52b8e0e1a3c6e9d1c1e1f0e2a3b","build":"https://ci.example.com/job/1"}"#;

    #[test]
    fn good_file_is_served_verbatim() {
        let spaced = format!("{}\n", GOOD.replace(',', ",\n  "));
        let v = VersionFile::from_bytes("/app/version.json", spaced.clone());
        assert_eq!(v.bytes().unwrap().as_ref(), spaced.as_bytes());
        assert!(v.messages().is_empty());
        assert!(v.unusable_reason().is_none());
    }

    #[test]
    fn extra_keys_and_empty_version_are_fine() {
        let v = VersionFile::from_bytes(
            "x",
            GOOD.replace("\"v1.0.0\"", "\"\"")
                .replace('}', r#","tag":"x"}"#),
        );
        assert!(v.bytes().is_some());
        assert!(v.messages().is_empty(), "{:?}", v.messages());
    }

    #[test]
    fn unusable_files() {
        for (bytes, needle) in [
            ("not json", "not valid JSON"),
            ("[1,2]", "not a JSON object"),
            (
                r#"{"source":"https://x.y","version":"","commit":"abcdef0"}"#,
                "\"build\" is missing",
            ),
            (
                r#"{"source":"https://x.y","version":1,"commit":"abcdef0","build":"https://b"}"#,
                "\"version\" is not a string",
            ),
        ] {
            let v = VersionFile::from_bytes("/app/version.json", bytes);
            assert!(v.bytes().is_none(), "{bytes}");
            let reason = v.unusable_reason().unwrap();
            assert!(
                reason.contains(needle) && reason.contains("/app/version.json"),
                "{reason}"
            );
            assert_eq!(v.messages()[0].level, Level::Warning);
        }
    }

    #[test]
    fn questionable_values_are_served_with_warnings() {
        // The reference app's stub, plus a build key.
        let v = VersionFile::from_bytes(
            "x",
            r#"{"source":"https://github.com/mozilla-services/dockerflow","version":"stub","commit":"none. stub","build":"local"}"#,
        );
        assert!(v.bytes().is_some());
        let texts: Vec<String> = v.messages().into_iter().map(|m| m.text).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].contains("commit"));
        assert!(texts[1].contains("build"));
    }

    #[test]
    fn missing_file() {
        let v = VersionFile::load(Path::new("/nonexistent/dir/version.json"));
        assert!(v.unusable_reason().unwrap().contains("missing"));
        assert_eq!(v.messages()[0].id, "dockerflow.version.W001");
    }

    #[test]
    fn urls() {
        assert!(is_absolute_url("https://github.com/x/y"));
        assert!(is_absolute_url("git+ssh://host/x"));
        assert!(!is_absolute_url("github.com/x"));
        assert!(!is_absolute_url("https://"));
        assert!(!is_absolute_url("local"));
    }
}
