//! Words and variable substitution as BuildKit's shell lexer does them (`shell/lex.go`):
//! quote-aware splitting, quote removal, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?message}`, `${VAR#prefix}`, `${VAR%suffix}`, and the
//! escape character (`\` or `` ` ``).

use std::cell::{Cell, RefCell};

use crate::cursor::Cursor;

/// Nesting limit for `${a:-${b:-...}}`; deeper input is reported, never a stack overflow.
const MAX_DEPTH: usize = 64;

/// How many bytes one expansion may add to the word it expands: 1 MiB.
///
/// Each `ENV A=$A$A` doubles a value; without a cap 30 such lines ask for gigabytes. No real
/// Dockerfile comes near: its values are paths, versions and short commands.
pub const MAX_VALUE_GROWTH: usize = 1 << 20;

/// How many bytes all the expansions of one evaluation of a Dockerfile (its stages, or one
/// stage's facts) may add together: 16 MiB, so that many values under the per-value cap are
/// bounded too.
pub const MAX_TOTAL_GROWTH: usize = 16 << 20;

/// The expansion budget of one evaluation: what expansions may still add, and the first
/// expansion that went over it (reported once, by the caller, as a fatal [`crate::ParseError`]).
///
/// Once spent, it stays spent: every later expansion that would add anything fails too (its
/// word is kept as written), and only the first failure is reported.
#[derive(Debug)]
pub(crate) struct Budget {
    left: Cell<usize>,
    spent: Cell<bool>,
    failure: RefCell<Option<String>>,
}

impl Budget {
    pub(crate) fn new() -> Budget {
        Budget {
            left: Cell::new(MAX_TOTAL_GROWTH),
            spent: Cell::new(false),
            failure: RefCell::new(None),
        }
    }

    /// The first failure, once: `None` before it and after it was taken.
    pub(crate) fn take_failure(&self) -> Option<String> {
        self.failure.borrow_mut().take()
    }

    fn fail(&self, message: String) -> ExpandError {
        self.left.set(0);
        if !self.spent.replace(true) {
            *self.failure.borrow_mut() = Some(message.clone());
        }
        ExpandError::Budget(message)
    }
}

/// Why an expansion failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpandError {
    /// The word is malformed (an unterminated quote, a bad substitution, `${X:?}` unset): the
    /// message says what was expected.
    Syntax(String),
    /// The expansion would go over the [`Budget`]; the budget remembers it for the caller.
    Budget(String),
}

impl From<String> for ExpandError {
    fn from(message: String) -> ExpandError {
        ExpandError::Syntax(message)
    }
}

impl From<&str> for ExpandError {
    fn from(message: &str) -> ExpandError {
        ExpandError::Syntax(message.to_owned())
    }
}

impl ExpandError {
    /// A syntax error's message; `None` for a budget failure (reported once per instruction by
    /// whoever owns the [`Budget`]).
    pub(crate) fn syntax(self) -> Option<String> {
        match self {
            ExpandError::Syntax(m) => Some(m),
            ExpandError::Budget(_) => None,
        }
    }
}

/// Splits `s` into words on unquoted blanks, keeping quotes and escapes in the words.
///
/// Returns byte ranges into `s`. This is BuildKit's `parseWords`: the words still need
/// [`expand`] (which removes quotes) before use.
pub(crate) fn split_words(s: &str, escape: char) -> Vec<(usize, usize)> {
    words(s, escape).collect()
}

/// [`split_words`] as a lazy iterator, for callers that stop early (flags).
pub(crate) fn words(s: &str, escape: char) -> Words<'_> {
    Words {
        s,
        chars: s.char_indices(),
        escape,
    }
}

/// Iterator returned by [`words`].
pub(crate) struct Words<'a> {
    s: &'a str,
    chars: std::str::CharIndices<'a>,
    escape: char,
}

impl Iterator for Words<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let blank = |c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r';
        let mut start: Option<usize> = None;
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (i, c) in self.chars.by_ref() {
            if escaped {
                escaped = false;
                continue;
            }
            if start.is_none() {
                if blank(c) {
                    continue;
                }
                start = Some(i);
            }
            match quote {
                Some(q) if c == q => quote = None,
                Some('\'') => {}
                Some(_) if c == self.escape => escaped = true,
                Some(_) => {}
                None if c == self.escape => escaped = true,
                None if c == '\'' || c == '"' => quote = Some(c),
                None if blank(c) => return start.map(|st| (st, i)),
                None => {}
            }
        }
        start.map(|st| (st, self.s.len()))
    }
}

