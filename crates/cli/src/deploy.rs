//! `dockerflow check url URL --expect-commit SHA [--expect-version V] --wait DURATION`: a
//! deploy verified from outside (CONTRACT.md section 3). `/__version__` is polled until it
//! answers the commit that was deployed, then `/__heartbeat__` until it answers 200, both
//! within one deadline. Exit 0 when both hold; 1 when the deadline passes first (saying what
//! the service answered last); 2 when nothing answered at all.
//!
//! A commit matches when one of the expected and the served commit is a prefix of the other
//! (case-insensitive), so a short SHA from `git rev-parse --short` matches a service that
//! serves the full one, and the other way round; `--expect-commit` takes at least 7 hex digits,
//! git's own shortest abbreviation, and a served commit shorter than 7 never matches.
//!
//! Each change in what the service answers is one line on stderr (a deploy log in CI reads
//! as a history); on a terminal a live line also counts the seconds in between. The verdict
//! is one line on stdout.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use dockerflow_http::{fetch, HttpUrl};

use crate::cli::UrlArgs;
use crate::fatal::{refused, Fatal};
use crate::{one_line, say};

/// The shortest abbreviation of a commit accepted on either side.
const MIN_PREFIX: usize = 7;
/// The first pause between polls, and the longest (the pause grows by a quarter each time).
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// A request never gets less than this, even when the deadline is nearer (so `--wait 0`
/// still makes one real try).
const MIN_REQUEST: Duration = Duration::from_secs(1);
const BODY_LIMIT: usize = 1 << 20;

/// What one poll saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Nothing answered: the reason.
    Nothing(String),
    /// `/__version__` answered, but not a version object with a commit: what it was.
    NoCommit(String),
    /// `/__version__` answered this commit and version.
    Commit {
        commit: String,
        version: Option<String>,
    },
    /// The right commit (as served), and `/__heartbeat__` answered this (not 200).
    Heartbeat { commit: String, what: String },
    /// The right commit (as served), and `/__heartbeat__` answered 200.
    Deployed { commit: String },
}

/// Verifies the deploy at `args.url` (`args.expect_commit` is set).
pub(crate) fn verify(args: &UrlArgs, expected: &str) -> Result<ExitCode, Fatal> {
    let url = HttpUrl::parse(&args.url).map_err(|e| refused(format!("cannot check url {e}")))?;
    let wait = args.wait.unwrap_or(Duration::ZERO);
    let timeout = args.timeout.unwrap_or(Duration::from_secs(10));
    let want = Want {
        commit: expected,
        version: args.expect_version.as_deref(),
    };
    let started = Instant::now();
    let deadline = started + wait;
    let live = say::live_stderr();
    let mut pause = FIRST_PAUSE;
    let mut last: Option<Seen> = None;
    let mut answered = false;
    loop {
        let seen = poll(&url, &want, timeout, deadline);
        answered |= !matches!(seen, Seen::Nothing(_));
        let elapsed = started.elapsed().as_secs();
        if last.as_ref() != Some(&seen) {
            if live {
                let _ = write!(io::stderr().lock(), "\r\x1b[2K");
            }
            say::err(&format!("{elapsed:>4} s  {}", describe(&seen, &want)));
            last = Some(seen.clone());
        } else if live {
            let mut e = io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K{elapsed:>4} s  {}", describe(&seen, &want));
            let _ = e.flush();
        }
        if let Seen::Deployed { commit } = &seen {
            if live {
                let _ = write!(io::stderr().lock(), "\r\x1b[2K");
            }
            let version = want
                .version
                .map_or(String::new(), |v| format!(", version {v}"));
            say::out(&format!(
                "deployed: {} answers commit {commit}{version} and /__heartbeat__ 200 (after {} s)",
                args.url,
                started.elapsed().as_secs()
            ));
            return Ok(ExitCode::SUCCESS);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(pause.min(left));
        pause = (pause + pause / 4).min(MAX_PAUSE);
    }
    if live {
        let _ = write!(io::stderr().lock(), "\r\x1b[2K");
    }
    let waited = wait.as_secs_f64();
    let last = last.unwrap_or(Seen::Nothing(String::new()));
    if !answered {
        let Seen::Nothing(why) = &last else {
            unreachable!("nothing answered")
        };
        return Err(refused(format!(
            "cannot verify the deploy at {} within {waited} s (--wait): {why}",
            args.url
        )));
    }
    let wanted = match want.version {
        Some(v) => format!("commit {expected} and version {v}"),
        None => format!("commit {expected}"),
    };
    say::out(&format!(
        "not deployed within {waited} s (--wait): expected {wanted}, but {}",
        describe(&last, &want)
    ));
    Ok(ExitCode::from(1))
}

/// What the deploy must show.
struct Want<'a> {
    commit: &'a str,
    version: Option<&'a str>,
}

