//! Image rules, judged from fixture images in every input form.

use dockerflow_check::{Outcome, Profile, Verdict, RULES};
use serde_json::{json, Value};

use crate::{check_rule, check_rule_with, Expect};
use dockerflow_testkit::image::{dir, file, owned_file, symlink, whiteout, Image, COMMIT, PASSWD};

const STRICT: Profile = Profile::Strict;
const MOZCLOUD: Profile = Profile::Mozcloud;

#[test]
fn compliant_image_passes_every_rule() {
    for profile in [STRICT, MOZCLOUD] {
        for rule in RULES.iter().filter(|r| !r.judges_manifests()) {
            let expect = if rule.is_runtime() {
                Expect::Skipped
            } else {
                Expect::Pass
            };
            check_rule(rule.id, &Image::compliant(), profile, expect);
        }
    }
}

#[test]
fn compliant_image_verdict_and_order() {
    let r = check_rule("DF101", &Image::compliant(), STRICT, Expect::Pass);
    assert_eq!(r.verdict(), Verdict::Pass);
    let ids: Vec<&str> = r.findings.iter().map(|f| f.rule.id).collect();
    let all: Vec<&str> = RULES
        .iter()
        .filter(|r| !r.judges_manifests())
        .map(|r| r.id)
        .collect();
    assert_eq!(
        ids, all,
        "one finding per rule but the manifests' ones, in catalogue order"
    );
    let f = r.finding("DF401").expect("DF401");
    assert_eq!(f.location.path.as_deref(), Some("/app/version.json"));
    assert_eq!(f.location.layer, Some(1));
}

/// Without /app there is no /app/version.json either.
const NO_APP: &[&str] = &["DF101", "DF401"];

#[test]
fn df101_app_missing_or_empty() {
    let no_app = Image::compliant().layer(vec![whiteout("/app")]);
    let r = check_rule_with("DF101", &no_app, STRICT, Expect::Fail, NO_APP);
    assert_eq!(
        r.finding("DF101").map(|f| f.found.as_str()),
        Some("/app does not exist")
    );
    check_rule_with("DF102", &no_app, STRICT, Expect::Skipped, NO_APP);
    let empty = Image::compliant().layer(vec![whiteout("/app"), dir("/app", 0o755)]);
    let r = check_rule_with("DF101", &empty, STRICT, Expect::Fail, NO_APP);
    assert_eq!(
        r.finding("DF101").map(|f| f.found.as_str()),
        Some("/app is empty")
    );
    let a_file = Image::compliant().layer(vec![whiteout("/app"), file("/app", 0o644, "x")]);
    check_rule_with("DF101", &a_file, STRICT, Expect::Fail, NO_APP);
}

/// The patterns of `tests/patterns/` that an image shows: the program or the application's
/// files outside /app, and /app holding only version.json.
#[test]
fn df101_sources_outside_app() {
    let only_version = Image::compliant().layer(vec![whiteout("/app/server")]);
    let r = check_rule("DF101", &only_version, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF101").map(|f| f.found.as_str()),
        Some("/app holds only version.json")
    );
    // The service in /srv/svc, started from there; /app has version.json only.
    let srv = only_version
        .clone()
        .layer(vec![
            dir("/srv", 0o755),
            dir("/srv/svc", 0o755),
            file("/srv/svc/run", 0o755, "#!/bin/false\n"),
        ])
        .with("Entrypoint", json!(["/srv/svc/run"]))
        .with("WorkingDir", json!("/srv/svc"));
    let r = check_rule("DF101", &srv, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF101").map(|f| f.found.as_str()),
        Some("the container starts /srv/svc/run, outside /app")
    );
    check_rule("DF101", &srv, MOZCLOUD, Expect::Fail);
    // A bare name found on PATH, outside /app; the same through a symlink into /app passes.
    let on_path = Image::compliant()
        .layer(vec![
            dir("/usr/local", 0o755),
            dir("/usr/local/bin", 0o755),
            file("/usr/local/bin/service", 0o755, "#!/bin/false\n"),
        ])
        .with("Entrypoint", json!(["tini", "--", "service"]));
    let r = check_rule("DF101", &on_path, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF101").map(|f| f.found.as_str()),
        Some("the container starts /usr/local/bin/service, outside /app")
    );
    let linked = Image::compliant()
        .layer(vec![
            dir("/usr/local", 0o755),
            dir("/usr/local/bin", 0o755),
            symlink("/usr/local/bin/service", "/app/server"),
        ])
        .with("Entrypoint", json!(["service"]));
    check_rule("DF101", &linked, STRICT, Expect::Pass);
    // Application files in a top-level directory of their own.
    let beside =
        Image::compliant().layer(vec![dir("/fxa", 0o755), file("/fxa/index.js", 0o644, "")]);
    let r = check_rule("DF101", &beside, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF101").map(|f| f.found.as_str()),
        Some("1 application files outside /app: /fxa/index.js")
    );
    // A runtime from the system running a script under /app passes.
    let runtime = Image::compliant().with(
        "Entrypoint",
        json!(["/usr/local/bin/python3.12", "-u", "/app/server"]),
    );
    check_rule("DF101", &runtime, STRICT, Expect::Pass);
}

