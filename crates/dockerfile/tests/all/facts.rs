//! The facts API a checker calls.

use crate::common::{cmd_text, facts};
use dockerflow_dockerfile::{parse, Form, Healthcheck};

#[test]
fn nothing_set_is_none() {
    let f = facts("FROM a\n");
    assert!(f.user.is_none());
    assert!(f.entrypoint.is_none());
    assert!(f.cmd.is_none());
    assert!(f.workdir.is_none());
    assert!(f.env.is_empty() && f.labels.is_empty() && f.expose.is_empty());
}

#[test]
fn no_stage_no_facts() {
    let (df, errors) = parse("");
    assert!(df.facts().is_none());
    assert_eq!(
        errors[0].to_string(),
        "line 1, column 1: expected at least one FROM instruction, found none"
    );
}

#[test]
fn last_user_wins_with_its_span() {
    let src = "FROM a\nUSER root\nRUN x\nUSER app\n";
    let f = facts(src);
    let user = f.user.unwrap();
    assert_eq!(user.value, "app");
    assert_eq!((user.span.line, user.span.column), (4, 1));
    assert_eq!(user.span.text(src), "USER app");
}

#[test]
fn command_forms() {
    let f = facts("FROM a\nENTRYPOINT [\"npm\"]\nCMD start\n");
    assert_eq!(f.entrypoint.as_ref().unwrap().value.form(), Form::Exec);
    assert_eq!(f.cmd.as_ref().unwrap().value.form(), Form::Shell);
    assert_eq!(cmd_text(&f.cmd), "shell[start]");
}

#[test]
fn env_and_labels_keep_first_order_and_last_value() {
    let f = facts("FROM a\nENV A=1 B=2\nENV A=3\nLABEL x=1\nLABEL y=2 x=3\n");
    let env: Vec<(&str, &str)> = f
        .env
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(env, [("A", "3"), ("B", "2")]);
    assert_eq!(f.env[0].span.line, 3);
    let labels: Vec<(&str, &str)> = f
        .labels
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(labels, [("x", "3"), ("y", "2")]);
}

#[test]
fn healthcheck_shell_stopsignal() {
    let f = facts(
        "FROM a\nHEALTHCHECK CMD [\"true\"]\nSHELL [\"/bin/bash\", \"-c\"]\nSTOPSIGNAL SIGQUIT\n",
    );
    assert!(matches!(f.healthcheck.unwrap().value, Healthcheck::Cmd(_)));
    assert_eq!(f.shell.unwrap().value, ["/bin/bash", "-c"]);
    assert_eq!(f.stopsignal.unwrap().value, "SIGQUIT");
}

#[test]
fn copies() {
    let f = facts(
        "FROM a\nWORKDIR /app\nCOPY --from=build --chmod=0444 /out/bin ./bin\nADD x.tgz /opt/\n",
    );
    assert_eq!(f.copies.len(), 2);
    let c = &f.copies[0];
    assert_eq!(
        (
            c.keyword,
            c.from.as_deref(),
            c.chmod.as_deref(),
            c.path.as_str()
        ),
        ("COPY", Some("build"), Some("0444"), "/app/./bin")
    );
    assert_eq!(c.sources, ["/out/bin"]);
    assert_eq!(f.copies[1].keyword, "ADD");
}

#[test]
fn user_and_group_lookup() {
    let f = facts("FROM a\nRUN groupadd -g 1 g && useradd -u 2 -g g u\n");
    assert_eq!(
        f.user_decl("u").unwrap().primary_group.as_deref(),
        Some("g")
    );
    assert_eq!(f.group_decl("g").unwrap().gid, Some(1));
    assert!(f.user_decl("nobody").is_none());
}