impl Want<'_> {
    fn matches(&self, commit: &str, version: Option<&str>) -> bool {
        let served = commit.to_ascii_lowercase();
        let common = served.len().min(self.commit.len());
        let commit_ok = common >= MIN_PREFIX
            && (served.starts_with(self.commit) || self.commit.starts_with(&served));
        commit_ok && self.version.is_none_or(|v| version == Some(v))
    }
}

/// One poll: `/__version__`, and `/__heartbeat__` when the version is right; each request
/// bounded by `timeout` and the deadline (but [`MIN_REQUEST`] at least).
fn poll(url: &HttpUrl, want: &Want, timeout: Duration, deadline: Instant) -> Seen {
    let timeout = || {
        let left = deadline.saturating_duration_since(Instant::now());
        timeout.min(left.max(MIN_REQUEST))
    };
    let version = match get(url, "/__version__", timeout()) {
        Err(e) => return Seen::Nothing(e),
        Ok(x) => x,
    };
    let (status, body) = version;
    if status != 200 {
        return Seen::NoCommit(format!("/__version__ answered {status}"));
    }
    let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(&body)
    else {
        return Seen::NoCommit("/__version__ answered a body that is not a JSON object".into());
    };
    let Some(commit) = o.get("commit").and_then(|c| c.as_str()) else {
        return Seen::NoCommit("/__version__ answered no \"commit\" string".into());
    };
    let version = o
        .get("version")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let commit = one_line(commit);
    if !want.matches(&commit, version.as_deref()) {
        return Seen::Commit {
            commit,
            version: version.map(|v| one_line(&v)),
        };
    }
    let heartbeat = |what: String| Seen::Heartbeat {
        commit: commit.clone(),
        what,
    };
    match get(url, "/__heartbeat__", timeout()) {
        Err(e) => heartbeat(format!("no answer: {e}")),
        Ok((200, _)) => Seen::Deployed { commit },
        Ok((status, body)) => {
            let body = String::from_utf8_lossy(&body);
            let mut excerpt = one_line(&body);
            if excerpt.len() > 200 {
                let mut end = 200;
                while !excerpt.is_char_boundary(end) {
                    end -= 1;
                }
                excerpt.truncate(end);
                excerpt.push_str("...");
            }
            heartbeat(
                format!("answered {status} {excerpt}")
                    .trim_end()
                    .to_string(),
            )
        }
    }
}

/// The line that says what a poll saw.
fn describe(seen: &Seen, want: &Want) -> String {
    match seen {
        Seen::Nothing(why) => why.clone(),
        Seen::NoCommit(what) => what.clone(),
        Seen::Commit { commit, version } => {
            let version = match (want.version, version) {
                (None, _) => String::new(),
                (Some(_), Some(v)) => format!(", version {v}"),
                (Some(_), None) => ", no version".to_string(),
            };
            format!("/__version__ answers commit {commit}{version}")
        }
        Seen::Heartbeat { commit, what } => {
            format!("/__version__ answers commit {commit}; /__heartbeat__ {what}")
        }
        Seen::Deployed { commit } => {
            format!("/__version__ answers commit {commit}, /__heartbeat__ 200")
        }
    }
}

/// `GET base+path`: the status and body, or why nothing answered (in `check url`'s words).
fn get(url: &HttpUrl, path: &str, timeout: Duration) -> Result<(u16, Vec<u8>), String> {
    match fetch(url, "GET", path, &[], timeout, BODY_LIMIT) {
        Ok(x) => Ok((x.status, x.body)),
        Err(e) if e.is_unreachable() => Err(crate::url::no_answer(&e)),
        Err(e) => Err(format!(
            "{path} from {}: {}",
            e.authority(),
            one_line(&e.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_matches_by_prefix_of_at_least_seven_digits() {
        let full = "0123456789abcdef0123456789abcdef01234567";
        let short = Want {
            commit: "0123456",
            version: None,
        };
        assert!(short.matches(full, None));
        assert!(short.matches("0123456", None));
        assert!(short.matches(&full.to_ascii_uppercase(), None));
        assert!(!short.matches("012345", None), "a 6-digit served commit");
        assert!(!short.matches("1123456789", None));
        let long = Want {
            commit: full,
            version: None,
        };
        assert!(long.matches("0123456789", None), "served short");
        assert!(!long.matches("0123456789b", None));
        let versioned = Want {
            commit: "0123456",
            version: Some("v2.0.0"),
        };
        assert!(versioned.matches(full, Some("v2.0.0")));
        assert!(!versioned.matches(full, Some("v1.9.0")));
        assert!(!versioned.matches(full, None));
    }
}