#[test]
fn df102_app_writable_by_app_user() {
    let owned = Image::compliant().layer(vec![owned_file("/app/server", 0o755, 10001, 10001, "x")]);
    let r = check_rule("DF102", &owned, STRICT, Expect::Warn);
    let f = r.finding("DF102").expect("DF102");
    assert!(
        f.found.contains("/app/server (755 10001:10001)"),
        "{}",
        f.found
    );
    assert_eq!(f.location.layer, Some(2));
    let group = Image::compliant().layer(vec![owned_file("/app/data", 0o664, 0, 10001, "x")]);
    check_rule("DF102", &group, STRICT, Expect::Warn);
    let world = Image::compliant().layer(vec![file("/app/data", 0o646, "x")]);
    check_rule("DF102", &world, STRICT, Expect::Warn);
    let read_only =
        Image::compliant().layer(vec![owned_file("/app/data", 0o444, 10001, 10001, "x")]);
    check_rule("DF102", &read_only, STRICT, Expect::Pass);
}

#[test]
fn df103_world_writable() {
    let bad = Image::compliant().layer(vec![file("/usr/bin/env", 0o757, "#!")]);
    let r = check_rule("DF103", &bad, STRICT, Expect::Warn);
    assert!(r
        .finding("DF103")
        .is_some_and(|f| f.found.contains("/usr/bin/env (757)")));
    let allowed = Image::compliant().layer(vec![
        file("/tmp/scratch", 0o666, ""),
        dir("/var", 0o755),
        dir("/var/tmp", 0o1777),
        file("/var/tmp/x", 0o666, ""),
        dir("/var/cache", 0o1777),
        file("/var/cache/y", 0o666, ""),
    ]);
    check_rule("DF103", &allowed, STRICT, Expect::Pass);
}

#[test]
fn df104_setuid() {
    let su = Image::compliant().layer(vec![file("/usr/bin/su", 0o4755, "#!")]);
    let r = check_rule("DF104", &su, STRICT, Expect::Warn);
    assert!(r
        .finding("DF104")
        .is_some_and(|f| f.found.contains("/usr/bin/su (setuid, owner 0)")));
    let sg = Image::compliant().layer(vec![file("/usr/bin/wall", 0o2755, "#!")]);
    check_rule("DF104", &sg, STRICT, Expect::Warn);
}

fn with_etc(passwd: &str, group: &str) -> Image {
    Image::compliant().layer(vec![
        file("/etc/passwd", 0o644, passwd),
        file("/etc/group", 0o644, group),
    ])
}

#[test]
fn df201_group() {
    let missing = with_etc(PASSWD, "root:x:0:\n");
    let r = check_rule("DF201", &missing, STRICT, Expect::Fail);
    assert_eq!(r.finding("DF201").map(|f| f.location.layer), Some(Some(2)));
    check_rule("DF201", &missing, MOZCLOUD, Expect::Warn);
    let wrong = with_etc(PASSWD, "root:x:0:\napp:x:1000:\n");
    let r = check_rule("DF201", &wrong, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF201").map(|f| f.found.as_str()),
        Some("group app has GID 1000")
    );
    let no_file = Image::compliant().layer(vec![whiteout("/etc/group")]);
    check_rule("DF201", &no_file, STRICT, Expect::Fail);
}

