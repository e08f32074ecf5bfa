//! The JSON report: one object, versioned by `schema_version`.
//!
//! # Format (schema_version 1)
//!
//! ```text
//! {
//!   "schema_version": 1,                     // integer; bumped on any incompatible change
//!   "tool": {"name": "dockerflow", "version": "0.1.0"},
//!   "input": {"kind": "image" | "dockerfile" | "url" | "logs" | "kubernetes", "name": "oci:dir" | "path/Dockerfile" | "http://..." | "FILE" | "FILE:LINE Deployment/NAME container NAME"},
//!   "profile": "strict" | "mozcloud",
//!   "verdict": "pass" | "fail",              // fail when a MUST rule fails and is not ignored
//!   "summary": {"pass": n, "fail": n, "warn": n, "skipped": n, "ignored": n},
//!   "findings": [                            // one per rule of the profile, in id order
//!     {
//!       "rule": "DF203",
//!       "level": "must" | "should",
//!       "statement": "The image runs as uid 10001 (...)",
//!       "outcome": "pass" | "fail" | "warn" | "skipped",
//!       "reason": string | null,             // why it was skipped; null otherwise
//!       "found": string,                     // what was found ("" when skipped); secrets masked
//!       "expected": string,                  // what the rule expects
//!       "location": {                        // every key always present, null when unknown
//!         "path": string | null,             // file inside the image, or the Dockerfile
//!         "layer": integer | null,           // image layer index, 0 = lowest
//!         "line": integer | null,            // Dockerfile line, 1-based
//!         "field": string | null             // image config key ("User", "Env", ...)
//!       },
//!       "ignored": string | null,            // the reason given for ignoring the rule
//!       "help_uri": string                   // docs/RULES.md#df203
//!     }
//!   ]
//! }
//! ```
//!
//! A run that could not check some of its inputs (a fleet, `check image A B C`, where an image
//! could not be read) adds one key to each of its reports, so that `dockerflow report merge`
//! can tell them from inputs that were never given:
//!
//! ```text
//!   "unchecked": [                           // only when some input could not be checked
//!     {"input": {"kind": "image", "name": "oci:gone"}, "error": "cannot check image oci:gone: ..."}
//!   ]
//! ```
//!
//! Several reports (`check dockerfile A B`, a fleet) are an array of these objects, one per
//! input checked, in the order of the inputs; one report is the object itself. A run that
//! checked none of its inputs but could not check some is an array of one record with
//! `schema_version`, `tool` and `unchecked` only (no `input`, no `findings`), so that it is
//! never mistaken for a run given nothing (`[]`). [`read`] reads all of these back.
//!
//! Keys are never removed or repurposed within a schema version; new keys may be added.
//! The same format as a JSON Schema (2020-12) is [`SCHEMA`] (`crates/report/report.schema.json`);
//! the tests validate every report they render against it.

use std::fmt;

use dockerflow_check::{
    rule, Finding, InputKind, Level, Location, Outcome, Profile, Report, Verdict,
};
use serde_json::{json, Map, Value};

use crate::RenderOptions;

/// The schema version this module writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON Schema of this format.
pub const SCHEMA: &str = include_str!("../report.schema.json");

fn finding(f: &Finding) -> Value {
    let reason = match &f.outcome {
        Outcome::Skipped(r) => Value::String(r.clone()),
        _ => Value::Null,
    };
    json!({
        "rule": f.rule.id,
        "level": match f.rule.level { Level::Must => "must", Level::Should => "should" },
        "statement": f.rule.statement,
        "outcome": f.outcome.as_str(),
        "reason": reason,
        "found": f.found,
        "expected": f.expected,
        "location": {
            "path": f.location.path,
            "layer": f.location.layer,
            "line": f.location.line,
            "field": f.location.field,
        },
        "ignored": f.ignored,
        "help_uri": f.rule.help_uri(),
    })
}

