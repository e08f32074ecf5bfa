//! Area 5: secrets in the image configuration and files, deleted files included. Values are
//! never copied into a finding.

use dockerflow_contract::secrets::{names_secret, url_userinfos};

use crate::model::{ContextState, DockerfileModel, ImageModel};
use crate::rules::sample;
use crate::{Judgement, Location, Profile};

const EXPECTED: &str = "in Env, Labels, ARGs and history: no non-empty *PASSWORD*, *SECRET*, *TOKEN*, *_KEY variable or label, no AWS access key id, no URL with a password";

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
    names_secret(name).then_some("a secret's name")
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
    url_userinfos(v).any(|u| u.password.is_some_and(|p| !p.is_empty()))
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
    for (what, list) in [
        ("ENV", &m.facts.env),
        ("LABEL", &m.facts.labels),
        ("ARG", &m.facts.args),
    ] {
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

/// Whether a path's name is one of the credential files DF502 and DF503 look for.
fn is_credential_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    CREDENTIAL_NAMES.contains(&name) || CREDENTIAL_SUFFIXES.iter().any(|s| path.ends_with(s))
}

/// The hidden files whose content DF503 reads (on the reader's second pass, so only when
/// such a file was deleted or replaced): names that key material and credentials go by.
pub(crate) fn hidden_content_wanted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(ext, "pem" | "key" | "p8")
        || [
            "credential",
            "secret",
            "service-account",
            "service_account",
            "private",
        ]
        .iter()
        .any(|w| name.contains(w))
}

/// What the content of a file shows, without quoting it.
pub(crate) fn content_reason(bytes: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if has(b"-----BEGIN") && has(b"PRIVATE KEY-----") {
        return Some("a private key");
    }
    if has_aws_key_id(&String::from_utf8_lossy(bytes)) {
        return Some("an AWS access key id");
    }
    None
}

pub(crate) fn hidden_secrets_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "no credential file (as DF502) and no private key or AWS access key id among the files a later layer deleted or replaced";
    let hidden = m.vfs.hidden();
    let mut found = Vec::new();
    let mut first = None;
    for h in hidden {
        let why = if is_credential_file(&h.entry.path) {
            Some("a credential file")
        } else {
            h.content().ok().and_then(content_reason)
        };
        if let Some(why) = why {
            found.push(format!(
                "{} ({why}; layer {}, {} in layer {})",
                h.entry.path, h.entry.layer, h.by, h.by_layer
            ));
            first.get_or_insert(h);
        }
    }
    match first {
        None => Judgement::pass(
            format!(
                "no secrets among {} files deleted or replaced by later layers",
                hidden.len()
            ),
            EXPECTED,
            Location::default(),
        ),
        Some(first) => Judgement::broken(
            format!(
                "{} found, still readable in their layers: {}",
                found.len(),
                sample(&found, 5)
            ),
            EXPECTED,
            Location::file(&first.entry.path, Some(first.entry.layer)),
        ),
    }
}

/// A credential file or private key that an instruction of the judged stage's lineage puts
/// into a layer: copied in from the build context, or written by a `RUN` that does not also
/// remove it.
#[derive(Debug)]
struct Placed {
    /// The path as the instruction names it.
    path: String,
    /// The instruction's line.
    line: u32,
    /// `COPY`, `ADD` or `RUN`.
    how: String,
    /// The line of a later `RUN` that removes it, if any.
    removed_at: Option<u32>,
}

/// Whether a path a Dockerfile names is a credential file or private key by its name alone (a
/// Dockerfile judge cannot read the content): DF502's names plus key and keystore extensions.
fn secret_file_name(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    let absolute = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let name = absolute
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    is_credential_file(&absolute) || matches!(ext, "key" | "p8" | "p12" | "pfx")
}