#[test]
fn df202_user() {
    let wrong_uid = with_etc(
        "root:x:0:0::/root:/bin/sh\napp:x:1000:10001::/app:/bin/sh\n",
        "root:x:0:\napp:x:10001:\n",
    );
    // User app now resolves to uid 1000: DF203 fails with it.
    let r = check_rule_with(
        "DF202",
        &wrong_uid,
        STRICT,
        Expect::Fail,
        &["DF202", "DF203"],
    );
    assert_eq!(
        r.finding("DF202").map(|f| f.found.as_str()),
        Some("user app has UID 1000 and GID 10001")
    );
    check_rule_with("DF202", &wrong_uid, MOZCLOUD, Expect::Warn, &[]);
    let wrong_gid = with_etc(
        "root:x:0:0::/root:/bin/sh\napp:x:10001:100::/app:/bin/sh\n",
        "root:x:0:\napp:x:10001:\n",
    );
    check_rule("DF202", &wrong_gid, STRICT, Expect::Fail);
    let missing = with_etc("root:x:0:0::/root:/bin/sh\n", "root:x:0:\napp:x:10001:\n");
    // User app is then unknown: DF203 fails with it.
    check_rule_with("DF202", &missing, STRICT, Expect::Fail, &["DF202", "DF203"]);
}

fn user(spec: &str) -> Image {
    Image::compliant().with("User", json!(spec))
}

#[test]
fn df203_spellings() {
    for ok in ["app", "10001", "app:app", "10001:10001"] {
        check_rule("DF203", &user(ok), STRICT, Expect::Pass);
    }
    for root in ["", "root", "0", "0:0", "root:root"] {
        let r = check_rule("DF203", &user(root), STRICT, Expect::Fail);
        check_rule("DF203", &user(root), MOZCLOUD, Expect::Fail);
        assert_eq!(
            r.finding("DF203").and_then(|f| f.location.field.as_deref()),
            Some("User")
        );
    }
    let absent = Image::compliant().with("User", Value::Null);
    check_rule("DF203", &absent, STRICT, Expect::Fail);
    let r = check_rule("DF203", &user("nobody"), STRICT, Expect::Fail);
    let found = &r.finding("DF203").expect("DF203").found;
    assert!(found.contains("no user nobody in /etc/passwd"), "{found}");
    // distroless's nonroot: a non-root uid other than 10001.
    check_rule("DF203", &user("65532"), STRICT, Expect::Fail);
    check_rule("DF203", &user("65532"), MOZCLOUD, Expect::Warn);
}

#[test]
fn df301_entrypoint_and_cmd() {
    let cmd_only = Image::compliant().with("Entrypoint", Value::Null);
    check_rule("DF301", &cmd_only, STRICT, Expect::Fail);
    check_rule("DF301", &cmd_only, MOZCLOUD, Expect::Warn);
    let ep_only = Image::compliant().with("Cmd", json!([]));
    check_rule("DF301", &ep_only, STRICT, Expect::Fail);
    let neither = cmd_only.with("Cmd", Value::Null);
    check_rule("DF301", &neither, MOZCLOUD, Expect::Fail);
}

#[test]
fn df302_shell_form() {
    let shell = Image::compliant().with("Entrypoint", json!(["/bin/sh", "-c", "/app/server"]));
    check_rule("DF302", &shell, STRICT, Expect::Warn);
    // Arguments to an exec-form entrypoint that happen to look like a shell are not a shell.
    let args = Image::compliant().with("Cmd", json!(["sh", "-c", "x"]));
    check_rule("DF302", &args, STRICT, Expect::Pass);
}

#[test]
fn df303_port() {
    let no_port = Image::compliant().with("Env", json!(["PATH=/bin"]));
    check_rule("DF303", &no_port, STRICT, Expect::Warn);
    let other = Image::compliant().with("ExposedPorts", json!({"9000/tcp": {}}));
    let r = check_rule("DF303", &other, STRICT, Expect::Warn);
    assert_eq!(
        r.finding("DF303").map(|f| f.found.as_str()),
        Some("PORT=8000 but only 9000/tcp exposed")
    );
    let none = Image::compliant().with("ExposedPorts", Value::Null);
    check_rule("DF303", &none, STRICT, Expect::Warn);
    let bad = Image::compliant().with("Env", json!(["PORT=http"]));
    check_rule("DF303", &bad, STRICT, Expect::Warn);
}

fn healthcheck(test: Value) -> Image {
    Image::compliant().with("Healthcheck", json!({ "Test": test }))
}