/// The report as a JSON value.
pub fn to_value(report: &Report, options: &RenderOptions) -> Value {
    let s = report.summary();
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dockerflow", "version": options.tool_version},
        "input": {"kind": report.kind.as_str(), "name": report.subject},
        "profile": report.profile.as_str(),
        "verdict": report.verdict().as_str(),
        "summary": {
            "pass": s.pass, "fail": s.fail, "warn": s.warn,
            "skipped": s.skipped, "ignored": s.ignored,
        },
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
    })
}

/// Renders the JSON report, pretty-printed, with a final newline.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report, options)).unwrap_or_default();
    s.push('\n');
    s
}

/// An input of a run that could not be checked (an image that could not be read): what it
/// was and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// What kind of input it was.
    pub kind: InputKind,
    /// The input as the user named it.
    pub name: String,
    /// Why it could not be checked, on one line.
    pub error: String,
}

fn unchecked_list(unchecked: &[Unchecked]) -> Value {
    Value::Array(
        unchecked
            .iter()
            .map(|u| {
                json!({
                    "input": {"kind": u.kind.as_str(), "name": u.name},
                    "error": u.error,
                })
            })
            .collect(),
    )
}

/// The reports of a run, with its inputs that could not be checked in each report's
/// `unchecked` (no key when there is none): one report as its object, several (or none) as an
/// array, as [`crate::render_all`] writes them.
pub fn render_run(reports: &[Report], unchecked: &[Unchecked], options: &RenderOptions) -> String {
    let value = |r: &Report| {
        let mut v = to_value(r, options);
        if let (false, Some(object)) = (unchecked.is_empty(), v.as_object_mut()) {
            object.insert("unchecked".to_string(), unchecked_list(unchecked));
        }
        v
    };
    let all = match reports {
        [one] => value(one),
        // Nothing checked, something given: one record that carries the list alone, so that
        // a merge of this run's file cannot pass as a shard that was given nothing (`[]`).
        [] if !unchecked.is_empty() => Value::Array(vec![json!({
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "dockerflow", "version": options.tool_version},
            "unchecked": unchecked_list(unchecked),
        })]),
        _ => Value::Array(reports.iter().map(value).collect()),
    };
    let mut s = serde_json::to_string_pretty(&all).unwrap_or_default();
    s.push('\n');
    s
}

/// The reports of one run read back from their JSON ([`read`]), with the inputs that could not
/// be checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Run {
    /// The reports, in the order of the document.
    pub reports: Vec<Report>,
    /// The inputs that could not be checked, once each (every report of a run carries them).
    pub unchecked: Vec<Unchecked>,
    /// The `tool.version` of the reports (the first report's, when they differ).
    pub tool_version: Option<String>,
}

/// Why a document is not a JSON report this version can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not JSON: where (1-based line and column) and what.
    Syntax {
        /// The line, 1-based.
        line: usize,
        /// The column, 1-based.
        column: usize,
        /// What the JSON parser says.
        message: String,
    },
    /// JSON, but not a report of this schema: where in the document (`[2].findings[5].rule`)
    /// and what was expected.
    Shape(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Syntax {
                line,
                column,
                message,
            } => write!(
                f,
                "{line}:{column}: not JSON ({message}); expected a report of `dockerflow check --format json`"
            ),
            ReadError::Shape(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads a JSON report back: one report object, or an array of them, as `check --format json`
/// writes them (schema_version 1, rules of this version's catalogue). The reports render again
/// in every format as they did when they were written.
pub fn read(text: &str) -> Result<Run, ReadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ReadError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    let mut run = Run::default();
    match &value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                read_report(item, &format!("[{i}]"), &mut run)?;
            }
        }
        Value::Object(_) => read_report(&value, "", &mut run)?,
        other => {
            return Err(shape(format!(
                "the document is {}; expected a report of `dockerflow check --format json` (an \
                 object with \"schema_version\": {SCHEMA_VERSION}, or an array of them)",
                kind_of(other)
            )))
        }
    }
    Ok(run)
}

fn shape(s: String) -> ReadError {
    ReadError::Shape(s)
}