/// Expands variables in `word` and removes its quotes.
///
/// `lookup` answers a variable's value (`None` when unset). Unset variables expand to nothing.
/// Errors are messages for a [`crate::ParseError`]: an unterminated quote, a bad substitution,
/// or a `${VAR:?message}` whose variable is unset; or the `budget` is spent: the result would
/// grow the word by more than [`MAX_VALUE_GROWTH`] or what is left of [`MAX_TOTAL_GROWTH`].
pub(crate) fn expand(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
    budget: &Budget,
) -> Result<String, ExpandError> {
    let left = budget.left.get();
    let mut lexer = Lexer {
        at: Cursor::new(word),
        escape,
        lookup,
        max_len: word.len().saturating_add(MAX_VALUE_GROWTH.min(left)),
    };
    match lexer.word(None, 0) {
        Ok(out) => {
            budget
                .left
                .set(left.saturating_sub(out.len().saturating_sub(word.len())));
            Ok(out)
        }
        Err(ExpandError::Budget(_)) => {
            let message = if left < MAX_VALUE_GROWTH {
                format!(
                    "variable expansion grows the Dockerfile's values by more than {MAX_TOTAL_GROWTH} bytes in all; expected values of a real build, not ones that double line after line"
                )
            } else {
                format!(
                    "variable expansion grows this value by more than {MAX_VALUE_GROWTH} bytes; expected a value of a real build, not one that doubles line after line"
                )
            };
            Err(budget.fail(message))
        }
        Err(e) => Err(e),
    }
}

/// Removes quotes and escapes without expanding anything (`${X}` stays as written).
pub(crate) fn unquote(word: &str, escape: char) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => match chars.next() {
                Some(n @ ('"' | '$')) => out.push(n),
                Some(n) if n == escape => out.push(n),
                Some(n) => {
                    out.push(c);
                    out.push(n);
                }
                None => out.push(c),
            },
            Some(_) => out.push(c),
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == escape => out.push(chars.next().unwrap_or(c)),
            None => out.push(c),
        }
    }
    out
}

struct Lexer<'a, 'l> {
    at: Cursor<'a>,
    escape: char,
    lookup: &'l dyn Fn(&str) -> Option<String>,
    /// The longest any string built while expanding may get (see [`expand`]).
    max_len: usize,
}

impl Lexer<'_, '_> {
    /// Reads up to `stop` (not consumed) or the end.
    fn word(&mut self, stop: Option<char>, depth: usize) -> Result<String, ExpandError> {
        if depth > MAX_DEPTH {
            return Err(ExpandError::Syntax(format!(
                "expected at most {MAX_DEPTH} nested substitutions, found more"
            )));
        }
        let mut out = String::new();
        while let Some(c) = self.at.peek() {
            if Some(c) == stop {
                break;
            }
            self.at.bump();
            if c == self.escape {
                out.push(self.at.bump().unwrap_or(c));
            } else if c == '\'' {
                loop {
                    match self.at.bump() {
                        Some('\'') => break,
                        Some(c) => out.push(c),
                        None => {
                            return Err(
                                "expected a closing single quote ('), found the end of the line"
                                    .into(),
                            )
                        }
                    }
                }
            } else if c == '"' {
                loop {
                    match self.at.bump() {
                        Some('"') => break,
                        Some('$') => self.dollar(&mut out, depth)?,
                        Some(c) if c == self.escape => match self.at.peek() {
                            Some(n) if n == '"' || n == '$' || n == self.escape => {
                                self.at.bump();
                                out.push(n);
                            }
                            _ => out.push(c),
                        },
                        Some(c) => out.push(c),
                        None => {
                            return Err(
                                "expected a closing double quote (\"), found the end of the line"
                                    .into(),
                            )
                        }
                    }
                }
            } else if c == '$' {
                self.dollar(&mut out, depth)?;
            } else {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.at.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
                self.at.bump();
            } else {
                break;
            }
        }
        name
    }

    /// Handles what follows a `$` (already consumed).
    fn dollar(&mut self, out: &mut String, depth: usize) -> Result<(), ExpandError> {
        self.substitute(out, depth)?;
        if out.len() > self.max_len {
            // The caller turns this into the budget's message.
            return Err(ExpandError::Budget(String::new()));
        }
        Ok(())
    }

    fn substitute(&mut self, out: &mut String, depth: usize) -> Result<(), ExpandError> {
        match self.at.peek() {
            Some('{') => {
                self.at.bump();
                let name = self.name();
                if name.is_empty() {
                    return Err(format!(
                        "expected a variable name after '${{', found {}",
                        found(self.at.peek())
                    )
                    .into());
                }
                let value = (self.lookup)(&name);
                match self.at.bump() {
                    Some('}') => out.push_str(value.as_deref().unwrap_or("")),
                    Some(op @ (':' | '-' | '+' | '?')) => {
                        let colon = op == ':';
                        let op = if colon { self.at.bump() } else { Some(op) };
                        let op = match op {
                            Some(o @ ('-' | '+' | '?')) => o,
                            other => {
                                return Err(format!(
                                    "expected '-', '+' or '?' after '${{{name}:', found {}",
                                    found(other)
                                )
                                .into())
                            }
                        };
                        let word = self.word(Some('}'), depth + 1)?;
                        self.close(&name)?;
                        let set = match &value {
                            Some(v) => !colon || !v.is_empty(),
                            None => false,
                        };
                        match op {
                            '-' if set => out.push_str(value.as_deref().unwrap_or("")),
                            '-' => out.push_str(&word),
                            '+' if set => out.push_str(&word),
                            '+' => {}
                            _ if set => out.push_str(value.as_deref().unwrap_or("")),
                            _ if word.is_empty() => {
                                return Err(format!("{name}: is not allowed to be unset").into())
                            }
                            _ => return Err(format!("{name}: {word}").into()),
                        }
                    }
                    Some(op @ ('#' | '%')) => {
                        let longest = self.at.peek() == Some(op);
                        if longest {
                            self.at.bump();
                        }
                        let pattern = self.word(Some('}'), depth + 1)?;
                        self.close(&name)?;
                        let v = value.unwrap_or_default();
                        out.push_str(&trim_pattern(&v, &pattern, op == '#', longest));
                    }
                    other => {
                        return Err(format!(
                            "expected '}}' or a modifier (:- - :+ + :? ? # %) after '${{{name}', found {}",
                            found(other)
                        )
                        .into())
                    }
                }
            }
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                let name = self.name();
                out.push_str(&(self.lookup)(&name).unwrap_or_default());
            }
            _ => out.push('$'),
        }
        Ok(())
    }

    fn close(&mut self, name: &str) -> Result<(), ExpandError> {
        match self.at.bump() {
            Some('}') => Ok(()),
            other => {
                Err(format!("expected '}}' to close '${{{name}', found {}", found(other)).into())
            }
        }
    }
}

