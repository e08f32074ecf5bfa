//! The runtime rules (areas 6 and 7), judged from hand-made observations: each rule passes on
//! a compliant service's observations and fails or warns on a misbehaving one. The prober that
//! makes real observations is tested in `dockerflow-probe` and the CLI.

use std::time::{Duration, UNIX_EPOCH};

use dockerflow_check::{
    check_image, check_runtime, mozlog_line_errors, DependencyDown, Endpoint, Exchange, Logs, Mode,
    Options, Outcome, Profile, Report, RequestIdProbe, RuntimeModel, Sigterm, Verdict, RULES,
};

const VERSION: &str = r#"{"source":"https://github.com/example/app","version":"v1","commit":"0123456789abcdef0123456789abcdef01234567","build":"https://ci.example/1"}"#;
const MOZLOG: &str = r#"{"Timestamp":1700000000000000000,"Type":"app.start","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{"msg":"listening"}}"#;

const RID: &str = "dockerflow-check-1a2b-3c4d";

/// When the checker sent its X-Request-ID request: a second after MOZLOG's startup record.
const SENT: u64 = 1_700_000_001_000_000_000;

/// A record of `Type` `kind` at `ts`, with `Fields.rid` unless `rid` is empty.
fn record(ts: u64, kind: &str, rid: &str) -> String {
    let rid = if rid.is_empty() {
        String::new()
    } else {
        format!(r#","rid":"{rid}""#)
    };
    format!(
        r#"{{"Timestamp":{ts},"Type":"{kind}","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{"msg":"x"{rid}}}}}"#
    )
}

/// [`summary`] (200) written at `ts`, `t_ms` after the request came in.
fn summary_at(ts: u64, t_ms: u64, rid: &str) -> String {
    summary(200, rid)
        .replace("1700000000000000000", &ts.to_string())
        .replace(r#""t":2"#, &format!(r#""t":{t_ms}"#))
}

/// A request.summary record as CONTRACT.md 1.9 has it.
fn summary(code: u16, rid: &str) -> String {
    let severity = if code >= 500 { 3 } else { 6 };
    let errno = if code >= 400 { code } else { 0 };
    format!(
        r#"{{"Timestamp":1700000000000000000,"Type":"request.summary","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":{severity},"Pid":1,"Fields":{{"msg":"","agent":"dockerflow-check","path":"/__version__","method":"GET","code":{code},"errno":{errno},"lang":"","t":2,"rid":"{rid}","uid":""}}}}"#
    )
}

fn with_header(mut e: Exchange, name: &str, value: &str) -> Exchange {
    e.headers.push((name.into(), value.into()));
    e
}

fn x(status: u16, body: &str) -> Exchange {
    Exchange {
        status,
        headers: vec![("Cache-Control".into(), "no-store".into())],
        body: body.as_bytes().to_vec(),
        elapsed: Duration::from_millis(3),
    }
}

fn endpoint(path: &str, status: u16, body: &str) -> Endpoint {
    Endpoint {
        path: path.into(),
        get: Ok(x(status, body)),
        head: Ok(x(status, "")),
    }
}

/// What a compliant service shows when run by the checker.
fn compliant() -> RuntimeModel {
    let mut m = RuntimeModel::new(Mode::Container, "app:latest");
    m.listening = Some(Ok("127.0.0.1:40001 after 120 ms".into()));
    m.lbheartbeat = Some(endpoint("/__lbheartbeat__", 200, ""));
    m.version = Some(endpoint("/__version__", 200, VERSION));
    m.heartbeat = Some(endpoint(
        "/__heartbeat__",
        200,
        r#"{"status":"ok","checks":{"database":"ok"},"details":{}}"#,
    ));
    m.image_version_json = Some(Some(VERSION.as_bytes().to_vec()));
    m.dependencies_down = vec![DependencyDown {
        var: "DATABASE_URL".into(),
        heartbeat: Ok(x(500, r#"{"status":"error"}"#)),
        lbheartbeat: Ok(x(200, "")),
    }];
    m.logs = Some(Logs::read(
        format!(
            "{MOZLOG}\n{}\n{}\n{MOZLOG}\n",
            record(SENT + 1_000_000, "app.handler", RID),
            summary_at(SENT + 2_000_000, 2, RID)
        )
        .as_bytes(),
    ));
    m.request_id = Some(RequestIdProbe {
        path: "/__version__".into(),
        sent: RID.into(),
        sent_at: Some(UNIX_EPOCH + Duration::from_nanos(SENT)),
        answer: Ok(with_header(x(200, VERSION), "X-Request-ID", RID)),
    });
    m.uid = Some(Ok(10001));
    m.sigterm = Some(Sigterm {
        grace: Duration::from_secs(10),
        exited_after: Some(Duration::from_millis(40)),
        exit_code: Some(0),
        shell_form: false,
    });
    m.static_file = Some(("/static/app.css".into(), Ok(x(200, "body{}"))));
    m.read_only = Some(Ok(()));
    m
}

fn judge(m: &RuntimeModel, profile: Profile) -> Report {
    check_runtime(
        m,
        &Options {
            profile,
            ..Options::default()
        },
    )
}

/// Asserts `id`'s outcome and the exact set of failing rules.
fn assert_rule(m: &RuntimeModel, id: &str, outcome: &str, failing: &[&str]) -> String {
    let r = judge(m, Profile::Strict);
    let f = r.finding(id).expect("finding");
    assert_eq!(f.outcome.as_str(), outcome, "{id}: found {}", f.found);
    assert_eq!(r.failing(), failing, "the failing rules");
    let verdict = if failing.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    assert_eq!(r.verdict(), verdict);
    f.found.clone()
}

#[test]
fn compliant_observations_pass_every_runtime_rule_and_skip_static_ones() {
    for profile in [Profile::Strict, Profile::Mozcloud] {
        let r = judge(&compliant(), profile);
        assert_eq!(r.verdict(), Verdict::Pass);
        for f in &r.findings {
            if f.rule.is_runtime() {
                assert_eq!(f.outcome, Outcome::Pass, "{}: {}", f.rule.id, f.found);
            } else {
                assert!(matches!(f.outcome, Outcome::Skipped(_)), "{}", f.rule.id);
            }
        }
        let rules = RULES.iter().filter(|r| !r.judges_manifests()).count();
        assert_eq!(r.findings.len(), rules, "one finding per rule but DF8xx");
    }
}

#[test]
fn static_checks_skip_runtime_rules_with_a_reason() {
    let tmp = dockerflow_testkit::TempDir::new("runtime");
    let reference = dockerflow_testkit::image::Image::compliant()
        .write(tmp.path(), dockerflow_testkit::image::Form::OciLayout);
    let report = check_image(&crate::read(&reference), &Options::default());
    for f in report.findings.iter().filter(|f| f.rule.is_runtime()) {
        match &f.outcome {
            Outcome::Skipped(why) => assert!(why.contains("--run"), "{}: {why}", f.rule.id),
            other => panic!("{}: {other:?}", f.rule.id),
        }
    }
}

#[test]
fn df601_port() {
    let mut m = compliant();
    m.listening = Some(Err("nothing listened on 127.0.0.1:40001 within 30 s".into()));
    let found = assert_rule(&m, "DF601", "fail", &["DF601"]);
    assert!(found.contains("nothing listened"));
    m.mode = Mode::Url;
    m.listening = None;
    assert_rule(&m, "DF601", "skipped", &[]);
}

#[test]
fn df602_lbheartbeat() {
    let mut m = compliant();
    m.lbheartbeat = Some(endpoint("/__lbheartbeat__", 204, ""));
    let found = assert_rule(&m, "DF602", "fail", &["DF602"]);
    assert!(found.contains("204"), "{found}");
    m.lbheartbeat = Some(Endpoint {
        path: "/__lbheartbeat__".into(),
        get: Err("connection refused".into()),
        head: Err("connection refused".into()),
    });
    assert_rule(&m, "DF602", "fail", &["DF602"]);
}

#[test]
fn df603_version() {
    let mut m = compliant();
    m.version = Some(endpoint("/__version__", 404, "not found"));
    assert_rule(&m, "DF603", "fail", &["DF603"]);
    // Another valid object than the image's file.
    let other = VERSION.replace("v1", "v2");
    m.version = Some(endpoint("/__version__", 200, &other));
    let found = assert_rule(&m, "DF603", "fail", &["DF603"]);
    assert!(found.contains("another object"), "{found}");
    // Re-serialised (python-dockerflow): the same JSON passes.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(VERSION).unwrap())
            .unwrap();
    m.version = Some(endpoint("/__version__", 200, &pretty));
    assert!(assert_rule(&m, "DF603", "pass", &[]).contains("re-serialised"));
    // Invalid keys.
    m.version = Some(endpoint("/__version__", 200, r#"{"commit":"xyz"}"#));
    assert!(assert_rule(&m, "DF603", "fail", &["DF603"]).contains("not a valid version object"));
    // The image has no file at all.
    m.version = Some(endpoint("/__version__", 200, VERSION));
    m.image_version_json = Some(None);
    assert_rule(&m, "DF603", "fail", &["DF603"]);
}

#[test]
fn df604_df605_heartbeat_up() {
    let mut m = compliant();
    m.heartbeat = Some(endpoint("/__heartbeat__", 500, r#"{"status":"error"}"#));
    assert_rule(&m, "DF604", "fail", &["DF604"]);
    m.heartbeat = Some(endpoint("/__heartbeat__", 200, "OK"));
    assert!(assert_rule(&m, "DF605", "warn", &[]).contains("not JSON"));
    m.heartbeat = Some(endpoint("/__heartbeat__", 200, r#"{"status":"fine"}"#));
    assert_rule(&m, "DF605", "warn", &[]);
}

#[test]
fn df606_df607_dependency_down() {
    let mut m = compliant();
    for (status, rule_outcome) in [(200, "fail"), (404, "fail"), (503, "pass")] {
        m.dependencies_down[0].heartbeat = Ok(x(status, "{}"));
        let failing: &[&str] = if rule_outcome == "fail" {
            &["DF606"]
        } else {
            &[]
        };
        assert_rule(&m, "DF606", rule_outcome, failing);
    }
    let mut slow = x(500, "{}");
    slow.elapsed = Duration::from_secs(30);
    m.dependencies_down[0].heartbeat = Ok(slow);
    assert!(assert_rule(&m, "DF606", "fail", &["DF606"]).contains("only after"));
    m.dependencies_down[0].heartbeat = Ok(x(500, "{}"));
    m.dependencies_down[0].lbheartbeat = Ok(x(503, ""));
    assert_rule(&m, "DF607", "fail", &["DF607"]);
    m.dependencies_down.clear();
    assert_rule(&m, "DF606", "skipped", &[]);
    assert_rule(&m, "DF607", "skipped", &[]);
}

#[test]
fn df608_df609_head_and_cache() {
    let mut m = compliant();
    m.version.as_mut().unwrap().head = Ok(x(405, ""));
    assert!(assert_rule(&m, "DF608", "warn", &[]).contains("GET 200 but HEAD 405"));
    let mut m = compliant();
    m.heartbeat
        .as_mut()
        .unwrap()
        .get
        .as_mut()
        .unwrap()
        .headers
        .clear();
    assert!(assert_rule(&m, "DF609", "warn", &[]).contains("/__heartbeat__: no Cache-Control"));
    // Nothing answered: no headers to judge.
    let mut m = compliant();
    for e in [&mut m.lbheartbeat, &mut m.version, &mut m.heartbeat] {
        e.as_mut().unwrap().get = Err("connection refused".into());
    }
    let r = judge(&m, Profile::Strict);
    assert!(matches!(
        r.finding("DF609").unwrap().outcome,
        Outcome::Skipped(_)
    ));
}

#[test]
fn df610_static() {
    let mut m = compliant();
    m.static_file = Some(("/static/app.css".into(), Ok(x(404, ""))));
    assert_rule(&m, "DF610", "fail", &["DF610"]);
    m.static_file = None;
    assert_rule(&m, "DF610", "skipped", &[]);
}

#[test]
fn df701_df702_logs() {
    let mut m = compliant();
    m.logs = Some(Logs::read(&[]));
    assert_rule(&m, "DF701", "fail", &["DF701"]);
    m.logs = Some(Logs::read(
        format!("{MOZLOG}\nstarting server on port 8000\n").as_bytes(),
    ));
    let found = assert_rule(&m, "DF702", "warn", &[]);
    assert!(
        found.contains("1 of 2 lines") && found.contains("line 2 \"starting server"),
        "{found}"
    );
    assert!(mozlog_line_errors(MOZLOG).is_empty());
    let e = mozlog_line_errors(&MOZLOG.replace("\"2.0\"", "\"1.0\""));
    assert!(e.iter().any(|e| e.contains("/EnvVersion")), "{e:?}");
}

#[test]
fn df703_uid() {
    let mut m = compliant();
    m.uid = Some(Ok(0));
    assert_rule(&m, "DF703", "fail", &["DF703"]);
    m.uid = Some(Ok(65532));
    assert_rule(&m, "DF703", "fail", &["DF703"]);
    let r = judge(&m, Profile::Mozcloud);
    assert_eq!(r.finding("DF703").unwrap().outcome, Outcome::Warn);
}

#[test]
fn df704_sigterm() {
    let mut m = compliant();
    m.sigterm = Some(Sigterm {
        grace: Duration::from_secs(3),
        exited_after: None,
        exit_code: None,
        shell_form: true,
    });
    let found = assert_rule(&m, "DF704", "warn", &[]);
    assert!(found.contains("shell form"), "{found}");
    m.sigterm = Some(Sigterm {
        grace: Duration::from_secs(3),
        exited_after: Some(Duration::from_millis(5)),
        exit_code: Some(143),
        shell_form: false,
    });
    assert!(assert_rule(&m, "DF704", "warn", &[]).contains("code 143"));
}

#[test]
fn df705_read_only() {
    let mut m = compliant();
    m.read_only = Some(Err(
        "exited with code 1 before listening: Read-only file system".into(),
    ));
    assert_rule(&m, "DF705", "warn", &[]);
    m.read_only = None;
    assert_rule(&m, "DF705", "skipped", &[]);
}

#[test]
fn df706_df707_df708_requests() {
    // The old fixture's summaries: msg, path and code only, info on a 500, no echo.
    let legacy = r#"{"Timestamp":1700000000000000000,"Type":"request.summary","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{"msg":"request","path":"/__heartbeat__","code":500}}"#;
    let mut m = compliant();
    m.logs = Some(Logs::read(format!("{legacy}\n").as_bytes()));
    let found = assert_rule(&m, "DF706", "warn", &[]);
    assert!(
        found.starts_with("1 of 1 request.summary records break the schema: line 1:"),
        "{found}"
    );
    assert!(
        found.contains("Severity") && found.contains("agent"),
        "{found}"
    );
    assert_rule(&m, "DF708", "warn", &[]);
    // A 5xx at error severity with errno = code is right; errno 0 on a 503 is not.
    m.logs = Some(Logs::read(
        format!("{}\n{}\n", summary(503, RID), summary(200, "other")).as_bytes(),
    ));
    assert_rule(&m, "DF706", "pass", &[]);
    let wrong = summary(503, RID).replace("\"errno\":503", "\"errno\":500");
    m.logs = Some(Logs::read(format!("{wrong}\n").as_bytes()));
    let found = assert_rule(&m, "DF706", "warn", &[]);
    assert!(
        found.contains("errno: 500, expected the code 503"),
        "{found}"
    );
    // No summary at all for the checker's requests.
    m.logs = Some(Logs::read(format!("{MOZLOG}\n").as_bytes()));
    assert_rule(&m, "DF706", "warn", &[]);
    let found = assert_rule(&m, "DF708", "warn", &[]);
    assert!(
        found.starts_with("no request.summary carries rid dockerflow-check-1a2b-3c4d"),
        "{found}"
    );
    // The echo: missing, or another id.
    let mut m = compliant();
    let probe = m.request_id.clone().expect("probe");
    m.request_id = Some(RequestIdProbe {
        answer: Ok(x(200, VERSION)),
        ..probe.clone()
    });
    let found = assert_rule(&m, "DF707", "warn", &[]);
    assert!(
        found.ends_with("the response has no X-Request-ID"),
        "{found}"
    );
    m.request_id = Some(RequestIdProbe {
        answer: Ok(with_header(x(200, VERSION), "x-request-id", "9f1c")),
        ..probe
    });
    assert_rule(&m, "DF707", "warn", &[]);
    // check logs: summaries judged, every one needs a rid; no echo to judge.
    let mut m = RuntimeModel::new(Mode::Logs, "app.log");
    m.logs = Some(Logs::read(
        format!("{}\n{}\n", summary(200, RID), summary(404, "")).as_bytes(),
    ));
    let r = check_runtime(&m, &Options::default());
    assert_eq!(r.finding("DF706").map(|f| f.outcome.as_str()), Some("pass"));
    assert_eq!(
        r.finding("DF707").map(|f| f.outcome.as_str()),
        Some("skipped")
    );
    let f = r.finding("DF708").expect("DF708");
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(
        f.found,
        "1 of 2 request.summary records have no rid: line 2"
    );
}

/// CONTRACT 1.9: `rid` on every record written while handling the request. The checker's own
/// request (one at a time, its X-Request-ID) spans from when it was sent to its summary, in
/// the logs' order; records of a Type that also writes outside any request are not attributed.
#[test]
fn df708_records_written_while_handling_the_request_carry_its_rid() {
    let logs = |lines: &[String]| Some(Logs::read(format!("{}\n", lines.join("\n")).as_bytes()));
    let summary = summary_at(SENT + 2_000_000, 2, RID);
    let mut m = compliant();
    let found = assert_rule(&m, "DF708", "pass", &[]);
    assert_eq!(
        found,
        "2 records written while handling /__version__ carry rid dockerflow-check-1a2b-3c4d (its request.summary included)"
    );
    // The handler's record without rid: the request's, and it breaks the rule.
    let bare = record(SENT + 1_000_000, "app.handler", "");
    m.logs = logs(&[MOZLOG.into(), bare.clone(), summary.clone()]);
    let found = assert_rule(&m, "DF708", "warn", &[]);
    assert_eq!(
        found,
        "1 records written while /__version__ was being handled (sent with X-Request-ID dockerflow-check-1a2b-3c4d; its request.summary is line 3) have no rid: line 2 (app.handler)"
    );
    // The same record before the request was sent (a previous request's, flushed late) is not
    // this request's, even when it comes after the sending in the logs' order.
    let early = record(SENT - 1_000_000, "app.handler", "");
    m.logs = logs(&[MOZLOG.into(), early, summary.clone()]);
    assert_rule(&m, "DF708", "pass", &[]);
    // After the summary in the logs' order: not judged.
    m.logs = logs(&[MOZLOG.into(), summary.clone(), bare.clone()]);
    assert_rule(&m, "DF708", "pass", &[]);
    // A Type that also writes outside any request (at startup, a background job) cannot be
    // told from the request's: said, not failed.
    let background = record(SENT + 1_000_000, "app.start", "");
    m.logs = logs(&[MOZLOG.into(), background, summary.clone()]);
    let found = assert_rule(&m, "DF708", "pass", &[]);
    assert!(
        found.ends_with("not judged: 1 records of a Type that also writes outside any request (startup or background: app.start) cannot be told from the request's"),
        "{found}"
    );
    // Another request's record (a HEALTHCHECK's) is that request's.
    let other = record(SENT + 1_000_000, "app.handler", "9f1c");
    m.logs = logs(&[other, summary.clone()]);
    let found = assert_rule(&m, "DF708", "pass", &[]);
    assert!(
        found.ends_with("not judged: 1 records carry another request's rid"),
        "{found}"
    );
    // No Timestamp in nanoseconds on the summary: only the summary can be judged.
    let seconds = summary.replace(&(SENT + 2_000_000).to_string(), "1700000001");
    m.logs = logs(&[bare.clone(), seconds]);
    let found = assert_rule(&m, "DF708", "pass", &[]);
    assert!(found.ends_with("only the summary judged"), "{found}");
    // Records without a Timestamp between the sending and the summary cannot be placed.
    m.logs = logs(&[
        MOZLOG.into(),
        r#"{"Type":"app.handler","Fields":{"msg":"x"}}"#.into(),
        summary.clone(),
    ]);
    let found = assert_rule(&m, "DF708", "pass", &[]);
    assert!(
        found.ends_with("1 records have no Timestamp in nanoseconds and cannot be placed"),
        "{found}"
    );
}

/// `check logs` has no request of its own: each summary's span is its Timestamp less its `t`
/// (1 ms for rounding), up to the summary in the file's order.
#[test]
fn df708_check_logs_judges_records_inside_each_summary_span() {
    let judge_logs = |lines: &[String]| {
        let mut m = RuntimeModel::new(Mode::Logs, "app.log");
        m.logs = Some(Logs::read(format!("{}\n", lines.join("\n")).as_bytes()));
        let r = check_runtime(&m, &Options::default());
        let f = r.finding("DF708").expect("DF708").clone();
        (f.outcome, f.found)
    };
    let t0 = SENT;
    let ms = 1_000_000;
    // Request A (t = 5 ms) ends at t0 + 10 ms; request B (t = 1 ms) at t0 + 30 ms.
    let good = [
        MOZLOG.to_string(),
        record(t0 + 6 * ms, "app.db", "a"),
        summary_at(t0 + 10 * ms, 5, "a"),
        record(t0 + 20 * ms, "app.tick", ""),
        record(t0 + 29 * ms, "app.db", "b"),
        summary_at(t0 + 30 * ms, 1, "b"),
    ];
    let (outcome, found) = judge_logs(&good);
    assert_eq!(outcome, Outcome::Pass, "{found}");
    assert_eq!(
        found,
        "all 2 request.summary records carry a rid; 2 of 2 request.summary records placed in time (Timestamp and t), 2 records written inside them carry their rid"
    );
    // Inside B's span without rid: broken. app.tick outside every span is background.
    let mut bad = good.to_vec();
    bad[4] = record(t0 + 29_800_000, "app.db", "");
    bad.insert(5, record(t0 + 29 * ms, "app.tick", ""));
    // B's t of 1 ms may be 1.9 ms rounded down: at t0 + 28.5 ms it may not have started.
    bad.insert(4, record(t0 + 28_500_000, "app.cache", ""));
    let (outcome, found) = judge_logs(&bad);
    assert_eq!(outcome, Outcome::Warn, "{found}");
    assert_eq!(
        found,
        "1 records written while a request was surely being handled (after its summary's Timestamp less t, before the summary) have no rid: line 6 (app.db); 2 of 2 request.summary records placed in time (Timestamp and t); not judged: 1 records of a Type that also writes outside any request (startup or background: app.tick) cannot be told from the request's; 1 records without rid written where a request may not have started yet (its t is whole milliseconds)"
    );
    // Summaries without Timestamp or t: only their own rid is judged.
    let unplaced = [
        record(t0, "app.db", ""),
        summary(200, "a").replace(r#""t":2,"#, ""),
    ];
    let (outcome, found) = judge_logs(&unplaced);
    assert_eq!(outcome, Outcome::Pass, "{found}");
    assert!(
        found.contains("0 of 1 request.summary records placed in time"),
        "{found}"
    );
}
