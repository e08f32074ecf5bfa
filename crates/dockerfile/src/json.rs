//! A strict parser for the one JSON shape Dockerfiles use: an array of strings (exec form).

/// What a `[`-led argument is, as BuildKit's `parseJSON` (Go's `json.Unmarshal` into `[]any`)
/// sees it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonArray {
    /// A JSON array of strings: exec form.
    Strings(Vec<String>),
    /// Valid JSON array with a non-string element: BuildKit rejects the instruction.
    NotStrings,
    /// Not a JSON array (single quotes, trailing text, syntax errors): shell form.
    Invalid,
}

/// Classifies `s` (see [`JsonArray`]).
pub(crate) fn array(s: &str) -> JsonArray {
    let b = s.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return JsonArray::Invalid;
    }
    i = skip_ws(b, i + 1);
    let mut out = Vec::new();
    let mut all_strings = true;
    if b.get(i) == Some(&b']') {
        return finish(b, i + 1, out, all_strings);
    }
    loop {
        if b.get(i) == Some(&b'"') {
            match string(s, i) {
                Some((v, next)) => {
                    out.push(v);
                    i = next;
                }
                None => return JsonArray::Invalid,
            }
        } else {
            match skip_value(s, i) {
                Some(next) => {
                    all_strings = false;
                    i = next;
                }
                None => return JsonArray::Invalid,
            }
        }
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return finish(b, i + 1, out, all_strings),
            _ => return JsonArray::Invalid,
        }
    }
}

fn finish(b: &[u8], i: usize, out: Vec<String>, all_strings: bool) -> JsonArray {
    if skip_ws(b, i) != b.len() {
        JsonArray::Invalid
    } else if all_strings {
        JsonArray::Strings(out)
    } else {
        JsonArray::NotStrings
    }
}

/// Parses `s` as a JSON array of strings; `None` for anything else.
pub(crate) fn string_array(s: &str) -> Option<Vec<String>> {
    match array(s) {
        JsonArray::Strings(v) => Some(v),
        _ => None,
    }
}

/// Go's decoder refuses nesting deeper than this; so do we (iteratively, no recursion).
const MAX_NESTING: usize = 10_000;

/// Skips one JSON value starting at `i`; returns the offset after it.
fn skip_value(s: &str, mut i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    loop {
        i = skip_ws(b, i);
        match *b.get(i)? {
            b'"' => i = string(s, i)?.1,
            b'[' => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    stack.push(b']');
                    if stack.len() > MAX_NESTING {
                        return None;
                    }
                    continue;
                }
            }
            b'{' => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    stack.push(b'}');
                    if stack.len() > MAX_NESTING {
                        return None;
                    }
                    i = key(s, i)?;
                    continue;
                }
            }
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number(b, i)?,
            _ => return None,
        }
        // After a value: close finished containers, or move to the next element.
        loop {
            let Some(&close) = stack.last() else {
                return Some(i);
            };
            i = skip_ws(b, i);
            match *b.get(i)? {
                b',' => {
                    i += 1;
                    if close == b'}' {
                        i = key(s, skip_ws(b, i))?;
                    }
                    break;
                }
                c if c == close => {
                    stack.pop();
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// An object key and its colon; returns the offset after the colon.
fn key(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let (_, next) = string(s, i)?;
    let i = skip_ws(b, next);
    (b.get(i) == Some(&b':')).then_some(i + 1)
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b.get(i..i + word.len())
        .filter(|w| *w == word)
        .map(|_| i + word.len())
}

fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > start).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = if b.get(i) == Some(&b'0') {
        i + 1
    } else {
        digits(b, i)?
    };
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    Some(i)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Parses a JSON string starting at byte `i` (which must be `"`); returns it and the next offset.
fn string(s: &str, i: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut out = String::new();
    let mut chars = s.get(i + 1..)?.char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1 + off + 1)),
            '\\' => match chars.next()?.1 {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '/' => out.push('/'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hi = hex4(&mut chars)?;
                    if (0xD800..0xDC00).contains(&hi) {
                        // A surrogate pair; a lone half decodes to U+FFFD as in Go.
                        let rest = chars.as_str();
                        if rest.starts_with("\\u") {
                            let mut look = chars.clone();
                            look.next();
                            look.next();
                            let lo = hex4(&mut look)?;
                            if (0xDC00..0xE000).contains(&lo) {
                                chars = look;
                                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                continue;
                            }
                        }
                        out.push('\u{FFFD}');
                    } else {
                        out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                    }
                }
                _ => return None,
            },
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
    None
}

fn hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.1.to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::{array, string_array, JsonArray};

    #[test]
    fn arrays() {
        assert_eq!(
            string_array(r#"["a", "b c"]"#),
            Some(vec!["a".into(), "b c".into()])
        );
        assert_eq!(string_array("[]"), Some(vec![]));
        assert_eq!(
            string_array(r#" [ "\u00e9\n\"" ] "#),
            Some(vec!["é\n\"".into()])
        );
        assert_eq!(string_array(r#"["\ud83d\ude00"]"#), Some(vec!["😀".into()]));
        assert_eq!(array(r#"["a", 1]"#), JsonArray::NotStrings);
        assert_eq!(
            array(r#"[{"k": [1, 2.5e-3, true, null]}, "x"]"#),
            JsonArray::NotStrings
        );
        assert_eq!(array(r#"[[]]"#), JsonArray::NotStrings);
        assert_eq!(array(r#"[01]"#), JsonArray::Invalid);
        assert_eq!(array(r#"[{"k" 1}]"#), JsonArray::Invalid);
        assert_eq!(array(&"[".repeat(20_000)), JsonArray::Invalid);
        assert_eq!(array(r#"["a", 1] x"#), JsonArray::Invalid);
        assert_eq!(string_array("['a']"), None);
        assert_eq!(string_array(r#"["a",]"#), None);
        assert_eq!(string_array(r#"["a"] x"#), None);
        assert_eq!(string_array(r#"["a"#), None);
        assert_eq!(string_array(r#"["\x"]"#), None);
    }
}
