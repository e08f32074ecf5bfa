//! From source text to logical lines: parser directives, comments, blank lines, line
//! continuations (with BuildKit's skipping of comment and empty lines inside them) and heredoc
//! bodies.

use crate::error::{LineIndex, ParseError, Span};
use crate::heredoc::{self, Heredoc};
use crate::keyword::Keyword;

/// A parser directive (`# syntax=...`, `# escape=...`, `# check=...`) from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The directive's name in lower case (`syntax`, `escape`, `check`).
    pub name: String,
    /// Its value, trimmed.
    pub value: String,
    /// The whole comment line.
    pub span: Span,
}

/// One instruction's text with continuations joined, mapped back to the source.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    pub(crate) text: String,
    /// `(offset in text, offset in source)` at the start of each joined piece.
    segments: Vec<(usize, usize)>,
    /// Source range of the instruction, heredoc bodies included.
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) heredocs: Vec<Heredoc>,
}

impl LogicalLine {
    /// Source offset of byte `off` of `text`.
    pub(crate) fn src(&self, off: usize) -> usize {
        let i = match self.segments.binary_search_by_key(&off, |s| s.0) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        match self.segments.get(i) {
            Some(&(t, s)) => s + (off - t.min(off)),
            None => self.start,
        }
    }

    fn push(&mut self, piece: &str, src: usize) {
        self.segments.push((self.text.len(), src));
        self.text.push_str(piece);
    }
}

/// Content ranges of the physical lines (without `\n` and a trailing `\r`).
fn physical_lines(src: &str, from: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = from;
    let bytes = src.as_bytes();
    while start < src.len() {
        let nl = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(src.len(), |p| start + p);
        let end = if nl > start && bytes[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        out.push((start, end));
        start = nl + 1;
    }
    out
}

/// The result of splitting a Dockerfile into directives and logical lines.
#[derive(Debug)]
pub(crate) struct Lines {
    pub(crate) directives: Vec<Directive>,
    pub(crate) escape: char,
    pub(crate) lines: Vec<LogicalLine>,
}

pub(crate) fn split(src: &str, index: &LineIndex<'_>, errors: &mut Vec<ParseError>) -> Lines {
    let from = if src.starts_with('\u{FEFF}') { 3 } else { 0 };
    let phys = physical_lines(src, from);
    let text = |i: usize| &src[phys[i].0..phys[i].1];

    // Parser directives: only before the first line that is not one (blank lines included).
    let mut directives: Vec<Directive> = Vec::new();
    let mut escape = '\\';
    let mut i = 0;
    while i < phys.len() {
        let Some((name, value)) = directive(text(i)) else {
            break;
        };
        let span = index.span(phys[i].0, phys[i].1);
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            // Docs: an unknown directive is a comment, and ends directive processing.
            break;
        }
        if directives.iter().any(|d| d.name == name) {
            errors.push(ParseError::new(
                span,
                None,
                format!("expected at most one '{name}' parser directive, found a second one"),
            ));
        } else {
            if name == "escape" {
                match value {
                    "\\" => escape = '\\',
                    "`" => escape = '`',
                    other => errors.push(ParseError::new(
                        span,
                        None,
                        format!("expected the escape directive to be '\\' or '`', found '{other}'"),
                    )),
                }
            }
            directives.push(Directive {
                name,
                value: value.to_owned(),
                span,
            });
        }
        i += 1;
    }

    let mut lines = Vec::new();
    while i < phys.len() {
        let line = text(i);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = phys[i].0 + (line.len() - trimmed.len());
        let mut logical = LogicalLine {
            text: String::new(),
            segments: Vec::new(),
            start,
            end: phys[i].1,
            heredocs: Vec::new(),
        };
        let (piece, mut continued) = continuation(trimmed, escape);
        logical.push(piece, start);
        i += 1;
        while continued && i < phys.len() {
            let line = text(i);
            let t = line.trim_start();
            // BuildKit skips comment lines and empty lines inside a continuation.
            if t.is_empty() || t.starts_with('#') {
                i += 1;
                continue;
            }
            let (piece, c) = continuation(line, escape);
            logical.push(piece, phys[i].0);
            logical.end = phys[i].1;
            continued = c;
            i += 1;
        }

        let mut words = logical.text.split_whitespace();
        let mut keyword = words.next().unwrap_or("");
        if Keyword::parse(keyword) == Some(Keyword::Onbuild) {
            // BuildKit: ONBUILD is a compound instruction whose trigger may take heredocs.
            keyword = words.next().unwrap_or("");
        }
        if heredoc::allowed(keyword) && logical.text.contains("<<") {
            for m in heredoc::markers(&logical.text, escape) {
                let body_start = phys.get(i).map_or(src.len(), |p| p.0);
                let mut body = String::new();
                let mut terminated = false;
                while i < phys.len() {
                    let line = text(i);
                    let cmp = if m.strip_tabs {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    logical.end = phys[i].1;
                    i += 1;
                    if cmp == m.name {
                        terminated = true;
                        break;
                    }
                    body.push_str(cmp);
                    body.push('\n');
                }
                let marker_span = index.span(logical.src(m.start), logical.src(m.end));
                if !terminated {
                    errors.push(ParseError::new(
                        marker_span,
                        Some(&keyword.to_ascii_uppercase()),
                        format!(
                            "expected a line '{}' to end the heredoc, found the end of the file",
                            m.name
                        ),
                    ));
                }
                logical.heredocs.push(Heredoc {
                    name: m.name,
                    fd: m.fd,
                    strip_tabs: m.strip_tabs,
                    expand: m.expand,
                    body,
                    marker_span,
                    body_span: index.span(body_start, logical.end.max(body_start)),
                });
            }
        }
        lines.push(logical);
    }
    Lines {
        directives,
        escape,
        lines,
    }
}

/// BuildKit: `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let name_len = rest
        .char_indices()
        .find(|&(_, c)| !c.is_ascii_alphanumeric())
        .map_or(rest.len(), |(i, _)| i);
    let name = &rest[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[name_len..].trim_start().strip_prefix('=')?.trim();
    (!value.is_empty()).then_some((name, value))
}

/// Removes a trailing escape character (and the blanks after it); says whether one was there.
fn continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        // BuildKit: `([^\\])\\[ \t]*$|^\\[ \t]*$`, so an escaped escape does not continue.
        Some(piece) if !piece.ends_with(escape) => (piece, true),
        _ => (line, false),
    }
}