#[test]
fn df304_healthcheck_program_exists() {
    check_rule("DF304", &Image::compliant(), STRICT, Expect::Pass);
    check_rule("DF304", &healthcheck(json!(["NONE"])), STRICT, Expect::Pass);
    let probe = healthcheck(json!(["CMD", "/app/server", "healthcheck"]));
    check_rule("DF304", &probe, STRICT, Expect::Pass);
    let relative = healthcheck(json!(["CMD", "./server", "healthcheck"]));
    check_rule("DF304", &relative, STRICT, Expect::Pass);

    let shell = healthcheck(json!(["CMD-SHELL", "/app/server healthcheck"]));
    let r = check_rule("DF304", &shell, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF304").map(|f| f.found.as_str()),
        Some("HEALTHCHECK is CMD-SHELL (the shell form) but the image has no /bin/sh")
    );
    let curl = healthcheck(json!([
        "CMD",
        "curl",
        "-f",
        "http://localhost:8000/__lbheartbeat__"
    ]));
    let r = check_rule("DF304", &curl, STRICT, Expect::Fail);
    assert!(r.finding("DF304").unwrap().found.contains("\"curl\""));
    let with_curl = curl.layer(vec![file("/usr/bin/curl", 0o755, "ELF")]);
    check_rule("DF304", &with_curl, STRICT, Expect::Pass);
    let not_executable = healthcheck(json!(["CMD", "/app/version.json"]));
    check_rule("DF304", &not_executable, STRICT, Expect::Fail);

    // A shell (through a busybox symlink), but no wget.
    let busybox = vec![
        dir("/bin", 0o755),
        file("/bin/busybox", 0o755, "ELF"),
        symlink("/bin/sh", "busybox"),
    ];
    let wget = healthcheck(json!([
        "CMD-SHELL",
        "wget -q -O- http://localhost:8000/ || exit 1"
    ]))
    .layer(busybox.clone());
    let r = check_rule("DF304", &wget, STRICT, Expect::Fail);
    assert!(
        r.finding("DF304").unwrap().found.contains("\"wget\""),
        "{r:?}"
    );
    let with_wget = wget.layer(vec![symlink("/usr/bin/wget", "/bin/busybox")]);
    check_rule("DF304", &with_wget, STRICT, Expect::Pass);
    let bad = healthcheck(json!(["RUN", "x"]));
    check_rule("DF304", &bad, STRICT, Expect::Fail);
}

fn version(v: &str) -> Image {
    Image::compliant().layer(vec![file("/app/version.json", 0o644, v)])
}

#[test]
fn df401_version_json() {
    let missing = Image::compliant().layer(vec![whiteout("/app/version.json")]);
    let r = check_rule("DF401", &missing, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF401").map(|f| f.found.as_str()),
        Some("/app/version.json does not exist")
    );
    check_rule_with("DF402", &missing, STRICT, Expect::Skipped, &["DF401"]);
    check_rule_with("DF404", &missing, STRICT, Expect::Skipped, &["DF401"]);
    let no_build = version(&format!(
        r#"{{"source":"https://x.test/a","version":"","commit":"{COMMIT}"}}"#
    ));
    let r = check_rule("DF401", &no_build, STRICT, Expect::Fail);
    let found = &r.finding("DF401").expect("DF401").found;
    assert!(
        found.contains("\"build\" is a required property"),
        "{found}"
    );
    let bad_commit = version(
        r#"{"source":"https://x.test/a","version":"","commit":"none. stub","build":"https://ci/1"}"#,
    );
    let r = check_rule("DF401", &bad_commit, STRICT, Expect::Fail);
    assert!(r
        .finding("DF401")
        .is_some_and(|f| f.found.starts_with("/commit: ")));
    check_rule("DF401", &version("{not json"), STRICT, Expect::Fail);
    check_rule("DF401", &version("[]"), STRICT, Expect::Fail);
    // An empty version is allowed (non-release builds).
    let empty_version = version(&format!(
        r#"{{"source":"https://x.test/a","version":"","commit":"{COMMIT}","build":"https://ci/1","extra":1}}"#
    ));
    check_rule("DF401", &empty_version, STRICT, Expect::Pass);
}

#[test]
fn df402_urls() {
    let relative = version(&format!(
        r#"{{"source":"github.com/example/app","version":"1","commit":"{COMMIT}","build":"local"}}"#
    ));
    let r = check_rule("DF402", &relative, STRICT, Expect::Warn);
    let found = &r.finding("DF402").expect("DF402").found;
    assert!(
        found.contains("source \"github.com/example/app\" is not an absolute URL"),
        "{found}"
    );
    assert!(found.contains("build \"local\""), "{found}");
}

fn labels(v: Value) -> Image {
    Image::compliant().with("Labels", v)
}

