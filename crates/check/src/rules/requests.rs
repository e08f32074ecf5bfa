//! Area 7, CONTRACT.md section 1.9: one `request.summary` record per request, the request id
//! echoed in the response, and carried as `rid` on the records of that request.

use serde_json::Value;

use crate::runtime::{Mode, RuntimeModel};
use crate::schema::{errors, Schema};
use crate::{Judgement, Location, Profile};

/// How many bad records a finding quotes.
const SHOWN: usize = 3;

const SUMMARY_EXPECTED: &str = "one request.summary record per request, valid under contract/request-summary.schema.json (agent, path, method, code, errno, lang, t, rid, uid; Severity 6, or 3 for a 5xx)";
const ECHO_EXPECTED: &str =
    "a valid incoming X-Request-ID (1-128 of [A-Za-z0-9._:-]) sent back in the response's X-Request-ID";
const RID_EXPECTED: &str =
    "the request's id as Fields.rid on the records written while handling it, request.summary included";

fn logs_at(m: &RuntimeModel) -> Location {
    Location {
        path: Some(match m.mode {
            Mode::Logs => m.subject.clone(),
            _ => "stdout, then stderr".to_string(),
        }),
        ..Location::default()
    }
}

/// The JSON records of the logs that are `request.summary`, with their 1-based line numbers.
fn summaries(bytes: &[u8]) -> Vec<(usize, Value)> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, l)| {
            let v: Value = serde_json::from_slice(l).ok()?;
            (v["Type"] == "request.summary").then_some((i + 1, v))
        })
        .collect()
}

pub(crate) fn request_summary(m: &RuntimeModel, _: Profile) -> Judgement {
    let Some(logs) = &m.logs else {
        return Judgement::skipped(m.unobserved("the logs"), SUMMARY_EXPECTED);
    };
    let found = summaries(logs);
    if found.is_empty() {
        return match m.mode {
            // The prober sent requests (Dockerflow endpoints other than /__lbheartbeat__).
            Mode::Container => Judgement::broken(
                "no request.summary record for the requests the check sent",
                SUMMARY_EXPECTED,
                logs_at(m),
            ),
            _ => Judgement::skipped(
                "no request.summary record in these lines; they may show no request",
                SUMMARY_EXPECTED,
            ),
        };
    }
    let mut bad = Vec::new();
    for (line, v) in &found {
        let mut problems = errors(Schema::RequestSummary, v);
        let code = v["Fields"]["code"].as_i64();
        let errno = v["Fields"]["errno"].as_i64();
        if let (Some(c), Some(e)) = (code, errno) {
            if c >= 400 && e != c {
                problems.push(format!("/Fields/errno: {e}, expected the code {c}"));
            }
        }
        if !problems.is_empty() {
            bad.push(format!("line {line}: {}", problems.join("; ")));
        }
    }
    if bad.is_empty() {
        Judgement::pass(
            format!("{} request.summary records, all valid", found.len()),
            SUMMARY_EXPECTED,
            logs_at(m),
        )
    } else {
        let shown: Vec<String> = bad.iter().take(SHOWN).cloned().collect();
        Judgement::broken(
            format!(
                "{} of {} request.summary records break the schema: {}",
                bad.len(),
                found.len(),
                shown.join(" | ")
            ),
            SUMMARY_EXPECTED,
            logs_at(m),
        )
    }
}

pub(crate) fn request_id_echo(m: &RuntimeModel, _: Profile) -> Judgement {
    let Some(probe) = &m.request_id else {
        return Judgement::skipped(m.unobserved("an HTTP exchange"), ECHO_EXPECTED);
    };
    let at = Location::file(&probe.path, None);
    match &probe.answer {
        Err(why) => Judgement::broken(format!("no answer: {why}"), ECHO_EXPECTED, at),
        Ok(x) => match x.header("X-Request-ID") {
            Some(v) if v == probe.sent => Judgement::pass(
                format!("X-Request-ID {} came back", probe.sent),
                ECHO_EXPECTED,
                at,
            ),
            Some(v) => Judgement::broken(
                format!("sent X-Request-ID {}, got back {v:?}", probe.sent),
                ECHO_EXPECTED,
                at,
            ),
            None => Judgement::broken(
                format!(
                    "sent X-Request-ID {}; the response has no X-Request-ID",
                    probe.sent
                ),
                ECHO_EXPECTED,
                at,
            ),
        },
    }
}

pub(crate) fn request_id_in_logs(m: &RuntimeModel, _: Profile) -> Judgement {
    let Some(logs) = &m.logs else {
        return Judgement::skipped(m.unobserved("the logs"), RID_EXPECTED);
    };
    let found = summaries(logs);
    let rid = |v: &Value| v["Fields"]["rid"].as_str().unwrap_or("").to_string();
    match (&m.request_id, m.mode) {
        (Some(probe), Mode::Container) => {
            // The records carrying the sent id: the summary at least.
            let lines: Vec<usize> = logs
                .split(|b| *b == b'\n')
                .enumerate()
                .filter_map(|(i, l)| {
                    let v: Value = serde_json::from_slice(l).ok()?;
                    (v["Fields"]["rid"] == probe.sent.as_str()).then_some(i + 1)
                })
                .collect();
            let summary = found.iter().any(|(_, v)| rid(v) == probe.sent);
            if summary {
                Judgement::pass(
                    format!(
                        "{} records carry rid {} (its request.summary included)",
                        lines.len(),
                        probe.sent
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            } else {
                Judgement::broken(
                    format!(
                        "no request.summary carries rid {} (sent as X-Request-ID to {}); {} records carry it",
                        probe.sent,
                        probe.path,
                        lines.len()
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            }
        }
        _ if found.is_empty() => Judgement::skipped(
            "no request.summary record in these lines (see DF706)",
            RID_EXPECTED,
        ),
        _ => {
            let without: Vec<String> = found
                .iter()
                .filter(|(_, v)| rid(v).is_empty())
                .map(|(l, _)| format!("line {l}"))
                .collect();
            if without.is_empty() {
                Judgement::pass(
                    format!("all {} request.summary records carry a rid", found.len()),
                    RID_EXPECTED,
                    logs_at(m),
                )
            } else {
                Judgement::broken(
                    format!(
                        "{} of {} request.summary records have no rid: {}",
                        without.len(),
                        found.len(),
                        crate::rules::sample(&without, SHOWN)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            }
        }
    }
}
