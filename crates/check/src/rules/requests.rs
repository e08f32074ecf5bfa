//! Area 7, CONTRACT.md section 1.9: one `request.summary` record per request, the request id
//! echoed in the response, and carried as `rid` on the records of that request.

use std::collections::{BTreeMap, BTreeSet};
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

/// How far back from a summary records without a Timestamp are counted.
const UNPLACED_SCAN: usize = 10_000;

/// The JSON records of the logs in their order, and the placed ones by time.
struct Records {
    all: Vec<Record>,
    /// Indices into `all` of the records with a `Timestamp`, by it.
    by_time: Vec<usize>,
}

impl Records {
    fn read(bytes: &[u8]) -> Records {
        let all: Vec<Record> = bytes
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
            .collect();
        let mut by_time: Vec<usize> = (0..all.len()).filter(|&i| all[i].ts.is_some()).collect();
        by_time.sort_by_key(|&i| all[i].ts);
        Records { all, by_time }
    }

    /// The records written from `start` to `end` (inclusive), by time.
    fn between(&self, start: i128, end: i128) -> &[usize] {
        let ts = |i: &usize| self.all[*i].ts.unwrap_or(i128::MIN);
        let lo = self.by_time.partition_point(|i| ts(i) < start);
        let hi = self.by_time.partition_point(|i| ts(i) <= end).max(lo);
        &self.by_time[lo..hi]
    }
}

/// The time a request was being handled, up to its summary (`all[summary]`), which ends it in
/// the logs' order. It started at `start` at the earliest and at `sure` at the latest: records
/// from `sure` on were surely written while it was handled, those between may precede it.
#[derive(Clone, Copy)]
struct Span {
    start: i128,
    sure: i128,
    end: i128,
    summary: usize,
}

const MS: i128 = 1_000_000;

/// A summary's own span, from its `Timestamp` less its `t`: `t` is whole milliseconds, rounded
/// down or to the nearest, so the request took from `t - 0.5` up to `t + 1` ms.
fn own_span(all: &[Record], i: usize) -> Option<Span> {
    let s = &all[i];
    let end = s.ts?;
    let t = s.t_ms?;
    Some(Span {
        start: end - (t + 1) * MS,
        sure: end - (t * MS - MS / 2).max(0),
        end,
        summary: i,
    })
}

/// What the records inside one or more requests' spans show.
#[derive(Default)]
struct Attributed {
    /// Records carrying their request's rid (the summary not counted).
    with_rid: BTreeSet<usize>,
    /// Records with no rid, attributed to the request: line and `Type`.
    without: BTreeMap<usize, String>,
    /// Records with no rid whose `Type` also writes outside every request: not attributed.
    background: BTreeSet<usize>,
    /// Those `Type`s.
    background_kinds: BTreeSet<String>,
    /// Records carrying another rid: another request's (a health check, a concurrent one).
    other: BTreeSet<usize>,
    /// Records before the summary, back to the last one written before the span, with no
    /// usable `Timestamp`: they cannot be placed.
    unplaced: BTreeSet<usize>,
    /// Records with no rid written where the request may not have started yet (`t` is whole
    /// milliseconds).
    edge: BTreeSet<usize>,
}

