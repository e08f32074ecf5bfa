//! The DF8xx rules, judged from manifests written here: a compliant Deployment passes every
//! one, and each fault fails its rule alone, at the line of the offending key.

use dockerflow_check::kubernetes::{KubernetesModel, Limits};
use dockerflow_check::{check_kubernetes, Options, Outcome, Profile, Report, Verdict, RULES};
use dockerflow_testkit::kubernetes::COMPLIANT_DEPLOYMENT as COMPLIANT;

use crate::{matches, Expect};

fn judge(text: &str, profile: Profile) -> Vec<Report> {
    let mut model = KubernetesModel::default();
    model
        .add("k8s.yaml", text, &Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    check_kubernetes(
        &model,
        &Options {
            profile,
            ..Options::default()
        },
    )
}

/// The 1-based line of the first line containing `needle` (equal to it, when it is indented).
fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l == needle || !needle.starts_with(' ') && l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the manifest")) as u32
        + 1
}

/// Judges `text` (one container) and asserts rule `id`'s outcome, that no other rule fails,
/// and, when given, the line the finding points at.
fn check(id: &str, text: &str, profile: Profile, expect: Expect, line: Option<u32>) -> Report {
    let reports = judge(text, profile);
    assert_eq!(reports.len(), 1, "one container");
    let r = reports.into_iter().next().unwrap();
    let f = r
        .finding(id)
        .unwrap_or_else(|| panic!("no finding for {id}"));
    assert!(
        matches(&f.outcome, expect),
        "{id} expected {expect:?}, got {:?}: {}\n{text}",
        f.outcome,
        f.found
    );
    let want: Vec<&str> = if expect == Expect::Fail {
        vec![id]
    } else {
        vec![]
    };
    assert_eq!(r.failing(), want, "the failing rules\n{text}");
    if let Some(line) = line {
        assert_eq!(f.location.path.as_deref(), Some("k8s.yaml"));
        assert_eq!(f.location.line, Some(line), "{id}: {}\n{text}", f.found);
    }
    r
}

fn fails_at(id: &str, text: &str, needle: &str) -> String {
    let r = check(
        id,
        text,
        Profile::Strict,
        Expect::Fail,
        Some(line_of(text, needle)),
    );
    r.finding(id).unwrap().found.clone()
}

#[test]
fn a_compliant_deployment_passes_every_manifest_rule_and_only_those() {
    for profile in Profile::ALL {
        let reports = judge(COMPLIANT, *profile);
        let r = &reports[0];
        assert_eq!(r.verdict(), Verdict::Pass);
        assert_eq!(r.subject, "k8s.yaml:13 Deployment/web container app");
        let ids: Vec<&str> = r.findings.iter().map(|f| f.rule.id).collect();
        let manifest_rules: Vec<&str> = RULES
            .iter()
            .filter(|r| r.judges_manifests())
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, manifest_rules);
        for f in &r.findings {
            assert_eq!(f.outcome, Outcome::Pass, "{}: {}", f.rule.id, f.found);
            assert!(f.location.line.is_some(), "{} has a line", f.rule.id);
        }
    }
}

#[test]
fn df801_heartbeat_probe() {
    let text = COMPLIANT.replace(
        "            tcpSocket:\n              port: 8000",
        "            httpGet:\n              path: /__heartbeat__\n              port: http",
    );
    let found = fails_at("DF801", &text, "path: /__heartbeat__");
    assert!(found.contains("livenessProbe"), "{found}");
    // Through an exec probe too.
    let text = COMPLIANT.replace(
        "            tcpSocket:\n              port: 8000",
        "            exec:\n              command: [curl, -f, \"http://localhost:8000/__heartbeat__\"]",
    );
    fails_at("DF801", &text, "command: [curl");
}

#[test]
fn df802_readiness_elsewhere() {
    let text = COMPLIANT.replace("path: /__lbheartbeat__", "path: /healthz");
    let found = fails_at("DF802", &text, "path: /healthz");
    assert!(found.contains("/healthz"), "{found}");
    // Missing: at the container.
    let text = COMPLIANT.replace(
        "          readinessProbe:\n            httpGet:\n              path: /__lbheartbeat__\n              port: http\n",
        "",
    );
    fails_at("DF802", &text, "- name: app");
}

#[test]
fn df803_liveness_same_as_readiness() {
    // The same check, the port once by name and once by number.
    let text = COMPLIANT.replace(
        "            tcpSocket:\n              port: 8000",
        "            httpGet:\n              path: /__lbheartbeat__\n              port: 8000",
    );
    fails_at("DF803", &text, "livenessProbe:");
    // No liveness probe passes.
    let text = COMPLIANT.replace(
        "          livenessProbe:\n            tcpSocket:\n              port: 8000\n",
        "",
    );
    check("DF803", &text, Profile::Strict, Expect::Pass, None);
}

