//! Area 4: version.json and the OCI labels.

use dockerflow_oci::ErrorKind;
use serde_json::Value;

use crate::model::{ContextState, DockerfileModel, ImageModel, VERSION_JSON};
use crate::rules::program::{landings, under};
use crate::{Judgement, Location, Profile};

const LABELS: [&str; 3] = [
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.version",
];

/// For rules about what CI writes into the built image.
pub(crate) fn built_image_only(_: &DockerfileModel, _: Profile) -> Judgement {
    Judgement::skipped(
        "version.json is written at build time, not in the Dockerfile; check the image",
        "",
    )
}

/// The parsed version.json, or why there is none.
enum VersionJson {
    Missing(String),
    Invalid(String),
    Valid(Value),
}

fn version_json(m: &ImageModel) -> (VersionJson, Location) {
    let stat = m.vfs.stat(VERSION_JSON);
    let layer = stat.as_ref().ok().map(|e| e.layer);
    // Only a path that leads nowhere is missing: a symlink loop cannot be read.
    let missing = matches!(&stat, Err(e) if matches!(e.kind(), ErrorKind::NotFound { .. }));
    let at = Location::file(VERSION_JSON, layer);
    let bytes = match m.vfs.read(VERSION_JSON) {
        Ok(b) => b,
        Err(_) if missing => {
            return (
                VersionJson::Missing(format!("{VERSION_JSON} does not exist")),
                at,
            )
        }
        Err(e) => {
            return (
                VersionJson::Invalid(format!("{VERSION_JSON} cannot be read: {e}")),
                at,
            )
        }
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return (
                VersionJson::Invalid(format!("{VERSION_JSON} is not JSON: {e}")),
                at,
            )
        }
    };
    // The contract's schema for the version object: the checker judges from the contract,
    // never from the service library.
    let errors = dockerflow_contract::Schema::Version.errors(&value);
    if errors.is_empty() {
        (VersionJson::Valid(value), at)
    } else {
        (VersionJson::Invalid(errors.join("; ")), at)
    }
}

pub(crate) fn version_json_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "/app/version.json: a JSON object with string keys source, version, commit (7-64 hex) and build (crates/contract/schemas/version.schema.json)";
    match version_json(m) {
        (VersionJson::Valid(v), at) => Judgement::pass(
            format!(
                "valid version object (commit {})",
                v.get("commit").and_then(Value::as_str).unwrap_or("")
            ),
            EXPECTED,
            at,
        ),
        (VersionJson::Missing(why), _) => Judgement::broken(why, EXPECTED, Location::default()),
        (VersionJson::Invalid(why), at) => Judgement::broken(why, EXPECTED, at),
    }
}

/// DF401 from a Dockerfile: judged when the file decides. A `COPY`/`ADD` landing on
/// /app/version.json puts it there (its contents are CI's: the image shows them); with no
/// instruction that could (no such copy, no directory or wildcard copied into /app, no `RUN`
/// naming version.json), it is missing.
pub(crate) fn version_json_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "a COPY or ADD of version.json (written by CI) to /app/version.json";
    let f = &m.facts;
    let exact = f
        .copies
        .iter()
        .rev()
        .find(|c| landings(c).iter().any(|p| p == VERSION_JSON));
    if let Some(c) = exact {
        let what = match c.sources.iter().find(|s| s.starts_with("<<")) {
            Some(_) => "a heredoc".to_string(),
            None => c.sources.join(" "),
        };
        return Judgement::pass(
            format!(
                "{} {what} to {VERSION_JSON} at line {}",
                c.keyword, c.span.line
            ),
            EXPECTED,
            m.at(c.span.line),
        );
    }
    // The whole build context copied to /app: when it was read, it says whether version.json
    // is in it.
    let read = match &m.context {
        ContextState::Read(context) => Some(context),
        _ => None,
    };
    let whole_context = |c: &dockerflow_dockerfile::CopyFact| {
        c.from.is_none()
            && c.sources
                .iter()
                .all(|s| matches!(s.trim_end_matches('/'), "." | "" | "./"))
            && landings(c).iter().any(|p| p == "/app")
    };
    if read.is_some_and(|c| c.has_version_json) {
        if let Some(c) = f.copies.iter().rev().find(|c| whole_context(c)) {
            return Judgement::pass(
                format!(
                    "{} at line {} copies the build context's version.json to {VERSION_JSON}",
                    c.keyword, c.span.line
                ),
                EXPECTED,
                m.at(c.span.line),
            );
        }
    }
    // A directory, the context or a wildcard copied to /app (or above it) may hold it; a
    // context read without version.json at its root does not.
    let maybe = f.copies.iter().find(|c| {
        if read.is_some() && whole_context(c) {
            return false;
        }
        c.sources.iter().zip(landings(c)).any(|(s, p)| {
            let name = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
            let dir_like = s.ends_with('/') || !name.contains('.') || name == ".";
            (dir_like && under(VERSION_JSON, &p) && p != VERSION_JSON)
                || (s.contains(['*', '?', '[']) && under(&p, "/app"))
        })
    });
    if let Some(c) = maybe {
        return Judgement::skipped(
            format!(
                "{} at line {} copies {} into {}, which may hold version.json; check the image",
                c.keyword,
                c.span.line,
                c.sources.join(" "),
                c.path
            ),
            EXPECTED,
        );
    }
    let run = f.runs.iter().find(|r| {
        let text = match &r.command {
            dockerflow_dockerfile::Command::Shell(s) => s.clone(),
            dockerflow_dockerfile::Command::Exec(v) => v.join(" "),
        };
        text.contains("version.json") || r.heredocs.iter().any(|h| h.body.contains("version.json"))
    });
    if let Some(r) = run {
        return Judgement::skipped(
            format!(
                "the RUN at line {} writes version.json; check the image",
                r.span.line
            ),
            EXPECTED,
        );
    }
    let context_note = match (read, f.copies.iter().find(|c| whole_context(c))) {
        (Some(context), Some(c)) => format!(
            " ({} at line {} copies the build context {}, which has no version.json)",
            c.keyword,
            c.span.line,
            context.dir.display()
        ),
        _ => String::new(),
    };
    Judgement::broken(
        format!("no COPY, ADD or RUN puts {VERSION_JSON} in the image{context_note}"),
        EXPECTED,
        m.here(),
    )
}

