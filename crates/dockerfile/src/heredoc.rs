//! Heredocs (`RUN <<EOF`, `COPY <<-"EOF" /dest`): finding the markers on an instruction line.
//! Reading the bodies happens in [`crate::lines`], which owns the physical lines.

use crate::error::Span;
use crate::expand::{split_words, unquote};
use crate::keyword::Keyword;

/// A heredoc attached to a `RUN`, `COPY` or `ADD` instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word, quotes removed (`EOF` for `<<"EOF"`).
    pub name: String,
    /// The file descriptor written before `<<` (`3<<EOF`), if any.
    pub fd: Option<u32>,
    /// `<<-`: leading tabs are stripped from the body lines and the terminator.
    pub strip_tabs: bool,
    /// `false` when the delimiter was quoted: the body is taken literally, no `$VAR` expansion.
    pub expand: bool,
    /// The body, each line ending with `\n`, tabs already stripped for `<<-`.
    pub body: String,
    /// The `<<EOF` marker on the instruction line.
    pub marker_span: Span,
    /// The body lines and the terminator line.
    pub body_span: Span,
}

/// A marker found on a logical line (offsets into the logical line's text).
#[derive(Debug)]
pub(crate) struct Marker {
    pub(crate) name: String,
    pub(crate) fd: Option<u32>,
    pub(crate) strip_tabs: bool,
    pub(crate) expand: bool,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Whether BuildKit recognises heredocs in the instruction named `keyword` (any case).
pub(crate) fn allowed(keyword: &str) -> bool {
    Keyword::parse(keyword).is_some_and(Keyword::takes_heredocs)
}

/// Finds `[n]<<[-]NAME` words in `text` (BuildKit's `^(\d*)<<(-?)([^<]*)$` on each word).
pub(crate) fn markers(text: &str, escape: char) -> Vec<Marker> {
    let mut out = Vec::new();
    for (start, end) in split_words(text, escape) {
        if let Some(m) = marker(&text[start..end], escape) {
            out.push(Marker { start, end, ..m });
        }
    }
    out
}

pub(crate) fn marker(word: &str, escape: char) -> Option<Marker> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let rest = word[digits..].strip_prefix("<<")?;
    let (strip_tabs, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let name = unquote(rest, escape);
    if name.is_empty() {
        return None;
    }
    Some(Marker {
        expand: !rest.contains(['\'', '"']),
        name,
        fd: if digits > 0 {
            word[..digits].parse().ok()
        } else {
            None
        },
        strip_tabs,
        start: 0,
        end: word.len(),
    })
}