/// The `Type`s of records with no rid written outside every span: startup and background
/// loggers, whose records inside a span cannot be told from the request's.
fn background_kinds(r: &Records, spans: &[Span]) -> BTreeSet<String> {
    // The spans' union, as sorted disjoint intervals.
    let mut intervals: Vec<(i128, i128)> = spans.iter().map(|s| (s.start, s.end)).collect();
    intervals.sort_unstable();
    let mut merged: Vec<(i128, i128)> = Vec::new();
    for (a, b) in intervals {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let inside = |t: i128| {
        let k = merged.partition_point(|iv| iv.0 <= t);
        k > 0 && t <= merged[k - 1].1
    };
    r.all
        .iter()
        .filter(|x| !x.summary && x.rid.is_none())
        .filter(|x| x.ts.is_some_and(|t| !inside(t)))
        .map(|x| x.kind.clone())
        .collect()
}

/// Adds what the records of `span` show to `a`.
fn attribute(r: &Records, span: &Span, background: &BTreeSet<String>, a: &mut Attributed) {
    let summary = &r.all[span.summary];
    let rid = summary.rid.as_deref();
    for &i in r.between(span.start, span.end) {
        let x = &r.all[i];
        if x.summary || x.line >= summary.line {
            continue;
        }
        match x.rid.as_deref() {
            Some(v) if Some(v) == rid => {
                a.with_rid.insert(x.line);
            }
            Some(_) => {
                a.other.insert(x.line);
            }
            None if background.contains(&x.kind) => {
                a.background.insert(x.line);
                a.background_kinds.insert(x.kind.clone());
            }
            None if x.ts.is_some_and(|t| t >= span.sure) => {
                a.without.insert(x.line, x.kind.clone());
            }
            None => {
                a.edge.insert(x.line);
            }
        }
    }
    // Going back from the summary: records with no Timestamp until one written before `start`.
    a.unplaced.extend(
        r.all[..span.summary]
            .iter()
            .rev()
            .take(UNPLACED_SCAN)
            .take_while(|x| x.ts.is_none_or(|t| t >= span.start))
            .filter(|x| x.ts.is_none())
            .map(|x| x.line),
    );
}

/// What was not judged, for the found text ("" when everything was).
fn not_judged(a: &Attributed) -> String {
    let mut parts = Vec::new();
    if !a.background.is_empty() {
        let kinds: Vec<&str> = a.background_kinds.iter().map(String::as_str).collect();
        parts.push(format!(
            "{} records of a Type that also writes outside any request (startup or background: {}) cannot be told from the request's",
            a.background.len(),
            kinds.join(", ")
        ));
    }
    if !a.other.is_empty() {
        parts.push(format!(
            "{} records carry another request's rid",
            a.other.len()
        ));
    }
    // Surely inside another request's span: attributed there.
    let edge = a.edge.iter().filter(|l| !a.without.contains_key(l)).count();
    if edge > 0 {
        parts.push(format!(
            "{edge} records without rid written where a request may not have started yet (its t is whole milliseconds)"
        ));
    }
    if !a.unplaced.is_empty() {
        parts.push(format!(
            "{} records have no Timestamp in nanoseconds and cannot be placed",
            a.unplaced.len()
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; not judged: {}", parts.join("; "))
    }
}

/// The first lines of `without`, as `line N (Type)`.
fn lines(without: &BTreeMap<usize, String>) -> String {
    let named: Vec<String> = without
        .iter()
        .map(|(l, k)| format!("line {l} ({k})"))
        .collect();
    crate::rules::sample(&named, SHOWN)
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
    let r = Records::read(logs);
    let summaries: Vec<usize> = (0..r.all.len()).filter(|&i| r.all[i].summary).collect();
    // Every summary placed in time is a request's span; the probe's starts when it was sent.
    let mut spans: Vec<Span> = summaries
        .iter()
        .filter_map(|&i| own_span(&r.all, i))
        .collect();
    match (&m.request_id, m.mode) {
        (Some(probe), Mode::Container) => {
            let sent = Some(probe.sent.as_str());
            let Some(&s) = summaries.iter().find(|&&i| r.all[i].rid.as_deref() == sent) else {
                let carrying = r.all.iter().filter(|x| x.rid.as_deref() == sent).count();
                return Judgement::broken(
                    format!(
                        "no request.summary carries rid {} (sent as X-Request-ID to {}); {carrying} records carry it",
                        probe.sent, probe.path
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            };
            let summary = &r.all[s];
            let start = probe
                .sent_at
                .and_then(ns)
                .or_else(|| own_span(&r.all, s).map(|x| x.start));
            let (Some(start), Some(end)) = (start, summary.ts) else {
                return Judgement::pass(
                    format!(
                        "its request.summary (line {}) carries rid {}; the records written before it cannot be placed in time (no Timestamp in nanoseconds on the summary): only the summary judged",
                        summary.line, probe.sent
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            };
            spans.retain(|x| x.summary != s);
            let span = Span {
                start,
                sure: start,
                end,
                summary: s,
            };
            spans.push(span);
            let background = background_kinds(&r, &spans);
            let mut a = Attributed::default();
            attribute(&r, &span, &background, &mut a);
            if a.without.is_empty() {
                Judgement::pass(
                    format!(
                        "{} records written while handling {} carry rid {} (its request.summary included){}",
                        a.with_rid.len() + 1,
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
                        "{} records written while {} was being handled (sent with X-Request-ID {}; its request.summary is line {}) have no rid: {}{}",
                        a.without.len(),
                        probe.path,
                        probe.sent,
                        summary.line,
                        lines(&a.without),
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
                .filter(|&&i| r.all[i].rid.is_none())
                .map(|&i| format!("line {}", r.all[i].line))
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
            // The records inside each summary's span (its Timestamp less t, up to the summary).
            let background = background_kinds(&r, &spans);
            let mut a = Attributed::default();
            for span in &spans {
                attribute(&r, span, &background, &mut a);
            }
            // Concurrent requests overlap: a record with another summary's rid is that one's.
            a.other.clear();
            let placed = format!(
                "{} of {} request.summary records placed in time (Timestamp and t)",
                spans.len(),
                summaries.len()
            );
            if a.without.is_empty() {
                Judgement::pass(
                    format!(
                        "all {} request.summary records carry a rid; {placed}, {} records written inside them carry their rid{}",
                        summaries.len(),
                        a.with_rid.len(),
                        not_judged(&a)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            } else {
                Judgement::broken(
                    format!(
                        "{} records written while a request was surely being handled (after its summary's Timestamp less t, before the summary) have no rid: {}; {placed}{}",
                        a.without.len(),
                        lines(&a.without),
                        not_judged(&a)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            }
        }
    }
}