/// An absolute URL: a scheme, `://`, and a host, with no blanks.
pub(crate) fn is_absolute_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !s.chars().any(char::is_whitespace)
}

pub(crate) fn version_urls_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "source and build are absolute URLs (https://...)";
    let (v, at) = match version_json(m) {
        (VersionJson::Valid(v), at) => (v, at),
        _ => return Judgement::skipped("no valid version.json (see DF401)", EXPECTED),
    };
    let bad: Vec<String> = ["source", "build"]
        .iter()
        .filter_map(|k| {
            let s = v.get(*k).and_then(Value::as_str).unwrap_or("");
            (!is_absolute_url(s)).then(|| format!("{k} {s:?} is not an absolute URL"))
        })
        .collect();
    if bad.is_empty() {
        Judgement::pass("source and build are absolute URLs", EXPECTED, at)
    } else {
        Judgement::broken(bad.join("; "), EXPECTED, at)
    }
}

fn judge_labels(get: impl Fn(&str) -> Option<String>, at: Location) -> Judgement {
    const EXPECTED: &str =
        "labels org.opencontainers.image.source, .revision and .version, non-empty";
    let missing: Vec<&str> = LABELS
        .iter()
        .copied()
        .filter(|l| get(l).is_none_or(|v| v.is_empty()))
        .collect();
    if missing.is_empty() {
        Judgement::pass("all three labels are set", EXPECTED, at)
    } else {
        Judgement::broken(
            format!("missing or empty: {}", missing.join(", ")),
            EXPECTED,
            at,
        )
    }
}

pub(crate) fn labels_image(m: &ImageModel, _: Profile) -> Judgement {
    let labels = m.container().and_then(|c| c.labels.value());
    judge_labels(
        |k| labels.and_then(|l| l.get(k)).cloned(),
        Location::field("Labels"),
    )
}

pub(crate) fn labels_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    let j = judge_labels(|k| m.facts.label(k).map(str::to_string), m.here());
    if j.outcome == crate::Judged::Pass {
        let line = m
            .facts
            .labels
            .iter()
            .find(|l| l.name == LABELS[1])
            .map(|l| l.span.line);
        return Judgement {
            location: line.map_or_else(|| m.here(), |l| m.at(l)),
            ..j
        };
    }
    Judgement::skipped(
        format!(
            "{}; these labels are usually added at build time (docker build --label), check the image",
            j.found
        ),
        &j.expected,
    )
}

pub(crate) fn revision_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "label org.opencontainers.image.revision equal to version.json's commit";
    let revision = m
        .container()
        .and_then(|c| c.labels.value())
        .and_then(|l| l.get(LABELS[1]))
        .filter(|r| !r.is_empty());
    let Some(revision) = revision else {
        return Judgement::skipped(
            "no org.opencontainers.image.revision label (see DF403)",
            EXPECTED,
        );
    };
    let (v, at) = match version_json(m) {
        (VersionJson::Valid(v), at) => (v, at),
        _ => return Judgement::skipped("no valid version.json (see DF401)", EXPECTED),
    };
    let commit = v.get("commit").and_then(Value::as_str).unwrap_or("");
    if commit.eq_ignore_ascii_case(revision) {
        Judgement::pass(format!("both are {commit}"), EXPECTED, at)
    } else {
        Judgement::broken(
            format!("revision label is {revision:?}, version.json commit is {commit:?}"),
            EXPECTED,
            at,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::is_absolute_url;

    #[test]
    fn absolute_urls() {
        for ok in [
            "https://github.com/a/b",
            "http://ci:8080/job/1",
            "git+ssh://host/x",
        ] {
            assert!(is_absolute_url(ok), "{ok}");
        }
        for bad in [
            "",
            "github.com/a/b",
            "/builds/1",
            "https://",
            "https:///x",
            "1http://x",
            "https://a b",
            "local",
        ] {
            assert!(!is_absolute_url(bad), "{bad}");
        }
    }
}
