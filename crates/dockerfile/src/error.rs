//! Source positions ([`Span`]) and the problems the parser reports ([`ParseError`]).

use std::fmt;

/// A region of the Dockerfile source: a byte range plus the 1-based line and column of its start.
///
/// Columns count characters (not bytes) from the start of the line, so they match what an editor
/// shows for UTF-8 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column (in characters) of `start`.
    pub column: u32,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The source text this span covers (empty if the span does not belong to `src`).
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Maps byte offsets to line and column.
#[derive(Debug)]
pub(crate) struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { src, starts }
    }

    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        let line = match self.starts.binary_search(&start) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.starts.get(line).copied().unwrap_or(0);
        let column = self
            .src
            .get(line_start..start)
            .map_or(start.saturating_sub(line_start), |s| s.chars().count())
            + 1;
        Span {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            start,
            end: end.max(start),
        }
    }
}

/// A problem found while parsing or evaluating a Dockerfile.
///
/// Parsing never stops at one: the instruction in error is skipped (or kept with what could be
/// understood) and parsing continues with the next line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the problem is.
    pub span: Span,
    /// The instruction keyword in upper case (`"COPY"`), or `None` for problems outside one
    /// (parser directives, heredoc bodies).
    pub instruction: Option<String>,
    /// What was expected and what was found.
    pub message: String,
    /// Whether the file can still be judged.
    pub kind: ParseErrorKind,
}

/// What a [`ParseError`] means for whoever judges the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The instruction was skipped or kept with what could be understood; the rest of the file
    /// can still be judged.
    Syntax,
    /// Variable expansion went over its budget ([`crate::MAX_VALUE_GROWTH`] per value,
    /// [`crate::MAX_TOTAL_GROWTH`] per evaluation): the file is hostile or broken, and values
    /// after it are not what a build would see. Nothing should be judged from it.
    ExpansionBudget,
    /// `docker build` refuses the file here: an unknown instruction or flag, or an instruction
    /// without the arguments the builder requires (`USER` alone, `COPY src`, `FROM a b`). The
    /// rest of the file can be judged, but it builds nothing. Malformed JSON arrays are not
    /// refusals: the builder runs them as the shell form, and so does this parser.
    Refused,
}

impl ParseError {
    pub(crate) fn new(span: Span, instruction: Option<&str>, message: impl Into<String>) -> Self {
        ParseError {
            span,
            instruction: instruction.map(str::to_owned),
            message: message.into(),
            kind: ParseErrorKind::Syntax,
        }
    }

    /// The fatal error for an instruction whose expansions went over the budget.
    pub(crate) fn budget(span: Span, instruction: Option<&str>, message: String) -> Self {
        ParseError {
            kind: ParseErrorKind::ExpansionBudget,
            ..ParseError::new(span, instruction, message)
        }
    }

    /// An error `docker build` refuses the file for.
    pub(crate) fn refused(
        span: Span,
        instruction: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ParseError {
            kind: ParseErrorKind::Refused,
            ..ParseError::new(span, instruction, message)
        }
    }

    /// Whether `docker build` refuses a file with this error.
    pub fn is_refused(&self) -> bool {
        self.kind == ParseErrorKind::Refused
    }

    /// Whether nothing should be judged from a file with this error.
    pub fn is_fatal(&self) -> bool {
        self.kind == ParseErrorKind::ExpansionBudget
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.instruction {
            Some(i) => write!(
                f,
                "line {}, column {}: {i}: {}",
                self.span.line, self.span.column, self.message
            ),
            None => write!(
                f,
                "line {}, column {}: {}",
                self.span.line, self.span.column, self.message
            ),
        }
    }
}

impl std::error::Error for ParseError {}

/// A value together with the span it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written (for facts: the whole instruction that set it).
    pub span: Span,
}
