//! The log rules as they were before `check logs` streamed (DF701, DF702, DF706, DF708 over
//! the whole text in memory): the oracle the streaming judges are compared with, on many
//! generated logs, so that reading a stream changes no verdict and no word of a finding.

//!
//! What they judge is theirs: which lines, records and summaries they find, and how they
//! attribute records to requests. The words of a finding, given what was found, are the real
//! judges' (`requests.rs`), as are the whole-text helpers that the streaming reader does not use
//! (`service::mozlog_problems`, `logs_at`, `ns`) and the `Span` type.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::logs_at;
use super::requests::{
    all_fail, all_pass, no_summaries, not_judged_text, ns, placed_text, probe_fail, probe_pass,
    probe_summary_missing, probe_summary_unplaced, summaries_judged, summaries_without_rid, Span,
    MS, RID_EXPECTED, SUMMARY_EXPECTED,
};
use super::service::{lines, mozlog_problems};
use crate::runtime::{Mode, RuntimeModel};
use crate::schema::{errors, Schema};
use crate::{Judgement, Location};

const SHOWN: usize = 3;

pub(super) fn writes_logs(m: &RuntimeModel, logs: Option<&[u8]>) -> Judgement {
    const EXPECTED: &str = "log lines on stdout or stderr";
    match logs {
        None => Judgement::skipped(m.unobserved("the logs"), EXPECTED),
        Some(l) if l.iter().all(u8::is_ascii_whitespace) => Judgement::broken(
            "no output at all on stdout or stderr (logs written to files inside the container are lost)",
            EXPECTED,
            logs_at(m),
        ),
        Some(l) => Judgement::pass(
            format!("{} lines", lines(l).count()),
            EXPECTED,
            logs_at(m),
        ),
    }
}