#[test]
fn df804_run_as_user() {
    let text = COMPLIANT.replace("runAsUser: 10001", "runAsUser: 1000");
    fails_at("DF804", &text, "runAsUser: 1000");
    check("DF804", &text, Profile::Mozcloud, Expect::Warn, None);
    // The container's setting wins over the pod's.
    let text = COMPLIANT.replace(
        "            readOnlyRootFilesystem: true",
        "            runAsUser: 0\n            readOnlyRootFilesystem: true",
    );
    fails_at("DF804", &text, "runAsUser: 0");
    check("DF804", &text, Profile::Mozcloud, Expect::Fail, None);
    // Missing: at the container's securityContext.
    let text = COMPLIANT.replace("        runAsUser: 10001\n", "");
    fails_at("DF804", &text, "          securityContext:");
}

#[test]
fn df805_run_as_non_root() {
    let text = COMPLIANT.replace("runAsNonRoot: true", "runAsNonRoot: false");
    fails_at("DF805", &text, "runAsNonRoot: false");
}

#[test]
fn df806_read_only_root() {
    let text = COMPLIANT.replace(
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
    );
    fails_at("DF806", &text, "readOnlyRootFilesystem: false");
    // In the pod's securityContext, Kubernetes ignores it.
    let text = COMPLIANT
        .replace("            readOnlyRootFilesystem: true\n", "")
        .replace(
            "        runAsNonRoot: true",
            "        runAsNonRoot: true\n        readOnlyRootFilesystem: true",
        );
    let found = fails_at("DF806", &text, "        readOnlyRootFilesystem: true");
    assert!(found.contains("ignores"), "{found}");
}

#[test]
fn df807_writable_tmp() {
    let text = COMPLIANT.replace("emptyDir: {}", "configMap: {name: files}");
    fails_at("DF807", &text, "        - name: tmp");
    let text = COMPLIANT.replace("mountPath: /tmp", "mountPath: /cache");
    fails_at("DF807", &text, "volumeMounts:");
}

#[test]
fn df808_privilege_escalation() {
    let text = COMPLIANT.replace("            allowPrivilegeEscalation: false\n", "");
    fails_at("DF808", &text, "          securityContext:");
}

#[test]
fn df809_grace_shorter_than_shutdown() {
    let text = COMPLIANT.replace(
        "terminationGracePeriodSeconds: 35",
        "terminationGracePeriodSeconds: 5",
    );
    let found = fails_at("DF809", &text, "terminationGracePeriodSeconds: 5");
    assert!(
        found.contains("28000 ms"),
        "the library's defaults: {found}"
    );
    // From the container's env.
    let text = COMPLIANT.replace(
        "              value: \"8000\"\n",
        "              value: \"8000\"\n            - name: DOCKERFLOW_GRACE_PERIOD_MS\n              value: \"60000\"\n",
    );
    fails_at("DF809", &text, "terminationGracePeriodSeconds: 35");
    // Unset is Kubernetes' 30 s, which covers the defaults.
    let text = COMPLIANT.replace("      terminationGracePeriodSeconds: 35\n", "");
    check("DF809", &text, Profile::Strict, Expect::Pass, None);
}

#[test]
fn df810_port_mismatch() {
    let text = COMPLIANT.replace("containerPort: 8000", "containerPort: 8080");
    let found = fails_at("DF810", &text, "containerPort: 8080");
    assert!(found.contains("8080"), "{found}");
    // A probe on another port.
    let text = COMPLIANT.replace("              port: 8000", "              port: 9000");
    fails_at("DF810", &text, "port: 9000");
    // A probe port name the container does not have.
    let text = COMPLIANT.replace("              port: http", "              port: web");
    fails_at("DF810", &text, "port: web");
}

#[test]
fn jobs_and_cronjobs_skip_the_traffic_rules() {
    let pod = COMPLIANT
        .split_once("  template:\n")
        .unwrap()
        .1
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>();
    let text = format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n{pod}"
    );
    let reports = judge(&text, Profile::Strict);
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert!(
        r.subject.contains("CronJob/nightly container app"),
        "{}",
        r.subject
    );
    for id in ["DF802", "DF803", "DF810"] {
        assert!(
            matches!(r.finding(id).unwrap().outcome, Outcome::Skipped(_)),
            "{id}"
        );
    }
    assert_eq!(r.finding("DF804").unwrap().outcome, Outcome::Pass);
}

/// COMPLIANT with `initContainers` (the YAML `block`, indented as a list under the pod spec).
fn with_init(block: &str) -> String {
    COMPLIANT.replace(
        "      volumes:",
        &format!("      initContainers:\n{block}      volumes:"),
    )
}

