//! Keeping a record within the line limit without splitting or dropping it.
//!
//! When the serialised line is longer than the limit, `Fields.truncated` is set to the
//! original line length in bytes, then the longest string value in `Fields` is shortened (at a
//! char boundary, by as much as the line is over) and ends with [`MARKER`]; this repeats with
//! the next longest until the line fits. If every string in `Fields` is already down to the
//! marker, `Type`, `Logger` and `Hostname` are shortened the same way. A line that still does not
//! fit (a limit smaller than the envelope itself) is written over the limit: never dropped.

use serde_json::Value;

use crate::mozlog::{Envelope, Head};

/// Ends every shortened string value.
pub const MARKER: &str = "…[truncated]";

/// Serialises `envelope` into `buf` (cleared first), shortening it to fit `max` bytes.
pub(crate) fn write_fitting(envelope: &mut Envelope<'_>, max: usize, buf: &mut Vec<u8>) {
    buf.clear();
    envelope.write_line(buf);
    if buf.len() <= max {
        return;
    }
    let original = buf.len();
    envelope
        .fields
        .insert("truncated", Value::from(original as u64));
    loop {
        buf.clear();
        envelope.write_line(buf);
        if buf.len() <= max {
            return;
        }
        let excess = buf.len() - max;
        if shorten_longest(envelope.fields.strings_mut(), excess) {
            continue;
        }
        let Head {
            kind,
            logger,
            hostname,
            ..
        } = &mut envelope.head;
        let header = [kind.to_mut(), logger.to_mut(), hostname.to_mut()];
        if !shorten_longest(header.into_iter(), excess) {
            return;
        }
    }
}

/// Shortens the longest string that can still be shortened; false when none can.
fn shorten_longest<'a>(strings: impl Iterator<Item = &'a mut String>, excess: usize) -> bool {
    match strings
        .filter(|s| shortenable(s))
        .max_by_key(|s| escaped_len(s))
    {
        Some(s) => {
            shorten(s, excess);
            true
        }
        None => false,
    }
}

/// Shortening `s` makes it strictly shorter.
fn shortenable(s: &str) -> bool {
    match s.strip_suffix(MARKER) {
        Some(body) => !body.is_empty(),
        None => s.len() > MARKER.len(),
    }
}

/// Cuts `s` so that its serialised form is `excess` bytes shorter (or as short as it gets),
/// then appends the marker (once).
fn shorten(s: &mut String, excess: usize) {
    let (body_len, marked) = match s.strip_suffix(MARKER) {
        Some(body) => (body.len(), true),
        None => (s.len(), false),
    };
    let body = &s[..body_len];
    let added = if marked { 0 } else { MARKER.len() };
    let target = escaped_len(body).saturating_sub(excess + added);
    let mut used = 0;
    let mut cut = 0;
    for (i, c) in body.char_indices() {
        used += escaped_char_len(c);
        if used > target {
            break;
        }
        cut = i + c.len_utf8();
    }
    s.truncate(cut);
    s.push_str(MARKER);
}

/// Bytes serde_json writes for `s` between its quotes.
fn escaped_len(s: &str) -> usize {
    s.chars().map(escaped_char_len).sum()
}

fn escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_len_matches_serde_json() {
        let s = "a\"b\\c\n\r\t\u{1}\u{8}\u{c}é€😀\u{7f}";
        let json = serde_json::to_string(s).unwrap();
        assert_eq!(escaped_len(s), json.len() - 2);
    }

    #[test]
    fn shorten_cuts_at_a_char_boundary_and_marks_once() {
        let mut s = "é".repeat(100);
        shorten(&mut s, 51);
        assert!(s.ends_with(MARKER));
        assert_eq!(s.matches(MARKER).count(), 1);
        let body = s.strip_suffix(MARKER).unwrap();
        assert!(escaped_len(body) + MARKER.len() <= 200 - 51);
        shorten(&mut s, 10);
        assert_eq!(s.matches(MARKER).count(), 1);
    }

    #[test]
    fn short_strings_are_left_alone() {
        assert!(!shortenable("short"));
        assert!(!shortenable(MARKER));
        assert!(shortenable(&format!("x{MARKER}")));
    }
}
