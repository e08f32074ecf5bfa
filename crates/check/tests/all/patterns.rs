//! The pattern set: `tests/patterns/*.Dockerfile`, each a pattern seen in real Dockerfiles
//! (written here), with its expected outcome per rule in its header comment:
//!
//! ```text
//! # strict: fail DF101=fail DF202=pass
//! # mozcloud: fail DF101=fail
//! ```
//!
//! The verdict and the outcome of every named rule are asserted, for each profile; every
//! form has a line for both `strict` and `mozcloud`.
//!
//! Where an image can show the pattern, the image the Dockerfile's final stage would make is
//! built here FROM scratch ([`image_forms`]) and its expectations are lines of their own:
//!
//! ```text
//! # image strict: fail DF101=fail
//! # image/base-has-app strict: pass DF201=pass
//! ```
//!
//! `image/VARIANT` names one of several images the file can make (where the base image
//! decides). Every pattern has at least one image line, and every image built here is named
//! by one, so neither side can drift.

use std::path::Path;

use dockerflow_check::{
    check_dockerfile, check_image, DockerfileModel, Options, Profile, Report, Verdict,
};
use dockerflow_testkit::image::{dir, file, owned_file, symlink, whiteout, Image, COMMIT, FORMS};
use dockerflow_testkit::TempDir;
use serde_json::{json, Value};

use crate::{matches, read, Expect};

fn expect(word: &str, what: &str) -> Expect {
    match word {
        "pass" => Expect::Pass,
        "fail" => Expect::Fail,
        "warn" => Expect::Warn,
        "skipped" => Expect::Skipped,
        other => panic!("{what}: unknown outcome {other:?}"),
    }
}

/// One `# [form] profile: verdict RULE=outcome ...` line.
struct Expectation {
    /// `""` for the Dockerfile, `image` or `image/VARIANT` for a built image.
    form: String,
    profile: Profile,
    verdict: Verdict,
    rules: Vec<(String, Expect)>,
}

fn expectations(src: &str, what: &str) -> Vec<Expectation> {
    let mut out = Vec::new();
    for line in src.lines().take_while(|l| l.starts_with('#')) {
        let Some((name, rest)) = line.trim_start_matches('#').trim().split_once(':') else {
            continue;
        };
        let (form, name) = match name.split_once(' ') {
            Some((form, profile)) if form.starts_with("image") => (form, profile),
            _ => ("", name),
        };
        let Some(profile) = Profile::parse(name) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let verdict = match words.next() {
            Some("pass") => Verdict::Pass,
            Some("fail") => Verdict::Fail,
            other => panic!("{what}: {name}: expected a verdict, found {other:?}"),
        };
        let rules = words
            .map(|w| {
                let (id, outcome) = w
                    .split_once('=')
                    .unwrap_or_else(|| panic!("{what}: {w:?} is not RULE=outcome"));
                (id.to_string(), expect(outcome, what))
            })
            .collect();
        out.push(Expectation {
            form: form.to_string(),
            profile,
            verdict,
            rules,
        });
    }
    assert!(!out.is_empty(), "{what}: no `# strict:` expectation line");
    // Both profiles judge every form: the Dockerfile and each image.
    for e in &out {
        for p in [Profile::Strict, Profile::Mozcloud] {
            assert!(
                out.iter().any(|o| o.form == e.form && o.profile == p),
                "{what}: no `# {} {p}:` line",
                e.form
            );
        }
    }
    out
}

/// Asserts the named rules' outcomes and the verdict of one report.
fn assert_expected(report: &Report, e: &Expectation, what: &str) -> usize {
    let mut asserted = 0;
    for (id, want) in &e.rules {
        let f = report
            .finding(id)
            .unwrap_or_else(|| panic!("{what}: no finding for {id}"));
        assert!(
            matches(&f.outcome, *want),
            "{what} ({}): {id} expected {want:?}, got {:?}\n  found: {}\n  expected: {}",
            e.profile,
            f.outcome,
            f.found,
            f.expected
        );
        asserted += 1;
    }
    assert_eq!(
        report.verdict(),
        e.verdict,
        "{what} ({}): verdict; failing: {:?}",
        e.profile,
        report.failing()
    );
    asserted
}

