//! Area 5: secrets in the image configuration. Values are never copied into a finding.

use crate::model::{DockerfileModel, ImageModel};
use crate::rules::sample;
use crate::{Judgement, Location, Profile};

const EXPECTED: &str = "in Env, Labels and history: no non-empty *PASSWORD*, *SECRET*, *TOKEN*, *_KEY variable or label, no AWS access key id, no URL with a password";

/// Why `name=value` looks like a secret, or `None`. The reason never contains the value.
pub(crate) fn secret_reason(name: &str, value: &str) -> Option<&'static str> {
    if value.trim().is_empty() {
        return None;
    }
    if has_aws_key_id(value) {
        return Some("an AWS access key id");
    }
    if url_with_password(value) {
        return Some("a URL with a password");
    }
    let n: String = name
        .chars()
        .map(|c| match c {
            '.' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    // References to secrets (paths, file names) and public keys are not secrets.
    let benign = [
        "_FILE",
        "_PATH",
        "_DIR",
        "PUBLIC_KEY",
        "GPG_KEY",
        "_KEY_ID",
        "_KEYRING",
    ];
    if benign.iter().any(|b| n.ends_with(b)) {
        return None;
    }
    let secretive = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE_KEY",
        "API_KEY",
    ];
    if secretive.iter().any(|s| n.contains(s)) || n.ends_with("_KEY") || n == "KEY" {
        return Some("a secret's name");
    }
    None
}

fn has_aws_key_id(v: &str) -> bool {
    let b = v.as_bytes();
    (0..b.len().saturating_sub(19)).any(|i| {
        matches!(&b[i..i + 4], b"AKIA" | b"ASIA")
            && b[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

fn url_with_password(v: &str) -> bool {
    v.split_whitespace().any(|w| {
        let Some((_, rest)) = w.split_once("://") else {
            return false;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        authority
            .rsplit_once('@')
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .is_some_and(|(_, pass)| !pass.is_empty())
    })
}

fn judge(hits: Vec<String>, at: Location) -> Judgement {
    if hits.is_empty() {
        Judgement::pass("no secrets found", EXPECTED, at)
    } else {
        Judgement::broken(format!("values masked: {}", sample(&hits, 5)), EXPECTED, at)
    }
}

pub(crate) fn secrets_image(m: &ImageModel, _: Profile) -> Judgement {
    let c = m.container();
    let mut hits = Vec::new();
    let mut field = None;
    for kv in c.and_then(|c| c.env.value()).into_iter().flatten() {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if let Some(why) = secret_reason(k, v) {
            hits.push(format!("Env {k}=**** ({why})"));
            field.get_or_insert("Env");
        }
    }
    for (k, v) in c.and_then(|c| c.labels.value()).into_iter().flatten() {
        if let Some(why) = secret_reason(k, v) {
            hits.push(format!("label {k}=**** ({why})"));
            field.get_or_insert("Labels");
        }
    }
    // Build arguments and ENV values are recorded in the history (`RUN |1 TOKEN=x ...`).
    let env_names: Vec<&str> = c
        .and_then(|c| c.env.value())
        .into_iter()
        .flatten()
        .map(|kv| kv.split_once('=').map_or(kv.as_str(), |(k, _)| k))
        .collect();
    for (i, h) in m.config.history.iter().enumerate() {
        for word in h.created_by.as_deref().unwrap_or("").split_whitespace() {
            let (k, v) = word.split_once('=').unwrap_or(("", word));
            let k = k.trim_start_matches(['|', '"', '\'']);
            let v = v.trim_matches(['"', '\'']);
            if env_names.contains(&k) {
                continue;
            }
            if let Some(why) = secret_reason(k, v) {
                let name = if k.is_empty() {
                    "a value".to_string()
                } else {
                    format!("{k}=****")
                };
                hits.push(format!("history[{i}] {name} ({why})"));
                field.get_or_insert("history");
            }
        }
    }
    judge(hits, field.map(Location::field).unwrap_or_default())
}

pub(crate) fn secrets_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    let mut hits = Vec::new();
    let mut line = None;
    for (what, list) in [("ENV", &m.facts.env), ("LABEL", &m.facts.labels)] {
        for nv in list {
            if let Some(why) = secret_reason(&nv.name, &nv.value) {
                hits.push(format!(
                    "{what} {}=**** at line {} ({why})",
                    nv.name, nv.span.line
                ));
                line.get_or_insert(nv.span.line);
            }
        }
    }
    judge(hits, line.map_or_else(|| m.here(), |l| m.at(l)))
}

/// File names that hold credentials wherever they are.
const CREDENTIAL_NAMES: &[&str] = &[
    ".env",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
];

/// Path endings that hold credentials.
const CREDENTIAL_SUFFIXES: &[&str] =
    &["/.aws/credentials", "/.docker/config.json", "/.kube/config"];

pub(crate) fn credential_files_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "no .env, .netrc, .npmrc, .pypirc, .git-credentials, SSH private key, ~/.aws/credentials, ~/.docker/config.json or ~/.kube/config";
    let found: Vec<&dockerflow_oci::Entry> = m
        .vfs
        .entries()
        .filter(|e| {
            matches!(
                e.kind,
                dockerflow_oci::EntryKind::File | dockerflow_oci::EntryKind::Hardlink
            )
        })
        .filter(|e| {
            let name = e.path.rsplit('/').next().unwrap_or("");
            CREDENTIAL_NAMES.contains(&name)
                || CREDENTIAL_SUFFIXES.iter().any(|s| e.path.ends_with(s))
        })
        .collect();
    match found.first() {
        None => Judgement::pass(
            "no credential files (files deleted by a later layer are not examined)",
            EXPECTED,
            Location::default(),
        ),
        Some(first) => {
            let names: Vec<String> = found
                .iter()
                .map(|e| format!("{} (layer {})", e.path, e.layer))
                .collect();
            Judgement::broken(
                format!("{} found: {}", found.len(), sample(&names, 5)),
                EXPECTED,
                Location::file(&first.path, Some(first.layer)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::secret_reason;

    #[test]
    fn names_values_and_exceptions() {
        let secret = |n, v| secret_reason(n, v).is_some();
        for n in [
            "DB_PASSWORD",
            "SECRET_KEY_BASE",
            "GITHUB_TOKEN",
            "STRIPE_KEY",
            "api-key",
            "KEY",
            "app.secret",
        ] {
            assert!(secret(n, "x"), "{n}");
        }
        for n in [
            "GPG_KEY",
            "SSH_PUBLIC_KEY",
            "TOKEN_FILE",
            "PASSWORD_PATH",
            "AWS_ACCESS_KEY_ID",
            "PATH",
            "KEYRING_DIR",
        ] {
            assert!(!secret(n, "x"), "{n}");
        }
        assert!(!secret("DB_PASSWORD", ""), "empty values are not secrets");
        assert!(!secret("DB_PASSWORD", "  "), "blank values are not secrets");
        assert!(secret("NOTE", "key AKIAIOSFODNN7EXAMPLE here"));
        assert!(!secret("NOTE", "AKIAshort"));
        assert!(secret("DATABASE_URL", "postgres://user:pw@db:5432/x"));
        assert!(!secret("DATABASE_URL", "postgres://user@db:5432/x"));
        assert!(!secret("HOME_PAGE", "https://example.com/a:b@c"));
    }
}