/// The words of a shell command, split at blanks and at the operators that end a command or
/// redirect (`;`, `&&`, `||`, `|`, `>`, `>>`), kept as their own words.
fn shell_words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    for blank_separated in text.split_whitespace() {
        let mut rest = blank_separated;
        while let Some(i) = rest.find([';', '&', '|', '>']) {
            if i > 0 {
                words.push(&rest[..i]);
            }
            let op_len = rest[i..]
                .bytes()
                .take_while(|b| matches!(b, b';' | b'&' | b'|' | b'>'))
                .count();
            words.push(&rest[i..i + op_len]);
            rest = &rest[i + op_len..];
        }
        if !rest.is_empty() {
            words.push(rest);
        }
    }
    words
        .into_iter()
        .map(|w| w.trim_matches(['"', '\'', '(', ')']))
        .filter(|w| !w.is_empty())
        .collect()
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// The files a command writes with `>`, `>>` or `tee`.
fn written_files<'a>(words: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut in_tee = false;
    for (i, w) in words.iter().enumerate() {
        if matches!(*w, ">" | ">>") {
            if let Some(target) = words.get(i + 1) {
                out.push(*target);
            }
            in_tee = false;
        } else if *w == "tee" {
            in_tee = true;
        } else if in_tee && !w.starts_with('-') && !matches!(*w, ";" | "&&" | "||" | "|") {
            out.push(*w);
        } else if matches!(*w, ";" | "&&" | "||" | "|") {
            in_tee = false;
        }
    }
    out
}

/// Whether a command removes a file named `name` (`rm`, `shred -u`, `unlink`, in any of its
/// commands).
fn removes(words: &[&str], name: &str) -> bool {
    let mut removing = false;
    for w in words {
        match *w {
            ";" | "&&" | "||" | "|" => removing = false,
            "rm" | "unlink" | "shred" => removing = true,
            w if removing && !w.starts_with('-') && base_name(w) == name => return true,
            _ => {}
        }
    }
    false
}

/// The text of a `RUN`: its command and heredoc bodies.
fn run_text(run: &dockerflow_dockerfile::RunFact) -> String {
    let mut text = match &run.command {
        dockerflow_dockerfile::Command::Shell(s) => s.clone(),
        dockerflow_dockerfile::Command::Exec(v) => v.join(" "),
    };
    for h in &run.heredocs {
        text.push('\n');
        text.push_str(&h.body);
    }
    text
}

/// Every credential file or key the lineage puts into a layer, with the later `RUN` that
/// removes it.
fn placed_secrets(m: &DockerfileModel) -> Vec<Placed> {
    let runs: Vec<(u32, Vec<String>)> = m
        .facts
        .runs
        .iter()
        .map(|r| {
            let text = run_text(r);
            let words = shell_words(&text).into_iter().map(str::to_owned).collect();
            (r.span.line, words)
        })
        .collect();
    let mut placed = Vec::new();
    for c in m.facts.copies.iter().filter(|c| c.from.is_none()) {
        let mut named: Vec<&str> = c
            .sources
            .iter()
            .map(String::as_str)
            .filter(|s| !s.starts_with("<<") && secret_file_name(s))
            .collect();
        if named.is_empty() && !c.path.ends_with('/') && secret_file_name(&c.path) {
            named.push(&c.path);
        }
        for path in named {
            placed.push(Placed {
                path: path.to_owned(),
                line: c.span.line,
                how: c.keyword.to_string(),
                removed_at: None,
            });
        }
    }
    for (line, words) in &runs {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        for path in written_files(&words) {
            if secret_file_name(path) && !removes(&words, base_name(path)) {
                placed.push(Placed {
                    path: path.to_owned(),
                    line: *line,
                    how: "RUN".to_string(),
                    removed_at: None,
                });
            }
        }
    }
    for p in &mut placed {
        let name = base_name(&p.path).to_owned();
        p.removed_at = runs
            .iter()
            .filter(|(line, _)| *line > p.line)
            .find(|(_, words)| {
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                removes(&words, &name)
            })
            .map(|(line, _)| *line);
    }
    placed.sort_by_key(|p| p.line);
    placed
}