fn found(c: Option<char>) -> String {
    match c {
        Some(c) => format!("'{c}'"),
        None => "the end of the line".into(),
    }
}

/// `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}` with `*` and `?` globs.
fn trim_pattern(v: &str, pattern: &str, prefix: bool, longest: bool) -> String {
    if !pattern.contains(['*', '?']) {
        let trimmed = if prefix {
            v.strip_prefix(pattern)
        } else {
            v.strip_suffix(pattern)
        };
        return trimmed.unwrap_or(v).to_owned();
    }
    // Glob matching at every cut is cubic at worst: values past 1 KiB are left as they are.
    if v.len() > 1024 || pattern.len() > 1024 {
        return v.to_owned();
    }
    let bounds: Vec<usize> = v
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(v.len()))
        .collect();
    let candidates: Box<dyn Iterator<Item = &usize>> = match (prefix, longest) {
        (true, false) => Box::new(bounds.iter()),
        (true, true) => Box::new(bounds.iter().rev()),
        (false, false) => Box::new(bounds.iter().rev()),
        (false, true) => Box::new(bounds.iter()),
    };
    for &cut in candidates {
        let (matched, rest) = if prefix {
            (&v[..cut], &v[cut..])
        } else {
            (&v[cut..], &v[..cut])
        };
        if glob(pattern, matched) {
            return rest.to_owned();
        }
    }
    v.to_owned()
}

fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(word: &str) -> String {
        let vars = |n: &str| match n {
            "A" => Some("a".to_owned()),
            "EMPTY" => Some(String::new()),
            "P" => Some("dir/file.tar.gz".to_owned()),
            _ => None,
        };
        match expand(word, '\\', &vars, &Budget::new()) {
            Ok(s) => s,
            Err(ExpandError::Syntax(e)) => format!("error: {e}"),
            Err(ExpandError::Budget(e)) => format!("budget: {e}"),
        }
    }

    #[test]
    fn substitutions() {
        let cases = [
            ("$A", "a"),
            ("${A}b", "ab"),
            ("$Ab", ""),
            ("${U:-d}", "d"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${U-d}", "d"),
            ("${A:+alt}", "alt"),
            ("${EMPTY:+alt}", ""),
            ("${EMPTY+alt}", "alt"),
            ("${U+alt}", ""),
            ("${U:-${A}x}", "ax"),
            ("\\$A", "$A"),
            ("'$A'", "$A"),
            ("\"$A b\"", "a b"),
            ("\"\\$A\"", "$A"),
            ("a\\ b", "a b"),
            ("$", "$"),
            ("$-", "$-"),
            ("${P#*/}", "file.tar.gz"),
            ("${P%.*}", "dir/file.tar"),
            ("${P%%.*}", "dir/file"),
            ("${P##*.}", "gz"),
            ("${U:?must be set}", "error: U: must be set"),
            ("${A", "error: expected '}' or a modifier (:- - :+ + :? ? # %) after '${A', found the end of the line"),
            ("${}", "error: expected a variable name after '${', found '}'"),
            ("'abc", "error: expected a closing single quote ('), found the end of the line"),
        ];
        for (input, want) in cases {
            assert_eq!(x(input), want, "input {input:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "${A:-".repeat(10_000);
        assert!(x(&deep).starts_with("error: expected at most"));
    }

    #[test]
    fn words() {
        let s = r#"a "b c" d\ e 'f g'"#;
        let w: Vec<&str> = split_words(s, '\\')
            .iter()
            .map(|&(a, b)| &s[a..b])
            .collect();
        assert_eq!(w, ["a", "\"b c\"", "d\\ e", "'f g'"]);
        assert_eq!(unquote(r#""a\"b" 'c' d\ e"#, '\\'), r#"a"b c d e"#);
    }
}
