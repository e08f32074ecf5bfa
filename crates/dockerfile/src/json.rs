//! A strict parser for the one JSON shape Dockerfiles use: an array of strings (exec form).

/// Parses `s` as a JSON array of strings, as Go's `json.Unmarshal` into `[]string` would.
///
/// Returns `None` for anything else (numbers, nested arrays, single quotes, trailing text), which
/// is BuildKit's cue to fall back to shell form.
pub(crate) fn string_array(s: &str) -> Option<Vec<String>> {
    let b = s.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        return (skip_ws(b, i + 1) == b.len()).then_some(out);
    }
    loop {
        let (string, next) = string(s, i)?;
        out.push(string);
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return (skip_ws(b, i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
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
    use super::string_array;

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
        assert_eq!(string_array(r#"["a", 1]"#), None);
        assert_eq!(string_array("['a']"), None);
        assert_eq!(string_array(r#"["a",]"#), None);
        assert_eq!(string_array(r#"["a"] x"#), None);
        assert_eq!(string_array(r#"["a"#), None);
        assert_eq!(string_array(r#"["\x"]"#), None);
    }
}