/// DF502 from a Dockerfile: a credential file copied in or written, and never removed, is in
/// the image.
pub(crate) fn credential_files_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "no COPY, ADD or RUN that puts a credential file or private key (.env, .netrc, .npmrc or .pypirc with a token, .git-credentials, id_rsa, *.key, ~/.aws/credentials, ...) into the image, from the instructions or from the build context after .dockerignore";
    let placed = placed_secrets(m);
    let mut kept: Vec<Placed> = placed
        .into_iter()
        .filter(|p| p.removed_at.is_none())
        .collect();
    // COPY/ADD from the build context (not another stage, an image, a URL or a heredoc).
    let from_context: Vec<&dockerflow_dockerfile::CopyFact> = m
        .facts
        .copies
        .iter()
        .filter(|c| c.from.is_none())
        .filter(|c| {
            c.sources
                .iter()
                .any(|s| !s.starts_with("<<") && !s.contains("://"))
        })
        .collect();
    match &m.context {
        ContextState::Read(context) => {
            for c in &from_context {
                for source in &c.sources {
                    for secret in context.secrets_under(source) {
                        if !kept.iter().any(|p| p.path == secret.path) {
                            kept.push(Placed {
                                path: secret.path.clone(),
                                how: format!(
                                    "{} {source} from the build context ({})",
                                    c.keyword, secret.what
                                ),
                                line: c.span.line,
                                removed_at: None,
                            });
                        }
                    }
                }
            }
        }
        ContextState::NotRead | ContextState::Unreadable(_) if kept.is_empty() => {
            if let Some(c) = from_context.first() {
                let why = match &m.context {
                    ContextState::Unreadable(reason) => format!("it could not be read ({reason})"),
                    _ => "it was not read".to_string(),
                };
                return Judgement::skipped(
                    format!(
                        "could not tell what {} at line {} brings from the build context: {why}",
                        c.keyword, c.span.line
                    ),
                    EXPECTED,
                );
            }
        }
        _ => {}
    }
    let kept: Vec<&Placed> = kept.iter().collect();
    dockerfile_judgement(m, &kept, EXPECTED, |p| {
        format!("{} by {} at line {}", p.path, p.how, p.line)
    })
}

/// DF503 from a Dockerfile: a credential file put into one layer and removed by a later
/// `RUN` is still in the first layer.
pub(crate) fn hidden_secrets_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "no credential file or private key added to a layer and removed by a later RUN (removing it in the RUN that created it, or RUN --mount=type=secret, keeps it out of every layer)";
    let placed = placed_secrets(m);
    let removed: Vec<&Placed> = placed.iter().filter(|p| p.removed_at.is_some()).collect();
    dockerfile_judgement(m, &removed, EXPECTED, |p| {
        format!(
            "{} by {} at line {}, removed at line {} but still in the layer of line {}",
            p.path,
            p.how,
            p.line,
            p.removed_at.unwrap_or_default(),
            p.line
        )
    })
}

fn dockerfile_judgement(
    m: &DockerfileModel,
    found: &[&Placed],
    expected: &str,
    describe: impl Fn(&Placed) -> String,
) -> Judgement {
    match found.first() {
        None => Judgement::pass("none found in the instructions", expected, m.here()),
        Some(first) => {
            let items: Vec<String> = found.iter().map(|p| describe(p)).collect();
            Judgement::broken(
                format!("{} found: {}", found.len(), sample(&items, 5)),
                expected,
                m.at(first.line),
            )
        }
    }
}

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
        .filter(|e| is_credential_file(&e.path))
        .collect();
    match found.first() {
        None => Judgement::pass(
            "no credential files (files deleted by a later layer: DF503)",
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
    use super::{content_reason, hidden_content_wanted, secret_reason};

    #[test]
    fn hidden_content_names_and_sniffing() {
        for p in [
            "/a/tls.key",
            "/deploy.PEM",
            "/x/AuthKey_1.p8",
            "/gcp-service-account.json",
            "/app/credentials.json",
            "/client_secret.json",
        ] {
            assert!(hidden_content_wanted(p), "{p}");
        }
        for p in ["/package.json", "/usr/lib/libkeyutils.so", "/app/server"] {
            assert!(!hidden_content_wanted(p), "{p}");
        }
        let rsa = b"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(content_reason(rsa), Some("a private key"));
        let json =
            br#"{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMII"}"#;
        assert_eq!(content_reason(json), Some("a private key"));
        assert_eq!(
            content_reason(b"aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key id")
        );
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(content_reason(cert), None, "certificates are public");
        assert_eq!(content_reason(b"-----BEGIN PUBLIC KEY-----"), None);
    }

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
