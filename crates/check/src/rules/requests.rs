//! Area 7, CONTRACT.md section 1.9: one `request.summary` record per request, the request id
//! echoed in the response, and carried as `rid` on the records of that request.

use std::time::{SystemTime, UNIX_EPOCH};

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

/// One JSON record of the logs, as DF708 reads it.
struct Record {
    /// 1-based line number in the logs (stdout, then stderr).
    line: usize,
    /// `Timestamp` in nanoseconds since the epoch, when it is one (a plausible integer).
    ts: Option<i128>,
    /// `Type`.
    kind: String,
    /// `Fields.rid`, when a non-empty string.
    rid: Option<String>,
    /// `Type` is `request.summary`.
    summary: bool,
    /// A summary's `Fields.t` (milliseconds).
    t_ms: Option<i128>,
}

/// A mozlog `Timestamp` is nanoseconds since the epoch; a smaller number (seconds,
/// milliseconds) cannot be placed against the checker's clock.
const NS_PLAUSIBLE: i128 = 100_000_000_000_000_000;

fn records(bytes: &[u8]) -> Vec<Record> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, l)| {
            let v: Value = serde_json::from_slice(l).ok()?;
            v.as_object()?;
            let num = |x: &Value| {
                x.as_i64()
                    .map(i128::from)
                    .or_else(|| x.as_u64().map(i128::from))
            };
            let rid = v["Fields"]["rid"]
                .as_str()
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            Some(Record {
                line: i + 1,
                ts: num(&v["Timestamp"]).filter(|t| *t >= NS_PLAUSIBLE),
                kind: v["Type"].as_str().unwrap_or("").to_string(),
                rid,
                summary: v["Type"] == "request.summary",
                t_ms: num(&v["Fields"]["t"]).filter(|t| *t >= 0),
            })
        })
        .collect()
}

/// The time a request was being handled: from `start` to its summary, which ends it in the
/// logs' order.
struct Span<'a> {
    start: i128,
    summary: &'a Record,
}

impl Span<'_> {
    fn holds(&self, r: &Record) -> bool {
        r.line < self.summary.line && r.ts.is_some_and(|t| t >= self.start)
    }
}

/// A summary's own span: its `Timestamp` less its `t` (and 1 ms for `t`'s rounding down).
fn own_span(s: &Record) -> Option<Span<'_>> {
    Some(Span {
        start: s.ts? - (s.t_ms? + 1) * 1_000_000,
        summary: s,
    })
}

/// What the records inside one request's span show.
#[derive(Default)]
struct Attributed {
    /// Records carrying the request's rid (its summary not counted).
    with_rid: usize,
    /// Lines of records with no rid, attributed to the request.
    without: Vec<String>,
    /// Records with no rid whose `Type` also writes outside every request: not attributed.
    background: Vec<usize>,
    /// Those `Type`s.
    background_kinds: Vec<String>,
    /// Records carrying another rid: another request's (a health check, a concurrent one).
    other: usize,
    /// Records between the last one written before the span and the summary that have no
    /// usable `Timestamp`: they cannot be placed.
    unplaced: usize,
}

/// The `Type`s of records with no rid written outside every span: startup and background
/// loggers, whose records inside a span cannot be told from the request's.
fn background_kinds(all: &[Record], spans: &[Span]) -> std::collections::BTreeSet<String> {
    all.iter()
        .filter(|r| !r.summary && r.rid.is_none() && r.ts.is_some())
        .filter(|r| {
            !spans
                .iter()
                .any(|s| r.ts >= Some(s.start) && r.ts <= s.summary.ts)
        })
        .map(|r| r.kind.clone())
        .collect()
}

fn attribute(
    all: &[Record],
    span: &Span,
    background: &std::collections::BTreeSet<String>,
) -> Attributed {
    let rid = span.summary.rid.as_deref();
    let mut a = Attributed::default();
    for r in all.iter().filter(|r| !r.summary && span.holds(r)) {
        match r.rid.as_deref() {
            Some(x) if Some(x) == rid => a.with_rid += 1,
            Some(_) => a.other += 1,
            None if background.contains(&r.kind) => {
                a.background.push(r.line);
                if !a.background_kinds.contains(&r.kind) {
                    a.background_kinds.push(r.kind.clone());
                }
            }
            None => a.without.push(format!("line {} ({})", r.line, r.kind)),
        }
    }
    // Going back from the summary: records with no Timestamp until one written before `start`.
    a.unplaced = all
        .iter()
        .rev()
        .filter(|r| r.line < span.summary.line)
        .take_while(|r| r.ts.is_none_or(|t| t >= span.start))
        .filter(|r| r.ts.is_none())
        .count();
    a
}

