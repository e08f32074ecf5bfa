//! Area 7, CONTRACT.md section 1.9: one `request.summary` record per request, the request id
//! echoed in the response, and carried as `rid` on the records of that request.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use super::logs_at;
use crate::logs::{Logs, Record, SummaryAt};
use crate::runtime::{Mode, RequestIdProbe, RuntimeModel};
use crate::{Judgement, Location, Profile};

/// How many bad records a finding quotes.
const SHOWN: usize = 3;

pub(super) const SUMMARY_EXPECTED: &str = "one request.summary record per request, valid under contract/request-summary.schema.json (agent, path, method, code, errno, lang, t, rid, uid; Severity 6, or 3 for a 5xx)";
const ECHO_EXPECTED: &str =
    "a valid incoming X-Request-ID (1-128 of [A-Za-z0-9._:-]) sent back in the response's X-Request-ID";
pub(super) const RID_EXPECTED: &str =
    "the request's id as Fields.rid on the records written while handling it, request.summary included";

pub(crate) fn request_summary(m: &RuntimeModel, _: Profile) -> Judgement {
    let Some(logs) = &m.logs else {
        return Judgement::skipped(m.unobserved("the logs"), SUMMARY_EXPECTED);
    };
    let found = logs.summaries.len();
    if found == 0 {
        return no_summaries(m);
    }
    summaries_judged(m, found, logs.bad_summaries, &logs.bad_summary_texts)
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
///
/// The whole-text judges (`whole_text.rs`) use the same type; `summary` indexes their records.
#[derive(Clone, Copy)]
pub(super) struct Span {
    pub(super) start: i128,
    pub(super) sure: i128,
    pub(super) end: i128,
    pub(super) summary: usize,
}

/// A millisecond in nanoseconds.
pub(super) const MS: i128 = 1_000_000;

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
    let background = a.count(BACKGROUND, 0);
    let mut kinds: Vec<&str> = Vec::new();
    if background > 0 {
        let named: BTreeSet<&str> = r
            .all
            .iter()
            .zip(&a.flags)
            .filter(|(_, f)| **f & BACKGROUND != 0)
            .map(|(x, _)| r.logs.kind(x.kind))
            .collect();
        kinds.extend(named);
    }
    not_judged_text(
        background,
        &kinds,
        a.count(OTHER, 0),
        // Surely inside another request's span: attributed there.
        a.count(EDGE, WITHOUT),
        a.count(UNPLACED, 0),
    )
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

pub(super) fn ns(t: SystemTime) -> Option<i128> {
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
                return probe_summary_missing(m, probe, carrying);
            };
            let summary = &r.all[s.index];
            let start = probe
                .sent_at
                .and_then(ns)
                .or_else(|| own_span(r.all, s).map(|x| x.start));
            let (Some(start), Some(end)) = (start, summary.ts()) else {
                return probe_summary_unplaced(m, probe, r.logs.line_of(s.index));
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
                probe_pass(m, probe, a.count(WITH_RID, 0) + 1, &not_judged(&r, &a))
            } else {
                let line = r.logs.line_of(s.index);
                probe_fail(m, probe, line, without, &lines(&r, &a), &not_judged(&r, &a))
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
                return summaries_without_rid(m, total, summaries.len(), &sample(&first, total));
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
            let placed = placed_text(placed, summaries.len());
            let without = a.count(WITHOUT, 0);
            if without == 0 {
                let with_rid = a.count(WITH_RID, 0);
                all_pass(m, summaries.len(), &placed, with_rid, &not_judged(&r, &a))
            } else {
                all_fail(m, without, &lines(&r, &a), &placed, &not_judged(&r, &a))
            }
        }
    }
}

// The words of DF706's and DF708's findings, given what the judges found; shared with the
// whole-text judges (`whole_text.rs`), which find the same facts their own way.

/// DF706 on logs with no request.summary: a failure when the check sent requests itself (a
/// container), a skip otherwise.
pub(super) fn no_summaries(m: &RuntimeModel) -> Judgement {
    match m.mode {
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
    }
}

/// DF706 on `found` summaries, `bad` of them broken (`problems`: the first ones' problems,
/// of which [`SHOWN`] are quoted).
pub(super) fn summaries_judged(
    m: &RuntimeModel,
    found: usize,
    bad: u64,
    problems: &[String],
) -> Judgement {
    if bad == 0 {
        return Judgement::pass(
            format!("{found} request.summary records, all valid"),
            SUMMARY_EXPECTED,
            logs_at(m),
        );
    }
    let shown: Vec<&str> = problems.iter().take(SHOWN).map(String::as_str).collect();
    Judgement::broken(
        format!(
            "{bad} of {found} request.summary records break the schema: {}",
            shown.join(" | ")
        ),
        SUMMARY_EXPECTED,
        logs_at(m),
    )
}

