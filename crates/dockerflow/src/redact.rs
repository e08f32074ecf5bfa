//! Removing passwords from text before it reaches a heartbeat body or a log (CONTRACT 1.4:
//! "connection strings are shown with their password removed").
//!
//! Two spellings are covered: URL user-info (`scheme://user:secret@host`) and key-value
//! connection strings (`password=secret`, `pwd=secret`, as libpq and ODBC write them).

/// The text put where a password was.
pub const MASK: &str = "***";

/// Returns `text` with every password it can recognise replaced by [`MASK`].
pub fn redact(text: &str) -> String {
    redact_key_values(&redact_userinfo(text))
}

/// `scheme://user:secret@host` becomes `scheme://user:***@host`.
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (before, after) = rest.split_at(pos + 3);
        out.push_str(before);
        // The authority ends at the first '/', '?', '#' or whitespace; the user-info at the
        // last '@' inside it (a password may itself contain '@').
        let end = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon + 1]);
                        out.push_str(MASK);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `password=secret` (any case, also `pwd=`, quoted or not) becomes `password=***`.
fn redact_key_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let found = ["password=", "passwd=", "pwd="]
            .iter()
            .filter_map(|key| lower[i..].find(key).map(|p| (i + p, key.len())))
            .min();
        let Some((start, key_len)) = found else { break };
        // Only a whole word: `mypassword=` is left alone.
        let word_start = start == 0 || !text.as_bytes()[start - 1].is_ascii_alphanumeric();
        let value_start = start + key_len;
        out.push_str(&text[i..value_start]);
        if !word_start {
            i = value_start;
            continue;
        }
        let bytes = text.as_bytes();
        let value_end = match bytes.get(value_start) {
            Some(q @ (b'\'' | b'"')) => text[value_start + 1..]
                .find(*q as char)
                .map(|p| value_start + 1 + p + 1)
                .unwrap_or(text.len()),
            _ => text[value_start..]
                .find(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == ',')
                .map(|p| value_start + p)
                .unwrap_or(text.len()),
        };
        if value_end > value_start {
            out.push_str(MASK);
        }
        i = value_end;
    }
    out.push_str(&text[i.min(text.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            redact("postgres://app:s3cr3t@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(
            redact("redis://:pw@cache:6379/0 failed"),
            "redis://:***@cache:6379/0 failed"
        );
        assert_eq!(
            redact("x postgres://u:p@ss@h/db y"),
            "x postgres://u:***@h/db y"
        );
        assert_eq!(
            redact("https://example.com/path?a=b"),
            "https://example.com/path?a=b"
        );
        assert_eq!(
            redact("https://user@example.com/"),
            "https://user@example.com/"
        );
        assert_eq!(redact("a://u:1@h b://v:2@i"), "a://u:***@h b://v:***@i");
    }

    #[test]
    fn key_values() {
        assert_eq!(
            redact("host=db user=app password=s3cr3t dbname=x"),
            "host=db user=app password=*** dbname=x"
        );
        assert_eq!(redact("Server=x;Pwd=abc;"), "Server=x;Pwd=***;");
        assert_eq!(redact("PASSWORD='a b c' next"), "PASSWORD=*** next");
        assert_eq!(redact("mypassword=keep"), "mypassword=keep");
        assert_eq!(redact("password="), "password=");
    }

    #[test]
    fn unicode_is_kept() {
        assert_eq!(
            redact("é://ü:ñ@h/ password=ß ok"),
            "é://ü:***@h/ password=*** ok"
        );
    }
}
