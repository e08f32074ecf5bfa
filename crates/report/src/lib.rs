//! Renders the checker's findings in the wire formats: `text` for people, versioned `json`,
//! `junit` XML, SARIF 2.1.0, `gnu` lines, a self-contained `html` page and an SVG `badge`, each from a [`dockerflow_check::Report`] plus the catalogue.
//!
//! **Architecture Invariant:** this is the only crate that knows the report formats. It
//! depends on `dockerflow-check` (and `serde_json` to write JSON), never the other way round,
//! so a change to a report schema is one visible diff here. Nothing here prints or reads the
//! environment: the caller decides colour and where the bytes go.
//!
//! ```
//! use dockerflow_check::{check_dockerfile, DockerfileModel, Options};
//! use dockerflow_report::{render, Format, RenderOptions};
//! let src = "FROM debian:bookworm-slim\nCOPY . /app\nENTRYPOINT [\"/app/server\"]\n";
//! let (model, _) = DockerfileModel::parse("Dockerfile", src, None, &[]).unwrap();
//! let report = check_dockerfile(&model, &Options::default());
//! let text = render(Format::Text, &report, &RenderOptions::default());
//! assert!(text.contains("FAIL  DF203"));
//! let json: serde_json::Value =
//!     serde_json::from_str(&render(Format::Json, &report, &RenderOptions::default())).unwrap();
//! assert_eq!(json["schema_version"], 1);
//! assert_eq!(json["verdict"], "fail");
//! ```
//!
//! # Design
//!
//! - One module per format ([`text`], [`json`], [`junit`], [`sarif`], [`gnu`], [`html`],
//!   [`badge`]), each a pure function from a report to a `String`.
//! - The JSON schema is written in [`json`]'s module doc and pinned by tests; it carries a
//!   `schema_version` that changes on any incompatible change.
//! - Rule metadata (statement, why, fix, help URI, default level) comes from the finding's
//!   `&'static Rule`, so SARIF `rules[]` and JUnit names never drift from `docs/RULES.md`.
//! - XML escaping is written here ([`junit::escape`]); JSON goes through `serde_json`.
//! - Secret values never reach this crate: findings mask them.
#![deny(missing_docs)]

pub mod badge;
pub mod gnu;
pub mod html;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

use dockerflow_check::Report;
pub use json::Unchecked;

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people (see [`text`]).
    Text,
    /// Versioned JSON (see [`json`]).
    Json,
    /// JUnit XML (see [`junit`]).
    Junit,
    /// SARIF 2.1.0 (see [`sarif`]).
    Sarif,
    /// One line per broken rule, `FILE:LINE: LEVEL DFNNN message` (see [`gnu`]).
    Gnu,
    /// One self-contained HTML page (see [`html`]).
    Html,
    /// An SVG badge, `dockerflow | compliant` or `dockerflow | 3 failed` (see [`badge`]).
    Badge,
}

impl Format {
    /// Every format, by name.
    pub const ALL: &'static [(&'static str, Format)] = &[
        ("text", Format::Text),
        ("json", Format::Json),
        ("junit", Format::Junit),
        ("sarif", Format::Sarif),
        ("gnu", Format::Gnu),
        ("html", Format::Html),
        ("badge", Format::Badge),
    ];

    /// Parses a name of [`Format::ALL`]: `text`, `json`, `junit`, `sarif`, `gnu`, `html` or
    /// `badge`.
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.iter().find(|(n, _)| *n == s).map(|(_, f)| *f)
    }
}

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Colour the text format with ANSI escapes (the caller decides: a terminal, no
    /// `NO_COLOR`). Other formats ignore it.
    pub color: bool,
    /// The checker's version, written into JSON and SARIF.
    pub tool_version: String,
    /// The directory relative paths are relative to, as an absolute `file://` URI ending in
    /// `/`: SARIF's `originalUriBaseIds` `%SRCROOT%` (see [`sarif`]). `None` leaves it to the
    /// consumer (GitHub code scanning takes the repository root).
    pub source_root: Option<String>,
    /// How much the text report says (other formats ignore it).
    pub detail: Detail,
}

/// How much the text report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// The verdict line only.
    Quiet,
    /// Failures, warnings and ignored rules in full; skipped rules one line per reason;
    /// passes one line.
    #[default]
    Normal,
    /// Every rule on its line, passes with what they found.
    Verbose,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            color: false,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            source_root: None,
            detail: Detail::Normal,
        }
    }
}

/// Renders `report` in `format`.
pub fn render(format: Format, report: &Report, options: &RenderOptions) -> String {
    match format {
        Format::Text => text::render(report, options),
        Format::Json => json::render(report, options),
        Format::Junit => junit::render(report, options),
        Format::Sarif => sarif::render(report, options),
        Format::Gnu => gnu::render(report),
        Format::Html => html::render(report, options),
        Format::Badge => badge::render(report),
    }
}

/// Renders several reports (one per input: `check dockerfile A B C`) as one document that
/// the format's consumers read whole: text and `gnu` one after another; JSON an array of the
/// objects [`render`] writes; JUnit one `<testsuites>` with a suite per input; SARIF one run
/// holding every input's results (GitHub code scanning refuses several runs of one tool),
/// with each input's outcomes in `properties.inputs`; HTML one page with a summary table;
/// the badge one badge counting every input's failures. One report renders as [`render`] does.
pub fn render_all(format: Format, reports: &[Report], options: &RenderOptions) -> String {
    if let [one] = reports {
        return render(format, one, options);
    }
    match format {
        Format::Text | Format::Gnu => reports
            .iter()
            .map(|r| render(format, r, options))
            .collect::<Vec<_>>()
            .join(if format == Format::Text { "\n" } else { "" }),
        Format::Json => {
            let all: Vec<serde_json::Value> =
                reports.iter().map(|r| json::to_value(r, options)).collect();
            let mut s = serde_json::to_string_pretty(&all).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Junit => junit::render_all(reports, options),
        Format::Sarif => sarif::render_all(reports, options),
        Format::Html => html::render_all(reports, options),
        Format::Badge => badge::render_all(reports),
    }
}

/// [`render_all`] for a run that could not check some of its inputs (a fleet where an image
/// could not be read, or a merge of such runs). Every format says so, so that no artifact of
/// the run reads as a pass: JSON names them in each report's `unchecked` (see [`json`]), so
/// that the reports of several runs can be merged ([`json::read`]); HTML lists them in its
/// table and a section of their own, its verdict ERROR; JUnit makes each one a suite with an
/// `<error>`; SARIF reports each as an error notification of an unsuccessful invocation; `gnu`
/// writes an `error` line for each; the badge counts them. Text is [`render_all`]'s: its
/// caller appends the table that names them. Without unchecked inputs this is [`render_all`].
pub fn render_run(
    format: Format,
    reports: &[Report],
    unchecked: &[Unchecked],
    options: &RenderOptions,
) -> String {
    if unchecked.is_empty() {
        return render_all(format, reports, options);
    }
    match format {
        Format::Json => json::render_run(reports, unchecked, options),
        Format::Html => html::render_run(reports, unchecked, options),
        Format::Junit => junit::render_run(reports, unchecked, options),
        Format::Sarif => sarif::render_run(reports, unchecked, options),
        Format::Badge => badge::render_run(reports, unchecked),
        Format::Gnu => {
            let mut out = render_all(format, reports, options);
            out.push_str(&gnu::render_unchecked(unchecked));
            out
        }
        Format::Text => render_all(format, reports, options),
    }
}