const MIGRATE: &str = r"        - name: migrate
          image: web:1
          args: [migrate]
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
          volumeMounts:
            - name: tmp
              mountPath: /tmp
";

#[test]
fn init_containers_are_judged_by_the_security_rules_and_skip_the_traffic_rules() {
    let text = with_init(MIGRATE);
    let reports = judge(&text, Profile::Strict);
    assert_eq!(reports.len(), 2, "the container, then the init container");
    let (app, init) = (&reports[0], &reports[1]);
    assert_eq!(app.verdict(), Verdict::Pass);
    assert_eq!(
        init.subject,
        format!(
            "k8s.yaml:{} Deployment/web init container migrate",
            line_of(&text, "        - name: migrate")
        )
    );
    assert_eq!(init.verdict(), Verdict::Pass);
    for id in ["DF802", "DF803", "DF809", "DF810"] {
        let f = init.finding(id).unwrap();
        assert!(
            matches!(&f.outcome, Outcome::Skipped(why) if why.contains("init container")),
            "{id}: {:?}",
            f.outcome
        );
    }
    for id in ["DF804", "DF805", "DF806", "DF807", "DF808"] {
        assert_eq!(init.finding(id).unwrap().outcome, Outcome::Pass, "{id}");
    }

    // A root init container fails DF804 at its own key; the app container still passes.
    let text = with_init(&MIGRATE.replace(
        "            readOnlyRootFilesystem: true",
        "            runAsUser: 0\n            readOnlyRootFilesystem: true",
    ));
    let reports = judge(&text, Profile::Strict);
    assert_eq!(reports[0].verdict(), Verdict::Pass);
    let f = reports[1].finding("DF804").unwrap();
    assert_eq!(f.outcome, Outcome::Fail, "{}", f.found);
    assert_eq!(
        f.location.line,
        Some(line_of(&text, "            runAsUser: 0"))
    );

    // Without a securityContext of its own it may escalate and write its root filesystem (its
    // /tmp is writable with it, so DF807 holds).
    let text = with_init("        - name: chown\n          image: busybox:1\n");
    let reports = judge(&text, Profile::Strict);
    assert_eq!(
        reports[1].failing(),
        ["DF806", "DF808"],
        "{}",
        reports[1].subject
    );
}

#[test]
fn a_native_sidecar_is_judged_as_a_container() {
    // `restartPolicy: Always` in initContainers: it runs beside the app and may be probed.
    let sidecar = MIGRATE.replace("name: migrate", "name: proxy").replace(
        "          args: [migrate]\n",
        "          restartPolicy: Always\n          readinessProbe:\n            httpGet:\n              path: /__heartbeat__\n              port: 8000\n",
    );
    let text = with_init(&sidecar);
    let reports = judge(&text, Profile::Strict);
    let r = &reports[1];
    assert!(
        r.subject.ends_with("sidecar container proxy"),
        "{}",
        r.subject
    );
    let f = r.finding("DF801").unwrap();
    assert_eq!(f.outcome, Outcome::Fail, "{}", f.found);
    assert_eq!(
        f.location.line,
        Some(line_of(&text, "path: /__heartbeat__"))
    );
    assert!(!matches!(
        r.finding("DF810").unwrap().outcome,
        Outcome::Skipped(_)
    ));
}

/// COMPLIANT with a `proxy` sidecar in `containers` and the workload annotations `annotations`
/// (YAML lines under `metadata.annotations`, indented four spaces).
fn with_proxy(annotations: &str) -> String {
    COMPLIANT
        .replace(
            "metadata:\n  name: web\n",
            &format!("metadata:\n  name: web\n  annotations:\n{annotations}"),
        )
        .replace(
            "      volumes:",
            "        - name: proxy\n          image: proxy:1\n      volumes:",
        )
}

fn ignored(r: &Report, id: &str) -> Option<String> {
    r.finding(id).unwrap().ignored.clone()
}

#[test]
fn annotations_ignore_rules_for_one_container_or_the_whole_workload() {
    let text = with_proxy(
        "    dockerflow/ignore.proxy: \"DF802,DF806,DF808 the proxy serves no traffic\"\n",
    )
    .replace(
        "  template:\n    spec:\n",
        "  template:\n    metadata:\n      annotations:\n        dockerflow/ignore: DF809 the chart sets the grace period\n    spec:\n",
    );
    let reports = judge(&text, Profile::Strict);
    let (app, proxy) = (&reports[0], &reports[1]);
    for id in ["DF802", "DF806", "DF808"] {
        assert_eq!(
            ignored(proxy, id).as_deref(),
            Some("the proxy serves no traffic"),
            "{id}"
        );
        assert_eq!(
            ignored(app, id),
            None,
            "{id}: the app's findings are not ignored"
        );
    }
    assert_eq!(
        proxy.verdict(),
        Verdict::Pass,
        "every failing rule of the proxy ignored"
    );
    // The pod template's annotation is for every container.
    for r in [app, proxy] {
        assert_eq!(
            ignored(r, "DF809").as_deref(),
            Some("the chart sets the grace period")
        );
    }
    // Without the annotations the proxy fails exactly those rules.
    let plain = judge(&with_proxy("    owner: web-team\n"), Profile::Strict);
    assert_eq!(plain[1].failing(), ["DF802", "DF806", "DF808"]);
}