/// What was not judged, for the found text ("" when everything was).
fn not_judged(a: &Attributed) -> String {
    let mut parts = Vec::new();
    if !a.background.is_empty() {
        parts.push(format!(
            "{} records of a Type that also writes outside any request (startup or background: {}) cannot be told from the request's",
            a.background.len(),
            a.background_kinds.join(", ")
        ));
    }
    if a.other > 0 {
        parts.push(format!("{} records carry another request's rid", a.other));
    }
    if a.unplaced > 0 {
        parts.push(format!(
            "{} records have no Timestamp in nanoseconds and cannot be placed",
            a.unplaced
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; not judged: {}", parts.join("; "))
    }
}

fn ns(t: SystemTime) -> Option<i128> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_nanos() as i128)
}

pub(crate) fn request_id_in_logs(m: &RuntimeModel, _: Profile) -> Judgement {
    let Some(logs) = &m.logs else {
        return Judgement::skipped(m.unobserved("the logs"), RID_EXPECTED);
    };
    let all = records(logs);
    let summaries: Vec<&Record> = all.iter().filter(|r| r.summary).collect();
    // Every summary placed in time is a request's span; the probe's starts when it was sent.
    let mut spans: Vec<Span> = summaries.iter().filter_map(|s| own_span(s)).collect();
    match (&m.request_id, m.mode) {
        (Some(probe), Mode::Container) => {
            let Some(summary) = summaries
                .iter()
                .find(|s| s.rid.as_deref() == Some(probe.sent.as_str()))
            else {
                let carrying = all
                    .iter()
                    .filter(|r| r.rid.as_deref() == Some(probe.sent.as_str()))
                    .count();
                return Judgement::broken(
                    format!(
                        "no request.summary carries rid {} (sent as X-Request-ID to {}); {carrying} records carry it",
                        probe.sent, probe.path
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            };
            let start = probe
                .sent_at
                .and_then(ns)
                .or_else(|| own_span(summary).map(|s| s.start));
            let (Some(start), Some(_)) = (start, summary.ts) else {
                return Judgement::pass(
                    format!(
                        "its request.summary (line {}) carries rid {}; the records written before it cannot be placed in time (no Timestamp in nanoseconds on the summary): only the summary judged",
                        summary.line, probe.sent
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            };
            spans.retain(|s| s.summary.line != summary.line);
            spans.push(Span { start, summary });
            let span = spans.last().expect("just pushed");
            let background = background_kinds(&all, &spans);
            let a = attribute(&all, span, &background);
            if a.without.is_empty() {
                Judgement::pass(
                    format!(
                        "{} records written while handling {} carry rid {} (its request.summary included){}",
                        a.with_rid + 1,
                        probe.path,
                        probe.sent,
                        not_judged(&a)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            } else {
                Judgement::broken(
                    format!(
                        "{} records written while handling {} (sent with X-Request-ID {}, before its request.summary on line {}) have no rid: {}{}",
                        a.without.len(),
                        probe.path,
                        probe.sent,
                        summary.line,
                        crate::rules::sample(&a.without, SHOWN),
                        not_judged(&a)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            }
        }
        _ if summaries.is_empty() => Judgement::skipped(
            "no request.summary record in these lines (see DF706)",
            RID_EXPECTED,
        ),
        _ => {
            let without: Vec<String> = summaries
                .iter()
                .filter(|s| s.rid.is_none())
                .map(|s| format!("line {}", s.line))
                .collect();
            if !without.is_empty() {
                return Judgement::broken(
                    format!(
                        "{} of {} request.summary records have no rid: {}",
                        without.len(),
                        summaries.len(),
                        crate::rules::sample(&without, SHOWN)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            }
            // The records inside each summary's span ([Timestamp - t, Timestamp], before it).
            let background = background_kinds(&all, &spans);
            let mut total = Attributed::default();
            for span in &spans {
                let a = attribute(&all, span, &background);
                total.with_rid += a.with_rid;
                total.other += a.other;
                total.unplaced = total.unplaced.max(a.unplaced);
                for l in a.without {
                    if !total.without.contains(&l) {
                        total.without.push(l);
                    }
                }
                for l in a.background {
                    if !total.background.contains(&l) {
                        total.background.push(l);
                    }
                }
                for k in a.background_kinds {
                    if !total.background_kinds.contains(&k) {
                        total.background_kinds.push(k);
                    }
                }
            }
            // A record with another summary's rid inside an overlapping span is that request's.
            total.other = 0;
            let placed = format!(
                "{} of {} request.summary records placed in time (Timestamp and t)",
                spans.len(),
                summaries.len()
            );
            if total.without.is_empty() {
                Judgement::pass(
                    format!(
                        "all {} request.summary records carry a rid; {placed}, {} records written inside them carry their rid{}",
                        summaries.len(),
                        total.with_rid,
                        not_judged(&total)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            } else {
                total.without.sort_by_key(|l| {
                    l.trim_start_matches("line ")
                        .split(' ')
                        .next()
                        .and_then(|n| n.parse::<usize>().ok())
                });
                Judgement::broken(
                    format!(
                        "{} records written while a request was handled (between its start, the summary's Timestamp less t, and its summary) have no rid: {}; {placed}{}",
                        total.without.len(),
                        crate::rules::sample(&total.without, SHOWN),
                        not_judged(&total)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            }
        }
    }
}
