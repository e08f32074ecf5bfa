//! `version.json` (CONTRACT 1.3): written from the CI's variables, with the local git checkout
//! as the fallback, and checked against the contract's `version.schema.json` (`dockerflow-contract`).
//!
//! Where each key comes from, first match wins:
//!
//! | key | GitHub Actions | CircleCI | GitLab CI | Taskcluster | fallback |
//! |---|---|---|---|---|---|
//! | `source` | `GITHUB_SERVER_URL/GITHUB_REPOSITORY` | `CIRCLE_REPOSITORY_URL`, else `github.com/CIRCLE_PROJECT_USERNAME/CIRCLE_PROJECT_REPONAME` | `CI_PROJECT_URL` | `GITHUB_HEAD_REPO_URL`, `VCS_HEAD_REPOSITORY` | `git remote get-url origin` |
//! | `version` | `GITHUB_REF_NAME` when `GITHUB_REF_TYPE=tag` (or `GITHUB_REF=refs/tags/...`) | `CIRCLE_TAG` | `CI_COMMIT_TAG` | `GITHUB_HEAD_TAG`, `VCS_HEAD_TAG` | the tag pointing at `HEAD` |
//! | `commit` | `GITHUB_SHA` | `CIRCLE_SHA1` | `CI_COMMIT_SHA` | `GITHUB_HEAD_SHA`, `VCS_HEAD_REV` | `git rev-parse HEAD` |
//! | `build` | `GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID` | `CIRCLE_BUILD_URL` | `CI_JOB_URL` | `TASKCLUSTER_ROOT_URL/tasks/TASK_ID` | `BUILD_URL`, else empty |
//!
//! `version` is never a branch name: GitHub's `GITHUB_REF_NAME` names the branch on non-tag
//! builds (the trap peers fall into), so it is read only on tag builds. On other builds
//! `version` is the given `--version-string`, else empty. Explicit options override every
//! source. URLs lose any `user:password@` part, and `git@host:owner/repo.git` remotes become
//! `https://host/owner/repo`.
//!
//! The git fallback runs the `git` program (not a reimplementation of `.git`'s formats:
//! packed refs, worktrees, `safe.directory` and annotated tags are git's business), and only
//! for the keys the CI did not provide.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use dockerflow_contract::secrets::url_userinfos;
use serde_json::Value;

pub use crate::error::VersionError;
use crate::error::{Error, ErrorKind};

/// The four keys of a version object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionObject {
    /// URL of the source repository.
    pub source: String,
    /// The release tag on tag builds, else a given string or empty.
    pub version: String,
    /// The git commit hash.
    pub commit: String,
    /// URL of the CI job that built it.
    pub build: String,
}

impl VersionObject {
    /// The file's bytes: an object with the keys in the contract's order, two-space indents,
    /// a final newline. The same object always gives the same bytes (they go into images).
    pub fn to_json(&self) -> String {
        let s = |v: &str| Value::String(v.to_string()).to_string();
        format!(
            "{{\n  \"source\": {},\n  \"version\": {},\n  \"commit\": {},\n  \"build\": {}\n}}\n",
            s(&self.source),
            s(&self.version),
            s(&self.commit),
            s(&self.build)
        )
    }
}

/// The CI a build runs in, recognised from its marker variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// `GITHUB_ACTIONS=true`.
    GitHubActions,
    /// `CIRCLECI=true`.
    CircleCi,
    /// `GITLAB_CI=true`.
    GitLabCi,
    /// `TASK_ID` and `TASKCLUSTER_ROOT_URL` set.
    Taskcluster,
    /// None of the above: the git checkout only.
    Local,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::GitHubActions => "GitHub Actions",
            Provider::CircleCi => "CircleCI",
            Provider::GitLabCi => "GitLab CI",
            Provider::Taskcluster => "Taskcluster",
            Provider::Local => "local git checkout",
        })
    }
}