/// DF708 when no summary carries the probe's rid (`carrying`: the records that do).
pub(super) fn probe_summary_missing(
    m: &RuntimeModel,
    probe: &RequestIdProbe,
    carrying: usize,
) -> Judgement {
    Judgement::broken(
        format!(
            "no request.summary carries rid {} (sent as X-Request-ID to {}); {carrying} records carry it",
            probe.sent, probe.path
        ),
        RID_EXPECTED,
        logs_at(m),
    )
}

/// DF708 when the probe's summary (at `line`) cannot be placed in time.
pub(super) fn probe_summary_unplaced(
    m: &RuntimeModel,
    probe: &RequestIdProbe,
    line: u64,
) -> Judgement {
    Judgement::pass(
        format!(
            "its request.summary (line {line}) carries rid {}; the records written before it cannot be placed in time (no Timestamp in nanoseconds on the summary): only the summary judged",
            probe.sent
        ),
        RID_EXPECTED,
        logs_at(m),
    )
}

/// DF708 when every record written while the probe was handled carries its rid (`carrying`
/// of them, its summary included; `not_judged`: [`not_judged_text`]).
pub(super) fn probe_pass(
    m: &RuntimeModel,
    probe: &RequestIdProbe,
    carrying: usize,
    not_judged: &str,
) -> Judgement {
    Judgement::pass(
        format!(
            "{carrying} records written while handling {} carry rid {} (its request.summary included){not_judged}",
            probe.path, probe.sent,
        ),
        RID_EXPECTED,
        logs_at(m),
    )
}

/// DF708 when `without` records written while the probe was handled (its summary at `line`)
/// have no rid (`lines`: the first ones, `line N (Type)`).
pub(super) fn probe_fail(
    m: &RuntimeModel,
    probe: &RequestIdProbe,
    line: u64,
    without: usize,
    lines: &str,
    not_judged: &str,
) -> Judgement {
    Judgement::broken(
        format!(
            "{without} records written while {} was being handled (sent with X-Request-ID {}; its request.summary is line {line}) have no rid: {lines}{not_judged}",
            probe.path, probe.sent,
        ),
        RID_EXPECTED,
        logs_at(m),
    )
}

/// DF708 when `without` of `summaries` summaries have no rid (`sample`: the first ones).
pub(super) fn summaries_without_rid(
    m: &RuntimeModel,
    without: usize,
    summaries: usize,
    sample: &str,
) -> Judgement {
    Judgement::broken(
        format!("{without} of {summaries} request.summary records have no rid: {sample}"),
        RID_EXPECTED,
        logs_at(m),
    )
}

/// How many of the summaries DF708 placed in time.
pub(super) fn placed_text(placed: usize, summaries: usize) -> String {
    format!("{placed} of {summaries} request.summary records placed in time (Timestamp and t)")
}

/// DF708 when every summary carries a rid and so does every record written inside their
/// spans (`with_rid` of them; `placed`: [`placed_text`]).
pub(super) fn all_pass(
    m: &RuntimeModel,
    summaries: usize,
    placed: &str,
    with_rid: usize,
    not_judged: &str,
) -> Judgement {
    Judgement::pass(
        format!(
            "all {summaries} request.summary records carry a rid; {placed}, {with_rid} records written inside them carry their rid{not_judged}"
        ),
        RID_EXPECTED,
        logs_at(m),
    )
}

/// DF708 when `without` records written inside the summaries' spans have no rid.
pub(super) fn all_fail(
    m: &RuntimeModel,
    without: usize,
    lines: &str,
    placed: &str,
    not_judged: &str,
) -> Judgement {
    Judgement::broken(
        format!(
            "{without} records written while a request was surely being handled (after its summary's Timestamp less t, before the summary) have no rid: {lines}; {placed}{not_judged}"
        ),
        RID_EXPECTED,
        logs_at(m),
    )
}

/// What DF708 did not judge, as the found text's tail ("" when it judged everything): records
/// of a background `Type` (`kinds`), with another request's rid, at a span's uncertain edge,
/// and with no usable Timestamp.
pub(super) fn not_judged_text(
    background: usize,
    kinds: &[&str],
    other: usize,
    edge: usize,
    unplaced: usize,
) -> String {
    let mut parts = Vec::new();
    if background > 0 {
        parts.push(format!(
            "{background} records of a Type that also writes outside any request (startup or background: {}) cannot be told from the request's",
            kinds.join(", ")
        ));
    }
    if other > 0 {
        parts.push(format!("{other} records carry another request's rid"));
    }
    if edge > 0 {
        parts.push(format!(
            "{edge} records without rid written where a request may not have started yet (its t is whole milliseconds)"
        ));
    }
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