pub(super) fn mozlog(m: &RuntimeModel, logs: Option<&[u8]>) -> Judgement {
    const EXPECTED: &str =
        "every line a mozlog JSON object (crates/contract/schemas/mozlog.schema.json)";
    let Some(l) = logs else {
        return Judgement::skipped(m.unobserved("the logs"), EXPECTED);
    };
    let total = lines(l).count();
    if total == 0 {
        return Judgement::skipped("no log lines to judge (see DF701)", EXPECTED);
    }
    let bad = mozlog_problems(l);
    if bad.is_empty() {
        return Judgement::pass(format!("{total} mozlog lines"), EXPECTED, logs_at(m));
    }
    let shown: Vec<String> = bad
        .iter()
        .take(SHOWN)
        .map(|(n, line, errors)| {
            let line: String = line.chars().take(100).collect();
            format!("line {n} {line:?}: {}", errors.join("; "))
        })
        .collect();
    Judgement::broken(
        format!(
            "{} of {total} lines are not mozlog: {}",
            bad.len(),
            shown.join(" | ")
        ),
        EXPECTED,
        Location {
            line: u32::try_from(bad[0].0).ok(),
            ..logs_at(m)
        },
    )
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

pub(super) fn request_summary(m: &RuntimeModel, logs: Option<&[u8]>) -> Judgement {
    let Some(logs) = logs else {
        return Judgement::skipped(m.unobserved("the logs"), SUMMARY_EXPECTED);
    };
    let found = summaries(logs);
    if found.is_empty() {
        return no_summaries(m);
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
    summaries_judged(m, found.len(), bad.len() as u64, &bad)
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
    let kinds: Vec<&str> = a.background_kinds.iter().map(String::as_str).collect();
    not_judged_text(
        a.background.len(),
        &kinds,
        a.other.len(),
        // Surely inside another request's span: attributed there.
        a.edge.iter().filter(|l| !a.without.contains_key(l)).count(),
        a.unplaced.len(),
    )
}

/// The first lines of `without`, as `line N (Type)`.
fn without_lines(without: &BTreeMap<usize, String>) -> String {
    let named: Vec<String> = without
        .iter()
        .map(|(l, k)| format!("line {l} ({k})"))
        .collect();
    crate::rules::sample(&named, SHOWN)
}

pub(super) fn request_id_in_logs(m: &RuntimeModel, logs: Option<&[u8]>) -> Judgement {
    let Some(logs) = logs else {
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
                return probe_summary_missing(m, probe, carrying);
            };
            let summary = &r.all[s];
            let start = probe
                .sent_at
                .and_then(ns)
                .or_else(|| own_span(&r.all, s).map(|x| x.start));
            let (Some(start), Some(end)) = (start, summary.ts) else {
                return probe_summary_unplaced(m, probe, summary.line as u64);
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
                probe_pass(m, probe, a.with_rid.len() + 1, &not_judged(&a))
            } else {
                probe_fail(
                    m,
                    probe,
                    summary.line as u64,
                    a.without.len(),
                    &without_lines(&a.without),
                    &not_judged(&a),
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
                let sample = crate::rules::sample(&without, SHOWN);
                return summaries_without_rid(m, without.len(), summaries.len(), &sample);
            }
            // The records inside each summary's span (its Timestamp less t, up to the summary).
            let background = background_kinds(&r, &spans);
            let mut a = Attributed::default();
            for span in &spans {
                attribute(&r, span, &background, &mut a);
            }
            // Concurrent requests overlap: a record with another summary's rid is that one's.
            a.other.clear();
            let placed = placed_text(spans.len(), summaries.len());
            if a.without.is_empty() {
                let with_rid = a.with_rid.len();
                all_pass(m, summaries.len(), &placed, with_rid, &not_judged(&a))
            } else {
                let lines = without_lines(&a.without);
                all_fail(m, a.without.len(), &lines, &placed, &not_judged(&a))
            }
        }
    }
}

#[cfg(test)]
mod same_judgements {
    use std::time::{Duration, UNIX_EPOCH};

    use crate::logs::{LogReader, Logs};
    use crate::runtime::{Exchange, Mode, RequestIdProbe, RuntimeModel};
    // Deterministic, so that a failure replays.
    use dockerflow_testkit::rng::Rng;

    use crate::Profile;

    const T0: u64 = 1_700_000_001_000_000_000;
    const MS: u64 = 1_000_000;

    /// One line of a generated log: mozlog records and summaries around T0, with and without
    /// rid, Timestamp and t, and lines that are not mozlog, not JSON, not UTF-8 or blank.
    fn line(g: &mut Rng, clock: &mut Option<u64>) -> Vec<u8> {
        let summary = g.below(12) < 4;
        let rid = if summary && g.below(10) > 0 {
            g.pick(&["a", "b", "c", "dockerflow-check-1"])
        } else {
            g.pick(&["a", "b", "c", "", "", "", "dockerflow-check-1"])
        };
        let fields_rid = if rid.is_empty() && g.below(2) == 0 {
            String::new()
        } else {
            format!(r#","rid":"{rid}""#)
        };
        let ts = match (g.below(10), clock.as_mut()) {
            // In order, every record placed: the judges' path without a sort.
            (_, Some(c)) => {
                *c += g.below(3) * MS / 2;
                format!(r#""Timestamp":{c},"#)
            }
            (0, _) => String::new(),
            (1, _) => r#""Timestamp":1700000001,"#.to_string(),
            (2, _) => r#""Timestamp":"soon","#.to_string(),
            _ => format!(r#""Timestamp":{},"#, T0 + g.below(40) * MS / 2),
        };
        let kind = match g.below(12) {
            _ if summary => r#""Type":"request.summary","#.to_string(),
            0..=3 => format!(r#""Type":"{}","#, g.pick(&["app.db", "app.handler"])),
            4 => String::new(),
            5 => r#""Type":7,"#.to_string(),
            6 => r#""Type":"","#.to_string(),
            _ => format!(
                r#""Type":"{}","#,
                g.pick(&["app.db", "app.tick", "app.start", "app.handler"])
            ),
        };
        let t = match g.below(6) {
            0 => String::new(),
            1 => r#","t":-3"#.to_string(),
            _ => format!(r#","t":{}"#, g.below(12)),
        };
        let code = g.pick(&["200", "404", "503"]);
        let errno = g.pick(&["0", "404", "503"]);
        let record = format!(
            r#"{{{ts}{kind}"Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{"msg":"x","agent":"c","path":"/","method":"GET","code":{code},"errno":{errno},"lang":""{t}{fields_rid},"uid":""}}}}"#
        );
        let mut bytes = match g.below(20) {
            _ if clock.is_some() => record.into_bytes(),
            0 => b"starting server on port 8000".to_vec(),
            1 => Vec::new(),
            2 => b"   \t".to_vec(),
            3 => "\u{a0}".as_bytes().to_vec(),
            4 => b"[1,2]".to_vec(),
            5 => {
                let mut b = record.into_bytes();
                let at = b.windows(3).position(|w| w == b"\"x\"").unwrap_or(0) + 1;
                b.splice(at..at, [0xff, 0xfe]);
                b
            }
            6 => record.as_bytes()[..record.len() / 2].to_vec(),
            _ => record.into_bytes(),
        };
        if g.below(8) == 0 {
            bytes.push(b'\r');
        }
        bytes
    }

    fn log(g: &mut Rng, lines: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut clock = (g.below(4) == 0).then_some(T0);
        for i in 0..lines {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend(line(g, &mut clock));
        }
        if g.below(2) == 0 {
            out.push(b'\n');
        }
        out
    }

    /// The four log rules, judged by the streaming judges and by the whole-text ones.
    fn compare(m: &mut RuntimeModel, bytes: &[u8], what: &str) {
        m.logs = Some(Logs::read(bytes));
        let old = [
            super::writes_logs(m, Some(bytes)),
            super::mozlog(m, Some(bytes)),
            super::request_summary(m, Some(bytes)),
            super::request_id_in_logs(m, Some(bytes)),
        ];
        let new = [
            crate::rules::service::writes_logs(m, Profile::Strict),
            crate::rules::service::mozlog(m, Profile::Strict),
            crate::rules::requests::request_summary(m, Profile::Strict),
            crate::rules::requests::request_id_in_logs(m, Profile::Strict),
        ];
        for (o, n) in old.iter().zip(&new) {
            assert_eq!(o, n, "{what}: the log\n{}", String::from_utf8_lossy(bytes));
        }
    }

    fn probe(g: &mut Rng) -> RequestIdProbe {
        RequestIdProbe {
            path: "/__version__".into(),
            sent: ["a", "dockerflow-check-1", "", "zz"][g.below(4) as usize].into(),
            sent_at: match g.below(3) {
                0 => None,
                _ => Some(UNIX_EPOCH + Duration::from_nanos(T0 + g.below(20) * MS / 2)),
            },
            answer: Ok(Exchange {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
                elapsed: Duration::ZERO,
            }),
        }
    }

    #[test]
    fn streaming_judges_equal_the_whole_text_ones_on_generated_logs() {
        let mut g = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..2500 {
            let n = 1 + g.below(30) as usize;
            let bytes = log(&mut g, n);
            let mut m = match g.below(3) {
                0 => RuntimeModel::new(Mode::Logs, "app.log"),
                1 => RuntimeModel::new(Mode::Url, "http://127.0.0.1:1"),
                _ => RuntimeModel::new(Mode::Container, "app:latest"),
            };
            if g.below(3) > 0 {
                m.request_id = Some(probe(&mut g));
            }
            compare(&mut m, &bytes, &format!("case {case}"));
            // Fed in chunks of any size, the reader collects the same facts.
            let mut r = LogReader::new(usize::MAX);
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let k = (1 + g.below(9) as usize).min(rest.len());
                r.feed(&rest[..k]).expect("no cap");
                rest = &rest[k..];
            }
            assert_eq!(
                r.finish().expect("no cap"),
                Logs::read(&bytes),
                "case {case}"
            );
        }
    }

    #[test]
    fn streaming_judges_equal_the_whole_text_ones_past_the_unplaced_scan() {
        // More records without Timestamp before a summary than DF708 looks back over.
        let mut bytes = Vec::new();
        for i in 0..10_050 {
            let ts = if i == 3 {
                format!(r#""Timestamp":{},"#, T0 - 100 * MS)
            } else {
                String::new()
            };
            bytes.extend(
                format!(
                    r#"{{{ts}"Type":"app.db","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{"msg":"x"}}}}"#
                )
                .bytes(),
            );
            bytes.push(b'\n');
        }
        bytes.extend(format!(r#"{{"Timestamp":{T0},"Type":"request.summary","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{"msg":"","agent":"c","path":"/","method":"GET","code":200,"errno":0,"lang":"","t":5,"rid":"a","uid":""}}}}"#).bytes());
        compare(
            &mut RuntimeModel::new(Mode::Logs, "app.log"),
            &bytes,
            "logs",
        );
        let mut m = RuntimeModel::new(Mode::Container, "app:latest");
        let mut g = Rng(7);
        let mut p = probe(&mut g);
        p.sent = "a".into();
        m.request_id = Some(p);
        compare(&mut m, &bytes, "container");
    }
}
