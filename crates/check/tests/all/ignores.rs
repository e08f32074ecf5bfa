//! Ignores: a reason is required; ignored failures do not fail the verdict.

use dockerflow_check::{check_dockerfile, DockerfileModel, Ignores, Options, Outcome, Verdict};

#[test]
fn ignore_needs_a_reason_and_a_known_rule() {
    let mut i = Ignores::default();
    let e = i.add_flag("DF201").unwrap_err();
    assert_eq!(
        e.to_string(),
        "--ignore: ignoring DF201 needs a reason; expected `--ignore 'DF201=why it does not apply here'`"
    );
    assert!(i.add_flag("DF201=  ").is_err());
    let e = i.add_flag("DF999=because").unwrap_err();
    assert!(e.to_string().contains("unknown rule id \"DF999\""), "{e}");
    i.add_flag("df201=base image provides the group")
        .expect("ok");
    assert_eq!(
        i.get("DF201").map(|x| x.reason.as_str()),
        Some("base image provides the group")
    );
}

#[test]
fn ignore_file() {
    let mut i = Ignores::default();
    i.add_file(
        "# comment\n\nDF303 the chart sets PORT\nDF501=test fixture\n",
        ".dockerflow-check",
    )
    .expect("ok");
    assert_eq!(i.iter().count(), 2);
    let e = i
        .add_file("DF303 ok\nDF203\n", ".dockerflow-check")
        .unwrap_err();
    assert_eq!(e.origin, ".dockerflow-check:2");
    assert!(e.message.contains("needs a reason"), "{e}");
}

#[test]
fn ignored_failure_is_reported_but_does_not_fail() {
    let src = "FROM debian\nCOPY . /app\nENTRYPOINT [\"/app/x\"]\nCMD [\"y\"]\n";
    let (m, _) = DockerfileModel::parse("Dockerfile", src, None, &[]).expect("stage");
    let r = check_dockerfile(&m, &Options::default());
    assert_eq!(r.verdict(), Verdict::Fail);
    let mut options = Options::default();
    options
        .ignores
        .add_flag("DF203=runs under a PSP that sets runAsUser")
        .expect("ok");
    let r = check_dockerfile(&m, &options);
    assert_eq!(r.verdict(), Verdict::Pass);
    let f = r.finding("DF203").expect("DF203");
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(
        f.ignored.as_deref(),
        Some("runs under a PSP that sets runAsUser")
    );
    assert_eq!(r.summary().ignored, 1);
}
