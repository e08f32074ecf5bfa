//! Removing passwords from text before it reaches a heartbeat body or a log (CONTRACT 1.4:
//! "connection strings are shown with their password removed").
//!
//! Two spellings are covered: URL user-info (`scheme://user:secret@host`) and key-value
//! connection strings (`password=secret`, `pwd=secret`, as libpq and ODBC write them).

use dockerflow_contract::secrets::{url_userinfos, PASSWORD_KEYS};

/// The text put where a password was.
pub const MASK: &str = "***";

/// Returns `text` with every password it can recognise replaced by [`MASK`].
pub fn redact(text: &str) -> String {
    redact_key_values(&redact_userinfo(text))
}

/// `scheme://user:secret@host` becomes `scheme://user:***@host` (the URLs and their passwords
/// are the contract crate's `url_userinfos`, which the checker and `dockerflow ci` read too).
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for password in url_userinfos(text).filter_map(|u| u.password) {
        out.push_str(&text[copied..password.start]);
        out.push_str(MASK);
        copied = password.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `password=secret` (any case, also `pwd=`, quoted or not) becomes `password=***`.
fn redact_key_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    // `password=`, `passwd=`, `pwd=`.
    let keys: Vec<String> = PASSWORD_KEYS.iter().map(|k| format!("{k}=")).collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let found = keys
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
    fn a_quote_in_a_url_password_is_redacted_with_it() {
        assert_eq!(
            redact("connecting to 'postgres://app:pa'ss@db/app' failed"),
            "connecting to 'postgres://app:***@db/app' failed"
        );
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