/// An environment to read variables from: the process's, or a map in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as an [`Env`].
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Explicit values, which win over the CI and git.
#[derive(Debug, Clone, Default)]
pub struct VersionOptions {
    /// `version` on non-tag builds (`--version-string`).
    pub version_string: Option<String>,
    /// Overrides `source`.
    pub source: Option<String>,
    /// Overrides `commit`.
    pub commit: Option<String>,
    /// Overrides `build`.
    pub build: Option<String>,
    /// The checkout for the git fallback (default: the current directory).
    pub git_dir: Option<PathBuf>,
}

/// A generated version object, where it came from, and anything worth telling the user.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The object.
    pub object: VersionObject,
    /// The CI recognised.
    pub provider: Provider,
    /// Remarks (a key left empty, a value taken from git), one line each.
    pub notes: Vec<String>,
}

/// Which CI `env` belongs to.
pub fn detect(env: Env<'_>) -> Provider {
    let is_true = |k: &str| env(k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if is_true("GITHUB_ACTIONS") {
        Provider::GitHubActions
    } else if is_true("CIRCLECI") {
        Provider::CircleCi
    } else if is_true("GITLAB_CI") {
        Provider::GitLabCi
    } else if nonempty(env, "TASK_ID").is_some() && nonempty(env, "TASKCLUSTER_ROOT_URL").is_some()
    {
        Provider::Taskcluster
    } else {
        Provider::Local
    }
}

fn nonempty(env: Env<'_>, key: &str) -> Option<String> {
    env(key).filter(|v| !v.is_empty())
}

/// What a CI says about the build; `None` where it says nothing.
#[derive(Debug, Default)]
struct Facts {
    source: Option<String>,
    tag: Option<String>,
    commit: Option<String>,
    build: Option<String>,
}

fn ci_facts(provider: Provider, env: Env<'_>) -> Facts {
    let get = |k: &str| nonempty(env, k);
    let first = |keys: &[&str]| keys.iter().find_map(|k| get(k));
    match provider {
        Provider::GitHubActions => {
            let server = get("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
            let server = server.trim_end_matches('/');
            let repo = get("GITHUB_REPOSITORY");
            let is_tag = get("GITHUB_REF_TYPE").as_deref() == Some("tag")
                || get("GITHUB_REF").is_some_and(|r| r.starts_with("refs/tags/"));
            let tag = if is_tag {
                get("GITHUB_REF_NAME").or_else(|| {
                    get("GITHUB_REF").and_then(|r| r.strip_prefix("refs/tags/").map(str::to_owned))
                })
            } else {
                None
            };
            Facts {
                source: repo.as_ref().map(|r| format!("{server}/{r}")),
                tag,
                commit: get("GITHUB_SHA"),
                build: match (&repo, get("GITHUB_RUN_ID")) {
                    (Some(r), Some(id)) => Some(format!("{server}/{r}/actions/runs/{id}")),
                    _ => None,
                },
            }
        }
        Provider::CircleCi => Facts {
            source: get("CIRCLE_REPOSITORY_URL").or_else(|| {
                match (
                    get("CIRCLE_PROJECT_USERNAME"),
                    get("CIRCLE_PROJECT_REPONAME"),
                ) {
                    (Some(u), Some(r)) => Some(format!("https://github.com/{u}/{r}")),
                    _ => None,
                }
            }),
            tag: get("CIRCLE_TAG"),
            commit: get("CIRCLE_SHA1"),
            build: get("CIRCLE_BUILD_URL"),
        },
        Provider::GitLabCi => Facts {
            source: get("CI_PROJECT_URL"),
            tag: get("CI_COMMIT_TAG"),
            commit: get("CI_COMMIT_SHA"),
            build: get("CI_JOB_URL"),
        },
        Provider::Taskcluster => Facts {
            source: first(&["GITHUB_HEAD_REPO_URL", "VCS_HEAD_REPOSITORY"]),
            tag: first(&["GITHUB_HEAD_TAG", "VCS_HEAD_TAG"]),
            commit: first(&["GITHUB_HEAD_SHA", "VCS_HEAD_REV"]),
            build: match (get("TASKCLUSTER_ROOT_URL"), get("TASK_ID")) {
                (Some(root), Some(id)) => {
                    Some(format!("{}/tasks/{id}", root.trim_end_matches('/')))
                }
                _ => None,
            },
        },
        Provider::Local => Facts::default(),
    }
}

/// Runs `git -C DIR ARGS`; `None` when git is missing, fails or prints nothing.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// A repository URL as people open it: no credentials, `https://` for scp-style SSH remotes,
/// no `.git` suffix.
pub fn normalize_source(url: &str) -> String {
    let url = url.trim();
    let https = if let Some(rest) = url.strip_prefix("git@") {
        // git@github.com:owner/repo.git
        match rest.split_once(':') {
            Some((host, path)) => format!("https://{host}/{}", path.trim_start_matches('/')),
            None => url.to_string(),
        }
    } else if let Some(rest) = url.strip_prefix("ssh://git@") {
        format!("https://{rest}")
    } else {
        url.to_string()
    };
    let without_credentials = normalize_url(&https);
    without_credentials
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .to_string()
}

/// Writes the version object for this build: CI variables from `env`, git for what they lack,
/// `options` over both.
///
/// # Errors
///
/// When no commit can be found (no CI variable, no git checkout, no `--commit`): a version
/// object without its commit would make `/__version__` lie.
pub fn generate(env: Env<'_>, options: &VersionOptions) -> Result<Generated, VersionError> {
    let provider = detect(env);
    let facts = ci_facts(provider, env);
    let dir = options
        .git_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let mut notes = Vec::new();
    let from_git = |what: &str, args: &[&str], notes: &mut Vec<String>| {
        let v = git(&dir, args);
        if v.is_some() && provider != Provider::Local {
            notes.push(format!(
                "{what} taken from the git checkout ({provider} did not set it)"
            ));
        }
        v
    };

    let commit = match options.commit.clone().or(facts.commit) {
        Some(c) => c,
        None => from_git("commit", &["rev-parse", "HEAD"], &mut notes).ok_or_else(|| {
            Error::new(
                ErrorKind::Version,
                format!(
                    "no commit for version.json: {} did not set one and {} is not a git checkout \
                 (or git is not installed); expected a CI environment, a checkout, or --commit",
                    provider,
                    dir.display()
                ),
            )
        })?,
    };
    let source = match options.source.clone().or(facts.source) {
        Some(s) => normalize_source(&s),
        None => {
            match from_git("source", &["remote", "get-url", "origin"], &mut notes) {
                Some(s) => normalize_source(&s),
                None => {
                    notes.push("source is empty: no CI variable, no git remote `origin`; pass --source URL".into());
                    String::new()
                }
            }
        }
    };
    let tag = match provider {
        Provider::Local => {
            if options.commit.is_some() {
                None
            } else {
                git(&dir, &["describe", "--tags", "--exact-match", "HEAD"])
            }
        }
        _ => facts.tag,
    };
    let version = tag
        .or_else(|| options.version_string.clone())
        .unwrap_or_default();
    let build = match options
        .build
        .clone()
        .or(facts.build)
        .or_else(|| nonempty(env, "BUILD_URL"))
    {
        Some(b) => normalize_url(&b),
        None => {
            notes.push(format!(
                "build is empty: {provider} gives no job URL; pass --build-url URL or set BUILD_URL"
            ));
            String::new()
        }
    };
    Ok(Generated {
        object: VersionObject {
            source,
            version,
            commit,
            build,
        },
        provider,
        notes,
    })
}

/// Removes credentials from a URL (CI job URLs have none, but a user-given one might): the
/// user-info (`user:password@`) the contract's `url_userinfos` finds in it (the one reading of a
/// URL's credentials, shared with the checker, `ci`'s masking and the library's redaction).
fn normalize_url(url: &str) -> String {
    match url_userinfos(url).next() {
        // The user-info of the URL the text starts with, not of one in its query.
        Some(u) if url.find("://").map(|i| i + 3) == Some(u.userinfo.start) => {
            format!("{}{}", &url[..u.userinfo.start], &url[u.userinfo.end + 1..])
        }
        _ => url.to_string(),
    }
}

/// What is wrong with a version.json: errors break the contract (MUST), warnings do not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckResult {
    /// Contract violations, one line each, naming the key.
    pub errors: Vec<String>,
    /// `source` or `build` not an absolute URL.
    pub warnings: Vec<String>,
}

impl CheckResult {
    /// Whether the file is a valid version object.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Whether `s` is an absolute URL: a scheme (`[A-Za-z][A-Za-z0-9+.-]*`), `:`, and something after.
pub fn is_absolute_url(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, rest)) => {
            scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                && !rest.is_empty()
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Checks a version.json's bytes with the contract's rules: JSON, an object, the four keys as
/// strings (`dockerflow_contract::Schema::Version`), `commit` 7-64 hex; `source` and `build` absolute
/// URLs (warnings).
pub fn check_version_json(bytes: &[u8]) -> CheckResult {
    let mut result = CheckResult::default();
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            result.errors.push(format!(
                "not JSON: {e}; expected an object with string keys source, version, commit and build"
            ));
            return result;
        }
    };
    for error in dockerflow_contract::Schema::Version
        .validator()
        .iter_errors(&value)
    {
        let path = error.instance_path().to_string();
        let at = if path.is_empty() {
            "the document".to_string()
        } else {
            format!("key {}", path.trim_start_matches('/'))
        };
        result.errors.push(format!("{at}: {error}"));
    }
    if let Some(object) = value.as_object() {
        for key in ["source", "build"] {
            if let Some(Value::String(s)) = object.get(key) {
                if !is_absolute_url(s) {
                    result.warnings.push(format!(
                        "key {key}: {s:?} is not an absolute URL (expected e.g. https://...)"
                    ));
                }
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn options() -> VersionOptions {
        VersionOptions {
            // A directory that is no git checkout, so git adds nothing.
            git_dir: Some(PathBuf::from("/")),
            ..VersionOptions::default()
        }
    }

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn github_branch_build_never_uses_the_branch_name() {
        let env = env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_SHA", SHA),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_REF_TYPE", "branch"),
        ]);
        let g = generate(&env, &options()).unwrap();
        assert_eq!(g.provider, Provider::GitHubActions);
        assert_eq!(
            g.object,
            VersionObject {
                source: "https://github.com/o/r".into(),
                version: String::new(),
                commit: SHA.into(),
                build: "https://github.com/o/r/actions/runs/42".into(),
            }
        );
    }

    #[test]
    fn sources_are_normalised_and_lose_credentials() {
        assert_eq!(
            normalize_source("git@github.com:o/r.git"),
            "https://github.com/o/r"
        );
        assert_eq!(
            normalize_source("https://user:secret@gitlab.example/g/r.git"),
            "https://gitlab.example/g/r"
        );
        assert_eq!(
            normalize_source("https://github.com/o/r/"),
            "https://github.com/o/r"
        );
        assert_eq!(
            normalize_url("https://t:k@ci.example/job/1"),
            "https://ci.example/job/1"
        );
    }

    #[test]
    fn no_commit_anywhere_is_an_error_naming_the_way_out() {
        let env = env_of(&[]);
        let e = generate(&env, &options()).unwrap_err();
        assert!(e.context().contains("--commit"), "{e}");
    }

    #[test]
    fn check_reports_each_problem() {
        let ok = VersionObject {
            source: "https://github.com/o/r".into(),
            version: "v1".into(),
            commit: SHA.into(),
            build: "https://ci.example/1".into(),
        };
        assert_eq!(
            check_version_json(ok.to_json().as_bytes()),
            CheckResult::default()
        );
        let r = check_version_json(br#"{"source":"here","version":1,"commit":"xyz"}"#);
        assert_eq!(r.errors.len(), 3, "{r:?}");
        assert!(r.errors.iter().any(|e| e.contains("build")), "{r:?}");
        assert!(
            r.errors.iter().any(|e| e.starts_with("key version")),
            "{r:?}"
        );
        assert!(
            r.errors.iter().any(|e| e.starts_with("key commit")),
            "{r:?}"
        );
        assert_eq!(r.warnings.len(), 1, "{r:?}");
        assert!(!check_version_json(b"{,").is_valid());
        assert!(!check_version_json(b"[]").is_valid());
    }
}
