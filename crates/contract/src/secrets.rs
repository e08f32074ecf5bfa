//! What looks like a secret, written once: the words in a variable's, label's or
//! connection-string key's name that say it holds one, and the password in a URL's user-info
//! (`scheme://user:password@host`).
//!
//! Three readers share it, each with its own policy over the same words: the checker's secret
//! rules (CONTRACT.md §2: no secret in the image; [`names_secret`]), `dockerflow ci`'s masking
//! of what it prints (a mask costs nothing, so it also takes the [`LOOSE_SECRET_WORDS`];
//! [`may_name_secret`]) and the service library's redaction of heartbeat messages and logs
//! (CONTRACT.md §1.4: connection strings are shown with their password removed;
//! [`PASSWORD_KEYS`] and [`url_userinfos`]). This module is plain `std`: it needs none of the
//! crate's schema features.
//!
//! ```
//! use dockerflow_contract::secrets::{names_secret, may_name_secret, url_userinfos};
//!
//! assert!(names_secret("db.password") && names_secret("SECRET_KEY_BASE"));
//! assert!(!names_secret("TOKEN_FILE") && !names_secret("AUTH_MODE"));
//! assert!(may_name_secret("AUTH_MODE"));
//!
//! let text = "postgres://app:s3cr3t@db:5432/app";
//! let found: Vec<_> = url_userinfos(text).collect();
//! assert_eq!(&text[found[0].userinfo.clone()], "app:s3cr3t");
//! assert_eq!(found[0].password.clone().map(|p| &text[p]), Some("s3cr3t"));
//! ```

use std::ops::Range;

/// Words that name a secret wherever they stand in a name (compared upper case):
/// `DB_PASSWORD`, `SECRET_KEY_BASE`, `GITHUB_TOKEN`.
pub const SECRET_WORDS: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "TOKEN"];

/// Kinds of key that name a secret wherever they stand in a name (`PRIVATE_KEY`, `API_KEY`);
/// a name that ends in `_KEY`, or is `KEY`, names one too ([`names_secret`]).
pub const SECRET_KEY_WORDS: &[&str] = &["PRIVATE_KEY", "API_KEY"];

/// Words that often stand in a secret's name and as often do not (`AUTH_MODE`,
/// `KEYBOARD_LAYOUT`): enough to mask a value ([`may_name_secret`]), not to fail a check.
pub const LOOSE_SECRET_WORDS: &[&str] = &["KEY", "CREDENTIAL", "AUTH", "PRIVATE"];

/// Endings of names that refer to a secret rather than hold one (a file or directory holding
/// it, a public key, a key's id, a keyring): never a secret's name by themselves.
pub const REFERENCE_SUFFIXES: &[&str] = &[
    "_FILE",
    "_PATH",
    "_DIR",
    "PUBLIC_KEY",
    "GPG_KEY",
    "_KEY_ID",
    "_KEYRING",
];

/// The keys of a `key=value` connection string whose value is a password (lower case), as
/// libpq (`password=`) and ODBC (`PWD=`) write them.
pub const PASSWORD_KEYS: &[&str] = &["password", "passwd", "pwd"];

/// The name upper-cased, with `.` and `-` read as `_` (`db.password` is `DB_PASSWORD`).
fn normalise(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '.' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Whether `name` (a variable, label or build argument) names a secret: it holds one of the
/// [`SECRET_WORDS`] or [`SECRET_KEY_WORDS`], or ends in `_KEY` (or is `KEY`), and does not end
/// in one of the [`REFERENCE_SUFFIXES`].
pub fn names_secret(name: &str) -> bool {
    let n = normalise(name);
    if REFERENCE_SUFFIXES.iter().any(|s| n.ends_with(s)) {
        return false;
    }
    SECRET_WORDS
        .iter()
        .chain(SECRET_KEY_WORDS)
        .any(|w| n.contains(w))
        || n.ends_with("_KEY")
        || n == "KEY"
}

/// Whether `name` may name a secret: it holds one of the [`SECRET_WORDS`] or the
/// [`LOOSE_SECRET_WORDS`] (references included), for masking, where a false alarm costs
/// nothing.
pub fn may_name_secret(name: &str) -> bool {
    let n = normalise(name);
    SECRET_WORDS
        .iter()
        .chain(LOOSE_SECRET_WORDS)
        .any(|w| n.contains(w))
}

/// The user-info of one URL found by [`url_userinfos`], as byte ranges of the text searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// The user-info: after `://`, before the last `@` of the authority.
    pub userinfo: Range<usize>,
    /// The password: after the user-info's first `:` (possibly empty), when it has one.
    pub password: Option<Range<usize>>,
}

/// The user-info of every `scheme://[user[:password]@]host` URL in `text`, in order; URLs
/// without one are passed over.
///
/// A URL's authority runs from `://` to the first `/`, `?`, `#` or white space; its user-info
/// ends at the authority's last `@` (a password may itself hold an `@`), and the password
/// starts after the user-info's first `:`.
pub fn url_userinfos(text: &str) -> impl Iterator<Item = UserInfo> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let start = from + text.get(from..)?.find("://")? + 3;
        let end = text[start..]
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .map_or(text.len(), |p| start + p);
        from = end;
        let Some(at) = text[start..end].rfind('@') else {
            continue;
        };
        let userinfo = start..start + at;
        let password = text[userinfo.clone()]
            .find(':')
            .map(|colon| start + colon + 1..userinfo.end);
        return Some(UserInfo { userinfo, password });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passwords(text: &str) -> Vec<&str> {
        url_userinfos(text)
            .filter_map(|u| u.password.map(|p| &text[p]))
            .collect()
    }

    #[test]
    fn every_url_password_is_found_up_to_the_authority_end() {
        assert_eq!(passwords("a://u:1@h b://v:2@i"), ["1", "2"]);
        assert_eq!(passwords("x postgres://u:p@ss@h/db y"), ["p@ss"]);
        assert_eq!(passwords("redis://:pw@cache:6379/0"), ["pw"]);
        assert_eq!(passwords("u://x:@h"), [""]);
        assert_eq!(passwords("https://example.com/a:b@c"), Vec::<&str>::new());
        assert_eq!(passwords("https://h/?next=ftp://u:p@z"), ["p"]);
        assert_eq!(passwords("é://ü:ñ@h/"), ["ñ"]);
        assert_eq!(passwords("://"), Vec::<&str>::new());
        let user_only: Vec<_> = url_userinfos("https://user@example.com/").collect();
        assert_eq!(user_only.len(), 1);
        assert_eq!(user_only[0].password, None);
    }

    #[test]
    fn secret_names_and_references() {
        for n in [
            "DB_PASSWORD",
            "db.passwd",
            "GITHUB_TOKEN",
            "SSH_PRIVATE_KEY_X",
            "AWS_KEY",
            "key",
        ] {
            assert!(names_secret(n), "{n}");
        }
        for n in [
            "TOKEN_FILE",
            "PASSWORD_PATH",
            "GPG_KEY",
            "AWS_KEY_ID",
            "KEYBOARD",
            "AUTH",
        ] {
            assert!(!names_secret(n), "{n}");
        }
        for n in [
            "AUTH",
            "KEYBOARD",
            "TOKEN_FILE",
            "MY_CREDENTIALS",
            "private",
        ] {
            assert!(may_name_secret(n), "{n}");
        }
        assert!(!may_name_secret("PATH"));
    }
}
