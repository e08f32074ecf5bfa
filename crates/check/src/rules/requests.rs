//! Area 7, CONTRACT.md section 1.9: one `request.summary` record per request, the request id
//! echoed in the response, and carried as `rid` on the records of that request.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::logs::{Logs, Record, SummaryAt};
use crate::runtime::{Mode, RuntimeModel};
use crate::{Judgement, Location, Profile};

/// How many bad records a finding quotes.
const SHOWN: usize = 3;

pub(super) const SUMMARY_EXPECTED: &str = "one request.summary record per request, valid under contract/request-summary.schema.json (agent, path, method, code, errno, lang, t, rid, uid; Severity 6, or 3 for a 5xx)";
const ECHO_EXPECTED: &str =
    "a valid incoming X-Request-ID (1-128 of [A-Za-z0-9._:-]) sent back in the response's X-Request-ID";
pub(super) const RID_EXPECTED: &str =
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

pub(crate) fn request_summary(m: &RuntimeModel, _: Profile) -> Judgement {
    let Some(logs) = &m.logs else {
        return Judgement::skipped(m.unobserved("the logs"), SUMMARY_EXPECTED);
    };
    let found = logs.summaries.len();
    if found == 0 {
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
    if logs.bad_summaries == 0 {
        Judgement::pass(
            format!("{found} request.summary records, all valid"),
            SUMMARY_EXPECTED,
            logs_at(m),
        )
    } else {
        let shown: Vec<String> = logs.bad_summary_texts.iter().take(SHOWN).cloned().collect();
        Judgement::broken(
            format!(
                "{} of {found} request.summary records break the schema: {}",
                logs.bad_summaries,
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

/// How far back from a summary records without a Timestamp are counted.
const UNPLACED_SCAN: usize = 10_000;

/// The JSON records of the logs in their order, and the placed ones by time.
struct Records<'a> {
    logs: &'a Logs,
    all: &'a [Record],
    /// Indices into `all` of the records with a `Timestamp`, by it (then by line); `None` when
    /// every record has one and they are in order already (a service's own stdout, usually).
    by_time: Option<Vec<usize>>,
}

/// The records between two times: from `by_time`, or a range of `all` when it is in order.
enum Between<'a> {
    Sorted(std::slice::Iter<'a, usize>),
    InOrder(std::ops::Range<usize>),
}

impl Iterator for Between<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Between::Sorted(i) => i.next().copied(),
            Between::InOrder(r) => r.next(),
        }
    }
}

impl Records<'_> {
    fn new(logs: &Logs) -> Records<'_> {
        let all = &logs.records[..];
        let in_order = all.iter().all(|x| x.ts != 0) && all.windows(2).all(|w| w[0].ts <= w[1].ts);
        let by_time = (!in_order).then(|| {
            let mut by_time: Vec<usize> = (0..all.len()).filter(|&i| all[i].ts != 0).collect();
            // The index breaks ties: the order a stable sort keeps, without its buffer.
            by_time.sort_unstable_by_key(|&i| (all[i].ts, i));
            by_time
        });
        Records { logs, all, by_time }
    }

    /// The records written from `start` to `end` (inclusive), by time.
    fn between(&self, start: i128, end: i128) -> Between<'_> {
        let ts = |x: &Record| x.ts().unwrap_or(i128::MIN);
        match &self.by_time {
            Some(by_time) => {
                let lo = by_time.partition_point(|&i| ts(&self.all[i]) < start);
                let hi = by_time
                    .partition_point(|&i| ts(&self.all[i]) <= end)
                    .max(lo);
                Between::Sorted(by_time[lo..hi].iter())
            }
            None => {
                let lo = self.all.partition_point(|x| ts(x) < start);
                let hi = self.all.partition_point(|x| ts(x) <= end).max(lo);
                Between::InOrder(lo..hi)
            }
        }
    }

    /// Every summary's span: its own ([`own_span`]), or `probe` for the summary it names.
    fn spans<'s>(&'s self, probe: Option<Span>) -> impl Iterator<Item = Span> + 's {
        self.logs
            .summaries
            .iter()
            .filter(move |s| probe.is_none_or(|p| p.summary != s.index))
            .filter_map(|s| own_span(self.all, s))
            .chain(probe)
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
fn own_span(all: &[Record], s: &SummaryAt) -> Option<Span> {
    let end = all[s.index].ts()?;
    let t = i128::from(s.t_ms?);
    Some(Span {
        start: end - (t + 1) * MS,
        sure: end - (t * MS - MS / 2).max(0),
        end,
        summary: s.index,
    })
}