/// Judges one pattern file; returns how many rule outcomes it asserted.
pub(crate) fn check_pattern(path: &Path) -> usize {
    let what = path.display().to_string();
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (model, _) = DockerfileModel::parse(&what, &src, None, &[]).expect("a stage");
    let mut asserted = 0;
    for e in expectations(&src, &what)
        .iter()
        .filter(|e| e.form.is_empty())
    {
        let options = Options {
            profile: e.profile,
            ..Options::default()
        };
        asserted += assert_expected(&check_dockerfile(&model, &options), e, &what);
    }
    asserted
}

/// Judges the images a pattern file makes, in every input form; returns how many rule
/// outcomes it asserted.
fn check_pattern_images(path: &Path) -> usize {
    let what = path.display().to_string();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".Dockerfile"))
        .expect("NAME.Dockerfile");
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    let all = expectations(&src, &what);
    let lines: Vec<&Expectation> = all.iter().filter(|e| !e.form.is_empty()).collect();
    let images = image_forms(name);
    assert!(
        !lines.is_empty(),
        "{what}: no `# image strict:` line (every pattern here can be shown by an image)"
    );
    let mut named: Vec<&str> = lines.iter().map(|e| e.form.as_str()).collect();
    let mut built: Vec<&str> = images.iter().map(|(f, _)| *f).collect();
    built.sort();
    named.sort();
    named.dedup();
    assert_eq!(named, built, "{what}: the image forms named and built");
    let mut asserted = 0;
    for e in lines {
        let (_, image) = images
            .iter()
            .find(|(f, _)| *f == e.form)
            .expect("built above");
        for form in FORMS {
            let tmp = TempDir::new("pattern");
            let model = read(&image.write(tmp.path(), form));
            let options = Options {
                profile: e.profile,
                ..Options::default()
            };
            let report = check_image(&model, &options);
            asserted += assert_expected(&report, e, &format!("{what} as {} ({form:?})", e.form));
        }
    }
    asserted
}

fn etc(passwd: &str, group: &str) -> Vec<dockerflow_testkit::image::Node> {
    vec![
        file("/etc/passwd", 0o644, passwd),
        file("/etc/group", 0o644, group),
    ]
}

const ROOT_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n";
const ROOT_GROUP: &str = "root:x:0:\n";

/// The compliant image without its program: the layers a pattern adds make the rest.
fn base() -> Image {
    Image::compliant().layer(vec![whiteout("/app/server")])
}

/// [`base`] with `/etc/passwd` and `/etc/group` replaced, then a service at /app/service.
fn with_accounts(passwd: &str, group: &str) -> Image {
    base()
        .layer(etc(passwd, group))
        .layer(vec![file("/app/service", 0o755, "ELF")])
}

fn usr_local_bin(names: &[&str]) -> Vec<dockerflow_testkit::image::Node> {
    let mut v = vec![dir("/usr/local", 0o755), dir("/usr/local/bin", 0o755)];
    v.extend(
        names
            .iter()
            .map(|n| file(&format!("/usr/local/bin/{n}"), 0o755, "ELF")),
    );
    v
}

fn labels(extra: &[(&str, &str)]) -> Value {
    let mut l = json!({
        "org.opencontainers.image.source": "https://github.com/example/app",
        "org.opencontainers.image.revision": COMMIT,
        "org.opencontainers.image.version": "v1.0.0"
    });
    for (k, v) in extra {
        l[*k] = json!(v);
    }
    l
}

