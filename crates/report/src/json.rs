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
//! Keys are never removed or repurposed within a schema version; new keys may be added.
//! The same format as a JSON Schema (2020-12) is [`SCHEMA`] (`crates/report/report.schema.json`);
//! the tests validate every report they render against it.

use dockerflow_check::{Finding, Level, Outcome, Report};
use serde_json::{json, Value};

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
