//! dockerflow-check's tests: one binary, one module per concept. Every rule test goes through
//! `check_rule` (images, in every input form) or `check_dockerfile_rule`.

mod catalogue;
mod dockerfile;
mod ignores;
mod image;
mod kubernetes;
mod patterns;
mod peers;
mod runtime;

use dockerflow_check::{
    check_dockerfile, check_image, DockerfileModel, ImageModel, Options, Outcome, Profile, Report,
    Verdict,
};
use dockerflow_oci::{open, ImageRef, Limits, OpenOptions};

use dockerflow_testkit::image::{Image, FORMS};
use dockerflow_testkit::TempDir;

/// The outcome a test expects for one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Pass,
    Fail,
    Warn,
    Skipped,
}

pub(crate) fn matches(outcome: &Outcome, expect: Expect) -> bool {
    matches!(
        (outcome, expect),
        (Outcome::Pass, Expect::Pass)
            | (Outcome::Fail, Expect::Fail)
            | (Outcome::Warn, Expect::Warn)
            | (Outcome::Skipped(_), Expect::Skipped)
    )
}

fn assert_rule(id: &str, report: &Report, expect: Expect, failing_ids: &[&str], what: &str) {
    let f = report
        .finding(id)
        .unwrap_or_else(|| panic!("{what}: no finding for {id}"));
    assert!(
        matches(&f.outcome, expect),
        "{what}: {id} expected {expect:?}, got {:?}\n  found: {}\n  expected: {}",
        f.outcome,
        f.found,
        f.expected
    );
    assert_eq!(report.failing(), failing_ids, "{what}: the failing rules");
    let verdict = if failing_ids.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    assert_eq!(report.verdict(), verdict, "{what}: verdict");
}

/// The failing rules a fixture that breaks only `id` must show.
fn only(id: &str, expect: Expect) -> Vec<&str> {
    if expect == Expect::Fail {
        vec![id]
    } else {
        vec![]
    }
}

/// Reads an image reference into a model.
pub fn read(reference: &str) -> ImageModel {
    let r = ImageRef::parse(reference).unwrap_or_else(|e| panic!("{reference}: {e}"));
    let src = open(&r, &OpenOptions::default()).unwrap_or_else(|e| panic!("{reference}: {e}"));
    ImageModel::read(src.as_ref(), &Limits::default())
        .unwrap_or_else(|e| panic!("{reference}: {e}"))
}

/// Checks `image` in every input form (OCI layout, oci-archive, docker-archive) and asserts
/// the outcome of rule `id`, the verdict, and that `id` is the only failing rule (when
/// `expect` is `Fail`) or that none fails. Returns the last report.
pub fn check_rule(id: &str, image: &Image, profile: Profile, expect: Expect) -> Report {
    check_rule_with(id, image, profile, expect, &only(id, expect))
}

/// [`check_rule`] for fixtures that break rules together (no /app means no version.json):
/// `failing_ids` are all the rules that must fail, in catalogue order.
pub fn check_rule_with(
    id: &str,
    image: &Image,
    profile: Profile,
    expect: Expect,
    failing_ids: &[&str],
) -> Report {
    let mut last = None;
    for form in FORMS {
        let tmp = TempDir::new("check");
        let reference = image.write(tmp.path(), form);
        let model = read(&reference);
        let options = Options {
            profile,
            ..Options::default()
        };
        let report = check_image(&model, &options);
        assert_rule(
            id,
            &report,
            expect,
            failing_ids,
            &format!("{form:?} ({profile})"),
        );
        last = Some(report);
    }
    last.expect("three forms")
}

/// Checks a Dockerfile and asserts the outcome of rule `id`, the verdict and the failing
/// rules, as [`check_rule`] does.
pub fn check_dockerfile_rule(id: &str, src: &str, profile: Profile, expect: Expect) -> Report {
    check_dockerfile_rule_with(id, src, profile, expect, &only(id, expect))
}

/// [`check_dockerfile_rule`] for Dockerfiles that break several rules.
pub fn check_dockerfile_rule_with(
    id: &str,
    src: &str,
    profile: Profile,
    expect: Expect,
    failing_ids: &[&str],
) -> Report {
    // A build context as CI has it: version.json (written by CI) and nothing secret.
    let context = TempDir::new("context");
    std::fs::write(context.path().join("version.json"), "{}").expect("write version.json");
    let (model, _) = DockerfileModel::parse("Dockerfile", src, None, &[]).expect("a stage");
    let model = model.with_context(context.path(), None);
    let options = Options {
        profile,
        ..Options::default()
    };
    let report = check_dockerfile(&model, &options);
    assert_rule(
        id,
        &report,
        expect,
        failing_ids,
        &format!("Dockerfile ({profile})\n{src}"),
    );
    report
}