#[test]
fn df403_labels() {
    let none = Image::compliant().with("Labels", Value::Null);
    check_rule("DF403", &none, STRICT, Expect::Warn);
    check_rule("DF404", &none, STRICT, Expect::Skipped);
    let partial = labels(json!({"org.opencontainers.image.revision": COMMIT}));
    let r = check_rule("DF403", &partial, STRICT, Expect::Warn);
    assert_eq!(
        r.finding("DF403").map(|f| f.found.as_str()),
        Some("missing or empty: org.opencontainers.image.source, org.opencontainers.image.version")
    );
}

#[test]
fn df404_revision() {
    let other = labels(json!({
        "org.opencontainers.image.source": "https://github.com/example/app",
        "org.opencontainers.image.revision": "fedcba9",
        "org.opencontainers.image.version": "v1.0.0"
    }));
    check_rule("DF404", &other, STRICT, Expect::Warn);
}

#[test]
fn df501_secrets() {
    let env = Image::compliant().with(
        "Env",
        json!([
            "PORT=8000",
            "DB_PASSWORD=hunter2",
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
            "EMPTY_TOKEN="
        ]),
    );
    let r = check_rule("DF501", &env, STRICT, Expect::Fail);
    let f = r.finding("DF501").expect("DF501");
    assert!(f.found.contains("Env DB_PASSWORD=****"), "{}", f.found);
    assert!(
        !f.found.contains("hunter2") && !f.found.contains("GPG_KEY"),
        "{}",
        f.found
    );
    assert!(!f.found.contains("EMPTY_TOKEN"), "{}", f.found);
    let aws = labels(json!({"note": "AKIAIOSFODNN7EXAMPLE"}));
    let r = check_rule("DF501", &aws, STRICT, Expect::Fail);
    let f = r.finding("DF501").expect("DF501");
    assert!(
        f.found.contains("label note=**** (an AWS access key id)"),
        "{}",
        f.found
    );
    assert!(!f.found.contains("AKIA"), "{}", f.found);
    let history = Image::compliant()
        .history("RUN |2 NPM_TOKEN=npm_abc123 CI=1 /bin/sh -c npm ci # buildkit")
        .history("ENV PORT=8000");
    let r = check_rule("DF501", &history, STRICT, Expect::Fail);
    let f = r.finding("DF501").expect("DF501");
    assert_eq!(
        f.found,
        "values masked: history[2] NPM_TOKEN=**** (a secret's name)"
    );
    assert_eq!(f.location.field.as_deref(), Some("history"));
    let url = Image::compliant().with(
        "Env",
        json!(["PORT=8000", "DATABASE_URL=postgres://u:s3cret@db/x"]),
    );
    let r = check_rule("DF501", &url, STRICT, Expect::Fail);
    assert!(r
        .finding("DF501")
        .is_some_and(|f| !f.found.contains("s3cret")));
}

#[test]
fn df105_hostile_layers_are_confined_not_fatal() {
    // A traversal entry is skipped by the reader and reported; the check still runs.
    let image = Image::compliant().layer(vec![file("../../etc/shadow", 0o644, "x")]);
    let r = check_rule("DF105", &image, STRICT, Expect::Warn);
    assert!(r.findings.iter().all(|f| f.outcome != Outcome::Fail));
    let f = r.finding("DF105").expect("DF105");
    assert!(
        f.found
            .starts_with("1 entries not applied as written: layer 2 \"../../etc/shadow\""),
        "{}",
        f.found
    );
    let passwd = r.finding("DF202").expect("DF202");
    assert_eq!(
        passwd.outcome,
        Outcome::Pass,
        "the escape did not replace anything"
    );
}

#[test]
fn df502_credential_files() {
    let image = Image::compliant().layer(vec![
        file("/app/.env", 0o644, "DB_PASSWORD=x"),
        dir("/root", 0o700),
        dir("/root/.aws", 0o700),
        file("/root/.aws/credentials", 0o600, "[default]"),
    ]);
    let r = check_rule("DF502", &image, STRICT, Expect::Fail);
    let f = r.finding("DF502").expect("DF502");
    assert_eq!(
        f.found,
        "2 found: /app/.env (layer 2), /root/.aws/credentials (layer 2)"
    );
    assert!(!f.found.contains("DB_PASSWORD"));
    let deleted = image.layer(vec![whiteout("/app/.env"), whiteout("/root/.aws")]);
    check_rule_with("DF502", &deleted, STRICT, Expect::Pass, &["DF503"]);
}

const PRIVATE_KEY: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