/// Records carrying their request's rid (the summary not counted).
const WITH_RID: u8 = 1;
/// Records with no rid, attributed to the request.
const WITHOUT: u8 = 2;
/// Records with no rid whose `Type` also writes outside every request: not attributed.
const BACKGROUND: u8 = 4;
/// Records carrying another rid: another request's (a health check, a concurrent one).
const OTHER: u8 = 8;
/// Records before the summary, back to the last one written before the span, with no usable
/// `Timestamp`: they cannot be placed.
const UNPLACED: u8 = 16;
/// Records with no rid written where the request may not have started yet (`t` is whole
/// milliseconds).
const EDGE: u8 = 32;

/// What the records inside one or more requests' spans show: one byte of flags per record.
struct Attributed {
    flags: Vec<u8>,
}

impl Attributed {
    fn new(records: usize) -> Attributed {
        Attributed {
            flags: vec![0; records],
        }
    }

    /// How many records have `flag` and none of `but`.
    fn count(&self, flag: u8, but: u8) -> usize {
        self.flags
            .iter()
            .filter(|f| **f & flag != 0 && **f & but == 0)
            .count()
    }
}

/// The `Type`s of records with no rid written outside every span (by interned id): startup and
/// background loggers, whose records inside a span cannot be told from the request's.
fn background_kinds(r: &Records, spans: impl Iterator<Item = Span>) -> Vec<bool> {
    // The spans' union, as sorted disjoint intervals. Every Timestamp is in [1e17, u64::MAX]:
    // a start below 0 is 0 for it, and a span that ends before it starts holds none (nor does
    // it join two others), so the bounds fit 16 bytes a span.
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(r.logs.summaries.len() + 1);
    merged.extend(spans.filter(|s| s.start <= s.end).map(|s| {
        let clamp = |t: i128| u64::try_from(t.max(0)).unwrap_or(u64::MAX);
        (clamp(s.start), clamp(s.end))
    }));
    merged.sort_unstable();
    let mut n = 0;
    for k in 0..merged.len() {
        let (a, b) = merged[k];
        if n > 0 && a <= merged[n - 1].1 {
            merged[n - 1].1 = merged[n - 1].1.max(b);
        } else {
            merged[n] = (a, b);
            n += 1;
        }
    }
    merged.truncate(n);
    merged.shrink_to_fit();
    let inside = |t: u64| {
        let k = merged.partition_point(|iv| iv.0 <= t);
        k > 0 && t <= merged[k - 1].1
    };
    let mut background = vec![false; r.logs.kind_count()];
    for x in r.all {
        if !x.summary() && x.rid == 0 && x.ts != 0 && !inside(x.ts) {
            background[x.kind as usize] = true;
        }
    }
    background
}

/// Adds what the records of `span` show to `a`.
fn attribute(r: &Records, span: &Span, background: &[bool], a: &mut Attributed) {
    let summary = &r.all[span.summary];
    let rid = summary.rid();
    for i in r.between(span.start, span.end) {
        let x = &r.all[i];
        if x.summary() || i >= span.summary {
            continue;
        }
        a.flags[i] |= match x.rid() {
            Some(v) if Some(v) == rid => WITH_RID,
            Some(_) => OTHER,
            None if background[x.kind as usize] => BACKGROUND,
            None if x.ts().is_some_and(|t| t >= span.sure) => WITHOUT,
            None => EDGE,
        };
    }
    // Going back from the summary: records with no Timestamp until one written before `start`.
    for (i, _) in r.all[..span.summary]
        .iter()
        .enumerate()
        .rev()
        .take(UNPLACED_SCAN)
        .take_while(|(_, x)| x.ts().is_none_or(|t| t >= span.start))
        .filter(|(_, x)| x.ts().is_none())
    {
        a.flags[i] |= UNPLACED;
    }
}