/// Every rule id with at least one test where it fails (MUST) or warns (SHOULD): the
/// `catalogue::every_rule_has_a_failing_fixture` test keeps this complete.
pub const BROKEN_FIXTURES: &[(&str, &str)] = &[
    (
        "DF101",
        "image::df101_app_missing_or_empty, image::df101_sources_outside_app, dockerfile::df101_nothing_copied_into_app, patterns (srv-service, top-level-dir, binary-on-path, script-outside-app)",
    ),
    ("DF102", "image::df102_app_writable_by_app_user"),
    ("DF103", "image::df103_world_writable"),
    ("DF104", "image::df104_setuid"),
    (
        "DF105",
        "image::df105_hostile_layers_are_confined_not_fatal",
    ),
    (
        "DF201",
        "image::df201_group, dockerfile::df201_df202_scratch_without_accounts, dockerfile::df201_df202_implicit_groups_agree, patterns (id-taken)",
    ),
    (
        "DF202",
        "image::df202_user, dockerfile::df202_user_without_uid, patterns (id-taken, useradd-no-user-group)",
    ),
    (
        "DF203",
        "image::df203_spellings, dockerfile::df203_user, dockerfile::messages_fit_the_finding, patterns (user-unset-variable, cmd-only-distroless)",
    ),
    (
        "DF301",
        "image::df301_entrypoint_and_cmd, dockerfile::zero2prod_fails",
    ),
    (
        "DF302",
        "image::df302_shell_form, dockerfile::df302_shell_form",
    ),
    ("DF303", "image::df303_port, dockerfile::df303_port"),
    (
        "DF304",
        "image::df304_healthcheck_program_exists, dockerfile::df304_healthcheck_program_exists",
    ),
    (
        "DF401",
        "image::df401_version_json, dockerfile::zero2prod_fails, patterns (no-version-json)",
    ),
    ("DF601", "runtime::df601_port"),
    ("DF602", "runtime::df602_lbheartbeat"),
    ("DF603", "runtime::df603_version"),
    ("DF604", "runtime::df604_df605_heartbeat_up"),
    ("DF605", "runtime::df604_df605_heartbeat_up"),
    ("DF606", "runtime::df606_df607_dependency_down"),
    ("DF607", "runtime::df606_df607_dependency_down"),
    ("DF608", "runtime::df608_df609_head_and_cache"),
    ("DF609", "runtime::df608_df609_head_and_cache"),
    ("DF610", "runtime::df610_static"),
    ("DF701", "runtime::df701_df702_logs"),
    ("DF702", "runtime::df701_df702_logs"),
    ("DF703", "runtime::df703_uid"),
    ("DF704", "runtime::df704_sigterm"),
    ("DF705", "runtime::df705_read_only"),
    ("DF706", "runtime::df706_df707_df708_requests"),
    ("DF707", "runtime::df706_df707_df708_requests"),
    (
        "DF708",
        "runtime::df706_df707_df708_requests, runtime::df708_records_written_while_handling_the_request_carry_its_rid, runtime::df708_check_logs_judges_records_inside_each_summary_span",
    ),
    ("DF402", "image::df402_urls"),
    ("DF403", "image::df403_labels"),
    ("DF404", "image::df404_revision"),
    (
        "DF501",
        "image::df501_secrets, dockerfile::df501_secrets, patterns (secret-build-arg, secret-env, in both forms)",
    ),
    ("DF502", "image::df502_credential_files"),
    ("DF503", "image::df503_deleted_secrets"),
    ("DF801", "kubernetes::df801_heartbeat_probe"),
    ("DF802", "kubernetes::df802_readiness_elsewhere"),
    ("DF803", "kubernetes::df803_liveness_same_as_readiness"),
    ("DF804", "kubernetes::df804_run_as_user"),
    ("DF805", "kubernetes::df805_run_as_non_root"),
    ("DF806", "kubernetes::df806_read_only_root"),
    ("DF807", "kubernetes::df807_writable_tmp"),
    ("DF808", "kubernetes::df808_privilege_escalation"),
    ("DF809", "kubernetes::df809_grace_shorter_than_shutdown"),
    ("DF810", "kubernetes::df810_port_mismatch"),
];
