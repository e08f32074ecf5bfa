//! Real-world-shaped Dockerfiles (reconstructions; see each fixture's header comment).

use crate::common::{cmd_text, facts};
use dockerflow_dockerfile::Form;

const REFERENCE_APP: &str = include_str!("../fixtures/reference-app.Dockerfile");
const PYTHON_DJANGO: &str = include_str!("../fixtures/python-django.Dockerfile");
const ZERO2PROD: &str = include_str!("../fixtures/zero2prod.Dockerfile");
const DISTROLESS_GO: &str = include_str!("../fixtures/distroless-go.Dockerfile");
const ALPINE: &str = include_str!("../fixtures/alpine.Dockerfile");

pub(crate) const ALL: [&str; 5] = [
    REFERENCE_APP,
    PYTHON_DJANGO,
    ZERO2PROD,
    DISTROLESS_GO,
    ALPINE,
];

#[test]
fn reference_app() {
    let f = facts(REFERENCE_APP);
    assert_eq!(f.base.reference, "node:12-slim");
    assert_eq!(f.user.as_ref().unwrap().value, "app");
    assert_eq!(f.user.as_ref().unwrap().span.line, 24);
    assert_eq!(cmd_text(&f.entrypoint), "exec[\"npm\"]");
    assert_eq!(cmd_text(&f.cmd), "exec[\"start\"]");
    assert_eq!(f.workdir.as_ref().unwrap().value, "/app");
    assert_eq!(f.env("PORT"), Some("8000"));
    assert_eq!(f.expose[0].value, "8000");
    let app = f.user_decl("app").unwrap();
    assert_eq!(
        (app.uid, app.primary_group.as_deref()),
        (Some(10001), Some("10001"))
    );
    assert_eq!(f.group_decl("app").unwrap().gid, Some(10001));
    assert_eq!(f.copies.last().unwrap().path, "/app");
    assert_eq!(f.runs.len(), 2);
}

#[test]
fn python_django() {
    let f = facts(PYTHON_DJANGO);
    assert_eq!(f.stage_name.as_deref(), Some("production"));
    assert_eq!(f.root_base.reference, "python:3.12-slim");
    assert_eq!(f.lineage, vec![0, 2]);
    assert_eq!(f.user.as_ref().unwrap().value, "app");
    assert_eq!(f.expose[0].value, "8000");
    assert_eq!(f.env("PYTHONUNBUFFERED"), Some("1"));
    let app = f.user_decl("app").unwrap();
    assert_eq!(
        (app.uid, app.primary_group.as_deref()),
        (Some(10001), Some("app"))
    );
    assert_eq!(f.group_decl("app").unwrap().gid, Some(10001));
    assert_eq!(f.entrypoint.as_ref().unwrap().value.form(), Form::Exec);
    assert_eq!(cmd_text(&f.cmd), "exec[\"web\"]");
    // The builder stage's pip install is not an ancestor of production.
    assert!(f.runs.iter().all(|r| r.stage != 1));
    assert_eq!(f.runs.len(), 3);
}

#[test]
fn zero2prod_is_the_negative_example() {
    let f = facts(ZERO2PROD);
    assert_eq!(f.stage_name.as_deref(), Some("runtime"));
    assert_eq!(f.base.reference, "debian:bookworm-slim");
    assert!(f.user.is_none(), "no USER: runs as root");
    assert!(f.cmd.is_none(), "ENTRYPOINT only");
    assert_eq!(cmd_text(&f.entrypoint), "exec[\"./zero2prod\"]");
    assert_eq!(f.env("APP_ENVIRONMENT"), Some("production"));
    assert!(f.users.is_empty());
    assert_eq!(f.copies[0].from.as_deref(), Some("builder"));
    assert_eq!(f.copies[0].path, "/app/zero2prod");
    // The comment inside the continued RUN is skipped.
    assert!(f.runs[0]
        .command
        .to_line()
        .contains("&& apt-get autoremove -y"));
    assert!(!f.runs[0].command.to_line().contains("Clean up"));
}

#[test]
fn distroless_go() {
    let (df, errors) = dockerflow_dockerfile::parse(DISTROLESS_GO);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(df.stages[0].base.reference, "golang:1.22");
    let f = facts(DISTROLESS_GO);
    assert_eq!(
        f.base.reference,
        "gcr.io/distroless/static-debian12:nonroot"
    );
    assert!(!f.base.is_stage());
    assert_eq!(f.user.as_ref().unwrap().value, "nonroot:nonroot");
    assert!(f.entrypoint.is_none());
    assert_eq!(cmd_text(&f.cmd), "exec[\"/server\"]");
    assert!(f.healthcheck.is_some());
    assert!(f.copies.iter().any(|c| c.path == "/app/version.json"));
    assert!(f.runs.is_empty());
}

#[test]
fn alpine() {
    let f = facts(ALPINE);
    let app = f.user_decl("app").unwrap();
    assert_eq!(
        (app.uid, app.primary_group.as_deref()),
        (Some(10001), Some("app"))
    );
    assert_eq!(f.group_decl("app").unwrap().gid, Some(10001));
    assert_eq!(f.user.as_ref().unwrap().value, "app");
    assert_eq!(
        f.label("org.opencontainers.image.source"),
        Some("https://github.com/example/service")
    );
    assert_eq!(cmd_text(&f.entrypoint), "exec[\"/sbin/tini\", \"--\"]");
    assert_eq!(f.copies[0].chown.as_deref(), Some("app:app"));
}