/// serde_json's message without its " at line L column C" (said before it).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `where` plus `.key`, for messages.
fn at(place: &str, key: &str) -> String {
    match place.is_empty() {
        true => key.to_string(),
        false => format!("{place}.{key}"),
    }
}

fn get<'v>(o: &'v Map<String, Value>, place: &str, key: &str) -> Result<&'v Value, ReadError> {
    o.get(key).ok_or_else(|| {
        shape(format!(
            "{} is missing; expected every key of a `dockerflow check --format json` report",
            at(place, key)
        ))
    })
}

fn string<'v>(o: &'v Map<String, Value>, place: &str, key: &str) -> Result<&'v str, ReadError> {
    match get(o, place, key)? {
        Value::String(s) => Ok(s),
        other => Err(shape(format!(
            "{} is {}; expected a string",
            at(place, key),
            kind_of(other)
        ))),
    }
}

fn optional_string(
    o: &Map<String, Value>,
    place: &str,
    key: &str,
) -> Result<Option<String>, ReadError> {
    match get(o, place, key)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(shape(format!(
            "{} is {}; expected a string or null",
            at(place, key),
            kind_of(other)
        ))),
    }
}

fn optional_number(
    o: &Map<String, Value>,
    place: &str,
    key: &str,
) -> Result<Option<u64>, ReadError> {
    match get(o, place, key)? {
        Value::Null => Ok(None),
        Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64()),
        other => Err(shape(format!(
            "{} is {other}; expected a whole number or null",
            at(place, key)
        ))),
    }
}

fn object<'v>(v: &'v Value, place: &str) -> Result<&'v Map<String, Value>, ReadError> {
    v.as_object().ok_or_else(|| {
        shape(format!(
            "{} is {}; expected an object",
            if place.is_empty() {
                "the document"
            } else {
                place
            },
            kind_of(v)
        ))
    })
}

fn one_of<T: Copy>(
    o: &Map<String, Value>,
    place: &str,
    key: &str,
    names: &[(&str, T)],
) -> Result<T, ReadError> {
    let s = string(o, place, key)?;
    names
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let all: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
            shape(format!(
                "{} is {s:?}; expected one of {}",
                at(place, key),
                all.join(", ")
            ))
        })
}

const KINDS: &[(&str, InputKind)] = &[
    ("image", InputKind::Image),
    ("dockerfile", InputKind::Dockerfile),
    ("url", InputKind::Url),
    ("logs", InputKind::Logs),
    ("kubernetes", InputKind::Kubernetes),
];

fn input(v: &Value, place: &str) -> Result<(InputKind, String), ReadError> {
    let o = object(v, place)?;
    Ok((
        one_of(o, place, "kind", KINDS)?,
        string(o, place, "name")?.to_string(),
    ))
}

fn read_report(v: &Value, place: &str, run: &mut Run) -> Result<(), ReadError> {
    let o = object(v, place)?;
    let report_place = if place.is_empty() {
        "the report"
    } else {
        place
    };
    match o.get("schema_version") {
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(other) => {
            return Err(shape(format!(
                "{} has schema_version {other}; this dockerflow reads schema_version \
                 {SCHEMA_VERSION} (merge with the dockerflow version that wrote it)",
                report_place
            )))
        }
        None => {
            let guess = if o.contains_key("runs") && o.contains_key("version") {
                " (it looks like SARIF)"
            } else {
                ""
            };
            return Err(shape(format!(
                "{report_place} has no schema_version{guess}; expected a report of `dockerflow \
                 check --format json` (an object with \"schema_version\": {SCHEMA_VERSION}, or an \
                 array of them)"
            )));
        }
    }
    let tool = object(get(o, place, "tool")?, &at(place, "tool"))?;
    let version = string(tool, &at(place, "tool"), "version")?;
    run.tool_version.get_or_insert_with(|| version.to_string());
    if !o.contains_key("findings") && !o.contains_key("input") && o.contains_key("unchecked") {
        // A run that checked none of its inputs: the list alone.
        return read_unchecked(o, place, run);
    }
    let (kind, subject) = input(get(o, place, "input")?, &at(place, "input"))?;
    let profiles: Vec<(&str, Profile)> = Profile::ALL.iter().map(|p| (p.as_str(), *p)).collect();
    let profile = one_of(o, place, "profile", &profiles)?;
    let findings_place = at(place, "findings");
    let items = match get(o, place, "findings")? {
        Value::Array(items) => items,
        other => {
            return Err(shape(format!(
                "{findings_place} is {}; expected an array",
                kind_of(other)
            )))
        }
    };
    let mut findings = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        findings.push(read_finding(
            item,
            &format!("{findings_place}[{i}]"),
            version,
        )?);
    }
    let report = Report {
        kind,
        subject,
        profile,
        findings,
    };
    // The verdict written must be the verdict the findings give: a report edited by hand, or
    // by a version that judged differently, is refused rather than re-judged silently.
    let verdicts = [("pass", Verdict::Pass), ("fail", Verdict::Fail)];
    let written = one_of(o, place, "verdict", &verdicts)?;
    if written != report.verdict() {
        return Err(shape(format!(
            "{} says verdict {:?} but its findings give {:?}; expected the report as dockerflow \
             wrote it",
            at(place, "verdict"),
            written.as_str(),
            report.verdict().as_str()
        )));
    }
    read_unchecked(o, place, run)?;
    run.reports.push(report);
    Ok(())
}

