//! The badge: an SVG image in shields.io's flat style, `dockerflow | compliant` (green),
//! `dockerflow | compliant, 2 warned` (yellow) or `dockerflow | 3 failed` (red), for a README
//! or a CI artifact. Several reports make one badge: their failures and warnings added up.
//! Inputs that could not be checked make it red whatever the others say:
//! `dockerflow | 1 not checked` or `dockerflow | 3 failed, 1 not checked`.
//!
//! The width of each half is computed from its text, with Verdana's advance widths at 11 px
//! (the font shields.io measures with; DejaVu Sans and the generic sans-serif are the
//! fallbacks), plus 5 px of padding on each side, as shields.io does. Text is drawn at 10x
//! and scaled down, as shields.io does, so it renders crisply at small sizes. No external
//! reference: the gradient and the clip path are inline.

use dockerflow_check::{Report, Verdict};

use crate::junit::escape;
use crate::Unchecked;

const GREEN: &str = "#4c1";
const YELLOW: &str = "#dfb317";
const RED: &str = "#e05d44";
const LABEL: &str = "dockerflow";

/// The badge's message and colour for these reports.
pub fn message(reports: &[Report]) -> (String, &'static str) {
    let failed: usize = reports.iter().map(|r| r.summary().fail).sum();
    let warned: usize = reports.iter().map(|r| r.summary().warn).sum();
    let verdict_fail = reports.iter().any(|r| r.verdict() == Verdict::Fail);
    match (verdict_fail, warned) {
        (true, _) => (format!("{failed} failed"), RED),
        (false, 0) => ("compliant".to_string(), GREEN),
        (false, n) => (format!("compliant, {n} warned"), YELLOW),
    }
}

/// [`message`] for a run that could not check `unchecked` inputs: red, counting them.
pub fn run_message(reports: &[Report], unchecked: &[Unchecked]) -> (String, &'static str) {
    if unchecked.is_empty() {
        return message(reports);
    }
    let failed: usize = reports.iter().map(|r| r.summary().fail).sum();
    let not_checked = format!("{} not checked", unchecked.len());
    match failed {
        0 => (not_checked, RED),
        n => (format!("{n} failed, {not_checked}"), RED),
    }
}

/// Renders one badge for a run that could not check some inputs (see [`run_message`]).
pub fn render_run(reports: &[Report], unchecked: &[Unchecked]) -> String {
    let (message, colour) = run_message(reports, unchecked);
    svg(LABEL, &message, colour)
}

/// Renders one report's badge.
pub fn render(report: &Report) -> String {
    render_all(std::slice::from_ref(report))
}

/// Renders one badge for several reports.
pub fn render_all(reports: &[Report]) -> String {
    let (message, colour) = message(reports);
    svg(LABEL, &message, colour)
}

/// The flat badge `label | message` with the message on `colour`.
pub fn svg(label: &str, message: &str, colour: &str) -> String {
    let lw = text_width(label) + 10;
    let mw = text_width(message) + 10;
    let w = lw + mw;
    // Centres and lengths in the 10x text coordinates.
    let lx = lw * 5;
    let mx = lw * 10 + mw * 5;
    let ltl = (lw - 10) * 10;
    let mtl = (mw - 10) * 10;
    let (label, message) = (escape(label), escape(message));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"20\" role=\"img\" \
aria-label=\"{label}: {message}\"><title>{label}: {message}</title>\
<linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" \
stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>\
<clipPath id=\"r\"><rect width=\"{w}\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\
<g clip-path=\"url(#r)\"><rect width=\"{lw}\" height=\"20\" fill=\"#555\"/>\
<rect x=\"{lw}\" width=\"{mw}\" height=\"20\" fill=\"{colour}\"/>\
<rect width=\"{w}\" height=\"20\" fill=\"url(#s)\"/></g>\
<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" \
text-rendering=\"geometricPrecision\" font-size=\"110\">\
<text aria-hidden=\"true\" x=\"{lx}\" y=\"150\" fill=\"#010101\" fill-opacity=\".3\" \
transform=\"scale(.1)\" textLength=\"{ltl}\">{label}</text>\
<text x=\"{lx}\" y=\"140\" transform=\"scale(.1)\" fill=\"#fff\" textLength=\"{ltl}\">{label}</text>\
<text aria-hidden=\"true\" x=\"{mx}\" y=\"150\" fill=\"#010101\" fill-opacity=\".3\" \
transform=\"scale(.1)\" textLength=\"{mtl}\">{message}</text>\
<text x=\"{mx}\" y=\"140\" transform=\"scale(.1)\" fill=\"#fff\" textLength=\"{mtl}\">{message}</text>\
</g></svg>\n"
    )
}

/// The width of `text` in Verdana 11 px, rounded up to whole pixels.
pub fn text_width(text: &str) -> u32 {
    let tenths: u32 = text.chars().map(advance).sum();
    tenths.div_ceil(10)
}

/// Verdana's advance width at 11 px, in tenths of a pixel.
fn advance(c: char) -> u32 {
    match c {
        ' ' => 38,
        '!' | '\'' | '.' | ',' | ':' | ';' | '|' => 43,
        '(' | ')' | '[' | ']' | '-' => 54,
        'i' | 'l' | 'j' => 30,
        'f' | 't' => 42,
        'r' => 47,
        'c' | 's' | 'z' => 57,
        'm' => 106,
        'w' => 89,
        'a' | 'e' | 'k' | 'v' | 'x' | 'y' => 65,
        'b' | 'd' | 'g' | 'h' | 'n' | 'o' | 'p' | 'q' | 'u' => 68,
        '0'..='9' => 70,
        'I' => 46,
        'J' => 50,
        'M' | 'W' => 94,
        'A'..='Z' => 75,
        // Wide and unknown characters: as wide as an M, so the text never overflows.
        _ => 106,
    }
}