#[test]
fn df503_deleted_secrets() {
    let added = Image::compliant().layer(vec![
        file("/app/.env", 0o644, "DB_PASSWORD=hunter2"),
        dir("/root", 0o700),
        dir("/root/.ssh", 0o700),
        file("/root/.ssh/id_ed25519", 0o600, PRIVATE_KEY),
        dir("/var/build", 0o755),
        file("/var/build/deploy.pem", 0o600, PRIVATE_KEY),
        file(
            "/var/build/ca.pem",
            0o644,
            "-----BEGIN CERTIFICATE-----\nMIIB\n",
        ),
    ]);
    // While visible, the names are DF502's; the key under another name is no one's (yet).
    check_rule_with("DF503", &added, STRICT, Expect::Pass, &["DF502"]);
    // `RUN rm`: whiteouts of a file and of a directory, an opaque directory.
    let deleted = added.layer(vec![
        whiteout("/app/.env"),
        whiteout("/root/.ssh"),
        file("/var/build/.wh..wh..opq", 0o644, ""),
    ]);
    let r = check_rule("DF503", &deleted, STRICT, Expect::Fail);
    check_rule_with("DF502", &deleted, STRICT, Expect::Pass, &["DF503"]);
    let f = r.finding("DF503").expect("DF503");
    assert_eq!(
        f.found,
        "3 found, still readable in their layers: \
         /app/.env (a credential file; layer 2, deleted in layer 3), \
         /root/.ssh/id_ed25519 (a credential file; layer 2, deleted in layer 3), \
         /var/build/deploy.pem (a private key; layer 2, hidden by an opaque directory in layer 3)"
    );
    assert_eq!(f.location.path.as_deref(), Some("/app/.env"));
    assert_eq!(f.location.layer, Some(2));
    for value in ["hunter2", "b3BlbnNzaC1rZXkt", "BEGIN"] {
        assert!(!f.found.contains(value) && !f.expected.contains(value));
    }
    // Overwriting is no better than deleting; a deleted certificate is not a secret.
    let replaced = Image::compliant()
        .layer(vec![
            dir("/root", 0o700),
            file(
                "/root/.npmrc",
                0o600,
                "//registry.npmjs.org/:_authToken=npm_x",
            ),
            file("/ca.pem", 0o644, "-----BEGIN CERTIFICATE-----\n"),
        ])
        .layer(vec![file("/root/.npmrc", 0o600, ""), whiteout("/ca.pem")])
        .layer(vec![whiteout("/root/.npmrc")]);
    let r = check_rule("DF503", &replaced, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF503").map(|f| f.found.as_str()),
        Some(
            "2 found, still readable in their layers: \
             /root/.npmrc (a credential file; layer 2, replaced in layer 3), \
             /root/.npmrc (a credential file; layer 3, deleted in layer 4)"
        )
    );
    let harmless = Image::compliant()
        .layer(vec![file(
            "/ca.pem",
            0o644,
            "-----BEGIN CERTIFICATE-----\n",
        )])
        .layer(vec![whiteout("/ca.pem")]);
    let r = check_rule("DF503", &harmless, MOZCLOUD, Expect::Pass);
    assert_eq!(
        r.finding("DF503").map(|f| f.found.as_str()),
        Some("no secrets among 1 files deleted or replaced by later layers")
    );
}

/// The image form of `tests/patterns/id-taken.Dockerfile`: uid and gid 10001 belong to svc.
#[test]
fn df201_df202_id_taken_by_another_name() {
    let image = Image::compliant()
        .layer(vec![
            file(
                "/etc/passwd",
                0o644,
                "root:x:0:0:root:/root:/bin/sh\nsvc:x:10001:10001::/app:/usr/sbin/nologin\n",
            ),
            file("/etc/group", 0o644, "root:x:0:\nsvc:x:10001:\n"),
        ])
        .with("User", json!("svc"));
    let both = ["DF201", "DF202"];
    let r = check_rule_with("DF201", &image, STRICT, Expect::Fail, &both);
    assert_eq!(
        r.finding("DF201").map(|f| f.found.as_str()),
        Some("no group app in /etc/group (GID 10001 is group svc)")
    );
    assert_eq!(
        r.finding("DF202").map(|f| f.found.as_str()),
        Some("no user app in /etc/passwd (UID 10001 is user svc)")
    );
    check_rule_with("DF203", &image, STRICT, Expect::Pass, &both);
    check_rule_with("DF202", &image, MOZCLOUD, Expect::Warn, &[]);
}