#[test]
fn a_wrong_ignore_annotation_is_refused_at_its_line() {
    for (annotation, says) in [
        (
            "dockerflow/ignore: DF999 no such rule",
            "unknown rule id \"DF999\"",
        ),
        ("dockerflow/ignore: DF802", "needs a reason"),
        ("dockerflow/ignore: \"\"", "no rule id"),
        (
            "dockerflow/ignore.pxy: DF802 typo",
            "no container \"pxy\" in this workload; expected one of app, proxy",
        ),
        (
            "dockerflow/ignored: DF802 typo",
            "unknown annotation \"dockerflow/ignored\"",
        ),
    ] {
        let text = with_proxy(&format!("    {annotation}\n"));
        let mut model = KubernetesModel::default();
        let err = model
            .add("k8s.yaml", &text, &Limits::default())
            .expect_err(annotation);
        assert_eq!(err.line, line_of(&text, annotation), "{annotation}");
        assert!(err.message.contains(says), "{annotation}: {}", err.message);
    }
}

#[test]
fn other_kinds_are_listed_not_judged_and_each_container_is_a_report() {
    let text = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n{}",
        COMPLIANT.replace(
            "      volumes:",
            "        - name: sidecar\n          image: proxy:1\n      volumes:",
        )
    );
    let mut model = KubernetesModel::default();
    model.add("k8s.yaml", &text, &Limits::default()).unwrap();
    assert_eq!(model.skipped.len(), 1);
    assert_eq!(
        (model.skipped[0].line, model.skipped[0].kind.as_str()),
        (2, "Service")
    );
    let reports = check_kubernetes(&model, &Options::default());
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].verdict(), Verdict::Pass);
    // The sidecar has none of it.
    assert_eq!(reports[1].verdict(), Verdict::Fail);
    assert!(reports[1].subject.ends_with("container sidecar"));
}

#[test]
fn a_broken_manifest_is_refused_with_file_and_line() {
    let mut model = KubernetesModel::default();
    let e = model
        .add(
            "bad.yaml",
            "kind: Deployment\nspec:\n  template: [\n",
            &Limits::default(),
        )
        .unwrap_err();
    assert_eq!(e.file, "bad.yaml");
    assert!(e.line >= 3, "{e}");
    let e = model
        .add(
            "bad.yaml",
            "kind: Deployment\nmetadata: {name: x}\n",
            &Limits::default(),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad.yaml:1: Deployment \"x\" has no pod spec; expected spec.template.spec"
    );
}

#[test]
fn every_workload_kind_is_read_and_a_list_s_items_too() {
    let pod = "    spec:\n      containers:\n        - name: c\n          image: i:1\n";
    let template =
        |kind: &str| format!("kind: {kind}\nmetadata:\n  name: w\nspec:\n  template:\n{pod}---\n");
    let mut text: String = ["Deployment", "StatefulSet", "DaemonSet", "Job"]
        .iter()
        .map(|k| template(k))
        .collect();
    text.push_str(
        "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: \"i:1\"}]}\n---\n",
    );
    text.push_str("kind: List\nitems:\n  - kind: Pod\n    metadata: {name: q}\n    spec: {containers: [{name: c}, {name: d}]}\n  - kind: Secret\n");
    let mut model = KubernetesModel::default();
    model.add("all.yaml", &text, &Limits::default()).unwrap();
    let kinds: Vec<&str> = model.containers.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "Pod",
            "Pod",
            "Pod"
        ]
    );
    assert_eq!(model.skipped.len(), 1);
    assert_eq!(model.skipped[0].kind, "Secret");
}

#[test]
fn values_the_manifest_does_not_hold_are_skipped_not_guessed() {
    let text = COMPLIANT.replace(
        "              value: \"8000\"\n",
        "              value: \"8000\"\n            - name: DOCKERFLOW_DRAIN_DELAY_MS\n              valueFrom: {configMapKeyRef: {name: c, key: k}}\n",
    );
    check("DF809", &text, Profile::Strict, Expect::Skipped, None);
    let text = COMPLIANT.replace(
        "              value: \"8000\"",
        "              valueFrom: {configMapKeyRef: {name: c, key: port}}",
    );
    check("DF810", &text, Profile::Strict, Expect::Skipped, None);
}