/// What was not judged, for the found text ("" when everything was).
fn not_judged(r: &Records, a: &Attributed) -> String {
    let mut parts = Vec::new();
    let background = a.count(BACKGROUND, 0);
    if background > 0 {
        let kinds: BTreeSet<&str> = r
            .all
            .iter()
            .zip(&a.flags)
            .filter(|(_, f)| **f & BACKGROUND != 0)
            .map(|(x, _)| r.logs.kind(x.kind))
            .collect();
        let kinds: Vec<&str> = kinds.into_iter().collect();
        parts.push(format!(
            "{background} records of a Type that also writes outside any request (startup or background: {}) cannot be told from the request's",
            kinds.join(", ")
        ));
    }
    let other = a.count(OTHER, 0);
    if other > 0 {
        parts.push(format!("{other} records carry another request's rid"));
    }
    // Surely inside another request's span: attributed there.
    let edge = a.count(EDGE, WITHOUT);
    if edge > 0 {
        parts.push(format!(
            "{edge} records without rid written where a request may not have started yet (its t is whole milliseconds)"
        ));
    }
    let unplaced = a.count(UNPLACED, 0);
    if unplaced > 0 {
        parts.push(format!(
            "{unplaced} records have no Timestamp in nanoseconds and cannot be placed"
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; not judged: {}", parts.join("; "))
    }
}

/// The first [`SHOWN`] of `total` items, then how many more (as `rules::sample` words it).
fn sample(first: &[String], total: usize) -> String {
    if total <= first.len() {
        first.join(", ")
    } else {
        format!("{} and {} more", first.join(", "), total - first.len())
    }
}

/// The first records attributed without rid, as `line N (Type)`.
fn lines(r: &Records, a: &Attributed) -> String {
    let named: Vec<String> = r
        .all
        .iter()
        .zip(&a.flags)
        .enumerate()
        .filter(|(_, (_, f))| **f & WITHOUT != 0)
        .take(SHOWN)
        .map(|(i, (x, _))| format!("line {} ({})", r.logs.line_of(i), r.logs.kind(x.kind)))
        .collect();
    sample(&named, a.count(WITHOUT, 0))
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
    let r = Records::new(logs);
    let summaries = &logs.summaries;
    match (&m.request_id, m.mode) {
        (Some(probe), Mode::Container) => {
            // The rid sent; no record carries it when it was never interned.
            let sent = logs.rid_id(&probe.sent);
            let carries = |x: &Record| sent.is_some() && x.rid() == sent;
            let Some(s) = summaries.iter().find(|s| carries(&r.all[s.index])) else {
                let carrying = r.all.iter().filter(|x| carries(x)).count();
                return Judgement::broken(
                    format!(
                        "no request.summary carries rid {} (sent as X-Request-ID to {}); {carrying} records carry it",
                        probe.sent, probe.path
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            };
            let summary = &r.all[s.index];
            let start = probe
                .sent_at
                .and_then(ns)
                .or_else(|| own_span(r.all, s).map(|x| x.start));
            let (Some(start), Some(end)) = (start, summary.ts()) else {
                return Judgement::pass(
                    format!(
                        "its request.summary (line {}) carries rid {}; the records written before it cannot be placed in time (no Timestamp in nanoseconds on the summary): only the summary judged",
                        r.logs.line_of(s.index), probe.sent
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            };
            // The probe's span starts when it was sent, and replaces its summary's own.
            let span = Span {
                start,
                sure: start,
                end,
                summary: s.index,
            };
            let background = background_kinds(&r, r.spans(Some(span)));
            let mut a = Attributed::new(r.all.len());
            attribute(&r, &span, &background, &mut a);
            let without = a.count(WITHOUT, 0);
            if without == 0 {
                Judgement::pass(
                    format!(
                        "{} records written while handling {} carry rid {} (its request.summary included){}",
                        a.count(WITH_RID, 0) + 1,
                        probe.path,
                        probe.sent,
                        not_judged(&r, &a)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            } else {
                Judgement::broken(
                    format!(
                        "{without} records written while {} was being handled (sent with X-Request-ID {}; its request.summary is line {}) have no rid: {}{}",
                        probe.path,
                        probe.sent,
                        r.logs.line_of(s.index),
                        lines(&r, &a),
                        not_judged(&r, &a)
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
            let mut without = summaries.iter().filter(|s| r.all[s.index].rid().is_none());
            let first: Vec<String> = without
                .by_ref()
                .take(SHOWN)
                .map(|s| format!("line {}", r.logs.line_of(s.index)))
                .collect();
            if !first.is_empty() {
                let total = first.len() + without.count();
                return Judgement::broken(
                    format!(
                        "{total} of {} request.summary records have no rid: {}",
                        summaries.len(),
                        sample(&first, total)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                );
            }
            // The records inside each summary's span (its Timestamp less t, up to the summary).
            let background = background_kinds(&r, r.spans(None));
            let mut a = Attributed::new(r.all.len());
            let mut placed = 0;
            for span in r.spans(None) {
                attribute(&r, &span, &background, &mut a);
                placed += 1;
            }
            // Concurrent requests overlap: a record with another summary's rid is that one's.
            for f in &mut a.flags {
                *f &= !OTHER;
            }
            let placed = format!(
                "{placed} of {} request.summary records placed in time (Timestamp and t)",
                summaries.len()
            );
            let without = a.count(WITHOUT, 0);
            if without == 0 {
                Judgement::pass(
                    format!(
                        "all {} request.summary records carry a rid; {placed}, {} records written inside them carry their rid{}",
                        summaries.len(),
                        a.count(WITH_RID, 0),
                        not_judged(&r, &a)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            } else {
                Judgement::broken(
                    format!(
                        "{without} records written while a request was surely being handled (after its summary's Timestamp less t, before the summary) have no rid: {}; {placed}{}",
                        lines(&r, &a),
                        not_judged(&r, &a)
                    ),
                    RID_EXPECTED,
                    logs_at(m),
                )
            }
        }
    }
}