/// The images each pattern's final stage makes, as the tests build them FROM scratch; where
/// the base image decides, one per base (`image/VARIANT`).
fn image_forms(name: &str) -> Vec<(&'static str, Image)> {
    let service = |p: &str| file(p, 0o755, "ELF");
    let app_passwd = format!("{ROOT_PASSWD}app:x:10001:10001::/app:/usr/sbin/nologin\n");
    let app_group = format!("{ROOT_GROUP}app:x:10001:\n");
    match name {
        "binary-on-path" => {
            let mut layer = usr_local_bin(&["service", "tini"]);
            layer.extend([
                dir("/app/templates", 0o755),
                file("/app/templates/index.html", 0o644, "<html>"),
            ]);
            vec![(
                "image",
                base()
                    .layer(layer)
                    .with("Entrypoint", json!(["tini", "--", "service"])),
            )]
        }
        "busybox-adduser" => vec![(
            "image",
            base()
                .layer(etc(
                    &format!(
                        "{ROOT_PASSWD}app:x:10001:10001:Linux User,,,:/home/app:/sbin/nologin\n"
                    ),
                    &app_group,
                ))
                .layer(usr_local_bin(&["node"]))
                .layer(vec![
                    dir("/app/dist", 0o755),
                    file("/app/dist/server.js", 0o644, "require('http')"),
                ])
                .with("Entrypoint", json!(["node"]))
                .with("Cmd", json!(["dist/server.js"])),
        )],
        "cmd-only-distroless" => vec![(
            "image",
            with_accounts(
                &format!("{ROOT_PASSWD}nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"),
                &format!("{ROOT_GROUP}nonroot:x:65532:\n"),
            )
            .with("User", json!("nonroot"))
            .with("Entrypoint", Value::Null)
            .with("Cmd", json!(["/app/service", "serve"])),
        )],
        "data-volume" => vec![(
            "image",
            base()
                .layer(vec![
                    dir("/app/bin", 0o755),
                    service("/app/bin/service"),
                    dir("/data", 0o755),
                    owned_file("/data/seed.csv", 0o644, 10001, 10001, "id,name\n"),
                ])
                .with("Volumes", json!({"/data": {}}))
                .with("Entrypoint", json!(["/app/bin/service"])),
        )],
        "gid-without-groupadd" => {
            let image = |group: &str| {
                with_accounts(&app_passwd, group).with("Entrypoint", json!(["/app/service"]))
            };
            vec![
                ("image/base-has-app", image(&app_group)),
                (
                    "image/base-gid-other-name",
                    image(&format!("{ROOT_GROUP}runtime:x:10001:\n")),
                ),
            ]
        }
        "id-taken" => vec![(
            "image",
            with_accounts(
                &format!("{ROOT_PASSWD}svc:x:10001:10001::/app:/usr/sbin/nologin\n"),
                &format!("{ROOT_GROUP}svc:x:10001:\n"),
            )
            .with("User", json!("svc"))
            .with("Entrypoint", json!(["/app/service"])),
        )],
        "no-version-json" => vec![(
            "image",
            base()
                .layer(etc(
                    &format!("{ROOT_PASSWD}nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"),
                    &format!("{ROOT_GROUP}nonroot:x:65532:\n"),
                ))
                .layer(vec![
                    whiteout("/app/version.json"),
                    service("/app/service"),
                    dir("/app/static", 0o755),
                    file("/app/static/app.css", 0o644, "body{}"),
                ])
                .with("User", json!("10001:10001"))
                .with("Entrypoint", json!(["/app/service"])),
        )],
        "runtime-in-app" => {
            let mut layer = usr_local_bin(&["gunicorn", "python3.12"]);
            layer.extend([
                dir("/usr/local/lib", 0o755),
                dir("/usr/local/lib/python3.12", 0o755),
                dir("/usr/local/lib/python3.12/site-packages", 0o755),
                file(
                    "/usr/local/lib/python3.12/site-packages/gunicorn.py",
                    0o644,
                    "",
                ),
                file("/tmp/requirements.txt", 0o644, "gunicorn\n"),
            ]);
            vec![(
                "image",
                base()
                    .layer(layer)
                    .layer(vec![
                        file("/app/requirements.txt", 0o644, "gunicorn\n"),
                        dir("/app/app", 0o755),
                        file("/app/app/wsgi.py", 0o644, "application = None\n"),
                    ])
                    .with("Entrypoint", json!(["gunicorn"]))
                    .with(
                        "Cmd",
                        json!(["app.wsgi:application", "--bind", "0.0.0.0:8000"]),
                    ),
            )]
        }
        "script-outside-app" => vec![(
            "image",
            base()
                .layer(vec![
                    dir("/bin", 0o755),
                    file("/bin/busybox", 0o755, "ELF"),
                    symlink("/bin/sh", "busybox"),
                    dir("/app/bin", 0o755),
                    service("/app/bin/migrate"),
                    dir("/opt", 0o755),
                    file("/opt/start.sh", 0o755, "#!/bin/sh\n"),
                ])
                .with("Entrypoint", Value::Null)
                .with(
                    "Cmd",
                    json!([
                        "/bin/sh",
                        "-c",
                        "/app/bin/migrate && exec /opt/start.sh --port $PORT"
                    ]),
                ),
        )],
        "secret-build-arg" => vec![(
            "image",
            base()
                .layer(usr_local_bin(&["node"]))
                .layer(vec![file("/app/server.js", 0o644, "")])
                .history("ARG NPM_TOKEN=npm_AbCdEf0123456789")
                .history(
                    "RUN |1 NPM_TOKEN=npm_AbCdEf0123456789 /bin/sh -c npm ci --omit=dev # buildkit",
                )
                .history("LABEL com.example.db-password=s3cr3t-value")
                .with(
                    "Labels",
                    labels(&[("com.example.db-password", "s3cr3t-value")]),
                )
                .with("Entrypoint", json!(["node"]))
                .with("Cmd", json!(["server.js"])),
        )],
        "secret-env" => vec![(
            "image",
            base()
                .layer(vec![service("/app/service")])
                .with(
                    "Env",
                    json!([
                        "PATH=/usr/local/bin:/usr/bin:/bin",
                        "PORT=8000",
                        "DATABASE_URL=postgres://app:s3cr3t-pw@db.internal:5432/app"
                    ]),
                )
                .with("Entrypoint", json!(["/app/service"])),
        )],
        "srv-service" => vec![(
            "image",
            base()
                .layer(usr_local_bin(&["python3.12"]))
                .layer(vec![
                    dir("/srv", 0o755),
                    dir("/srv/svc", 0o755),
                    dir("/srv/svc/bin", 0o755),
                    file("/srv/svc/bin/run", 0o755, "#!/usr/local/bin/python3.12\n"),
                    file("/srv/svc/app.py", 0o644, ""),
                ])
                .with("WorkingDir", json!("/srv/svc"))
                .with("Entrypoint", json!(["/srv/svc/bin/run"]))
                .with("Cmd", json!(["web"])),
        )],
        "system-user-nogroup" => vec![(
            "image",
            with_accounts(
                &format!("{ROOT_PASSWD}app:x:10001:65534::/home/app:/usr/sbin/nologin\n"),
                &format!("{ROOT_GROUP}nogroup:x:65534:\n"),
            )
            .with("Entrypoint", json!(["/app/service"])),
        )],
        "top-level-dir" => vec![(
            "image",
            base()
                .layer(usr_local_bin(&["node"]))
                .layer(vec![
                    dir("/svc", 0o755),
                    file("/svc/package.json", 0o644, "{}"),
                    file("/svc/server.js", 0o644, ""),
                ])
                .with("WorkingDir", json!("/svc"))
                .with("Entrypoint", Value::Null)
                .with("Cmd", json!(["node", "server.js"])),
        )],
        "user-unset-variable" => vec![(
            "image",
            base()
                .layer(vec![service("/app/service")])
                .with("User", json!(""))
                .with("Entrypoint", json!(["/app/service"])),
        )],
        "useradd-U-own-base" => vec![(
            "image",
            with_accounts(&app_passwd, &app_group)
                .with("User", json!("10001:10001"))
                .with("Entrypoint", json!(["/app/service"])),
        )],
        "useradd-base-decides" => {
            let image = |passwd: &str, group: &str| {
                with_accounts(passwd, group).with("Entrypoint", json!(["/app/service"]))
            };
            vec![
                ("image/usergroups", image(&app_passwd, &app_group)),
                (
                    "image/users-group",
                    image(
                        &format!("{ROOT_PASSWD}app:x:10001:100::/home/app:/bin/sh\n"),
                        &format!("{ROOT_GROUP}users:x:100:\n"),
                    ),
                ),
            ]
        }
        "useradd-no-user-group" => vec![(
            "image",
            with_accounts(
                &format!("{ROOT_PASSWD}app:x:10001:100::/home/app:/bin/sh\n"),
                &format!("{ROOT_GROUP}users:x:100:\n"),
            )
            .with("Entrypoint", json!(["/app/service"])),
        )],
        "useradd-user-groups" => vec![(
            "image",
            base()
                .layer(etc(
                    &format!("{ROOT_PASSWD}app:x:10001:10001::/app:/usr/sbin/nologin\n"),
                    &app_group,
                ))
                .layer(usr_local_bin(&["python"]))
                .layer(vec![
                    dir("/app/src", 0o755),
                    file("/app/src/__main__.py", 0o644, ""),
                ])
                .with("User", json!("app:app"))
                .with("Entrypoint", json!(["python", "-m", "src"])),
        )],
        "version-json-written" => {
            let image = |commit: &str, build: &str| {
                let written = json!({
                    "source": "https://github.com/example/svc",
                    "version": "",
                    "commit": commit,
                    "build": build
                })
                .to_string();
                base()
                    .layer(vec![
                        service("/app/service"),
                        file("/app/version.json", 0o644, &written),
                    ])
                    .with("Entrypoint", json!(["/app/service"]))
            };
            vec![
                // Built without --build-arg: GIT_SHA's default and an empty build.
                ("image/defaults", image("0000000", "")),
                // Built with --build-arg GIT_SHA= (a CI variable that was not set).
                ("image/empty-build-arg", image("", "")),
                (
                    "image/ci-args",
                    image(COMMIT, "https://ci.example/builds/1"),
                ),
            ]
        }
        other => panic!("tests/patterns/{other}.Dockerfile: no image form built in patterns.rs"),
    }
}