/// Adds a record's `unchecked` list (if any) to the run, each input once.
fn read_unchecked(o: &Map<String, Value>, place: &str, run: &mut Run) -> Result<(), ReadError> {
    if let Some(list) = o.get("unchecked") {
        let list_place = at(place, "unchecked");
        let Value::Array(list) = list else {
            return Err(shape(format!(
                "{list_place} is {}; expected an array",
                kind_of(list)
            )));
        };
        for (i, item) in list.iter().enumerate() {
            let item_place = format!("{list_place}[{i}]");
            let u = object(item, &item_place)?;
            let (kind, name) = input(get(u, &item_place, "input")?, &at(&item_place, "input"))?;
            let error = string(u, &item_place, "error")?.to_string();
            let unchecked = Unchecked { kind, name, error };
            if !run.unchecked.contains(&unchecked) {
                run.unchecked.push(unchecked);
            }
        }
    }
    Ok(())
}

fn read_finding(v: &Value, place: &str, version: &str) -> Result<Finding, ReadError> {
    let o = object(v, place)?;
    let id = string(o, place, "rule")?;
    let rule = rule(id).ok_or_else(|| {
        shape(format!(
            "{} is {id:?}, a rule this dockerflow ({}) does not have (the report was written by \
             dockerflow {version}); expected a rule of docs/RULES.md",
            at(place, "rule"),
            env!("CARGO_PKG_VERSION")
        ))
    })?;
    let outcomes = [("pass", 0), ("fail", 1), ("warn", 2), ("skipped", 3)];
    let outcome = match one_of(o, place, "outcome", &outcomes)? {
        0 => Outcome::Pass,
        1 => Outcome::Fail,
        2 => Outcome::Warn,
        _ => Outcome::Skipped(string(o, place, "reason")?.to_string()),
    };
    let location_place = at(place, "location");
    let l = object(get(o, place, "location")?, &location_place)?;
    let layer = optional_number(l, &location_place, "layer")?;
    let line = optional_number(l, &location_place, "line")?;
    let too_big = |key: &str| shape(format!("{} is too large", at(&location_place, key)));
    let location = Location {
        path: optional_string(l, &location_place, "path")?,
        layer: layer
            .map(|n| usize::try_from(n).map_err(|_| too_big("layer")))
            .transpose()?,
        line: line
            .map(|n| u32::try_from(n).map_err(|_| too_big("line")))
            .transpose()?,
        field: optional_string(l, &location_place, "field")?,
    };
    Ok(Finding {
        rule,
        outcome,
        found: string(o, place, "found")?.to_string(),
        expected: string(o, place, "expected")?.to_string(),
        location,
        ignored: optional_string(o, place, "ignored")?,
    })
}