/// The pattern Dockerfiles, `tests/patterns/*.Dockerfile`, by name.
fn pattern_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/patterns");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/patterns")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_pattern_has_its_expected_outcomes() {
    let files = pattern_files();
    assert!(files.len() >= 5, "the pattern set is there");
    for f in files {
        assert!(check_pattern(&f) > 0, "{}: no rule named", f.display());
    }
}

#[test]
fn every_pattern_image_has_its_expected_outcomes() {
    let files = pattern_files();
    for f in files {
        assert!(
            check_pattern_images(&f) > 0,
            "{}: no rule named",
            f.display()
        );
    }
}

/// Where the base image decides DF201/DF202, the skip says so: which base, and what in it.
#[test]
fn where_the_base_decides_the_skip_names_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/patterns");
    for (name, base, what) in [
        (
            "useradd-base-decides",
            "registry.example.com/platform/runtime:4",
            "USERGROUPS_ENAB",
        ),
        (
            "gid-without-groupadd",
            "debian:bookworm-slim",
            "does not create",
        ),
    ] {
        let path = dir.join(format!("{name}.Dockerfile"));
        let src = std::fs::read_to_string(&path).expect("the pattern");
        let (model, _) = DockerfileModel::parse(name, &src, None, &[]).expect("a stage");
        let report = check_dockerfile(&model, &Options::default());
        let f = report.finding("DF202").expect("DF202");
        match &f.outcome {
            dockerflow_check::Outcome::Skipped(why) => assert!(
                why.contains(base) && why.contains(what) && why.ends_with("check the built image"),
                "{name}: {why}"
            ),
            other => panic!("{name}: DF202 {other:?}"),
        }
    }
}
