//! Which URLs the shortener accepts: absolute `http`/`https` URLs with a host, no
//! credentials, no whitespace or control characters, at most [`MAX_URL_LEN`] characters.
//!
//! The `url` crate is lenient (it trims spaces and drops tabs and newlines, as browsers do);
//! a shortener should not be, so the raw text is checked first and the parser second. What is
//! stored is the parser's serialisation: ASCII only (punycode host, percent-encoded path), so
//! it is always a valid `Location` header.

use std::fmt;

/// The longest URL accepted, before and after normalisation.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL was refused. `Display` is the text of the API's JSON error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// An empty string.
    Empty,
    /// Longer than [`MAX_URL_LEN`].
    TooLong(usize),
    /// Holds whitespace or a control character.
    Whitespace,
    /// Not a URL at all, or not an absolute one.
    Unparsable(String),
    /// A scheme other than http or https.
    Scheme(String),
    /// No host (`http:///path`).
    NoHost,
    /// `user:password@` in the URL (a classic way to disguise the real host).
    Credentials,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Empty => f.write_str("\"url\" is empty"),
            UrlError::TooLong(n) => write!(
                f,
                "\"url\" is too long: {n} characters, at most {MAX_URL_LEN} are accepted"
            ),
            UrlError::Whitespace => {
                f.write_str("\"url\" must not contain whitespace or control characters")
            }
            UrlError::Unparsable(e) => write!(f, "\"url\" is not an absolute URL: {e}"),
            UrlError::Scheme(s) => write!(
                f,
                "\"url\" has the scheme {s:?}: only http and https are accepted"
            ),
            UrlError::NoHost => f.write_str("\"url\" has no host"),
            UrlError::Credentials => {
                f.write_str("\"url\" must not contain a user name or password")
            }
        }
    }
}

impl std::error::Error for UrlError {}

/// Checks `raw` and returns the URL to store (normalised by the `url` crate).
pub fn validate(raw: &str) -> Result<String, UrlError> {
    if raw.is_empty() {
        return Err(UrlError::Empty);
    }
    let chars = raw.chars().count();
    if chars > MAX_URL_LEN {
        return Err(UrlError::TooLong(chars));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::Whitespace);
    }
    let parsed = url::Url::parse(raw).map_err(|e| UrlError::Unparsable(e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => return Err(UrlError::Scheme(other.to_owned())),
    }
    // The parser accepts `http:example.com` (no slashes) by supplying them; require them
    // in the text so what is stored is what the user wrote.
    let after_scheme = &raw[parsed.scheme().len()..];
    if !after_scheme.starts_with("://") {
        return Err(UrlError::Unparsable(
            "expected \"://\" after the scheme".into(),
        ));
    }
    if after_scheme[3..].starts_with(['/', '\\']) {
        return Err(UrlError::NoHost);
    }
    match parsed.host_str() {
        Some(h) if !h.is_empty() => {}
        _ => return Err(UrlError::NoHost),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlError::Credentials);
    }
    let normalised = parsed.to_string();
    if normalised.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong(normalised.len()));
    }
    Ok(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https() {
        assert_eq!(
            validate("https://example.com/a?b=c#d").as_deref(),
            Ok("https://example.com/a?b=c#d")
        );
        assert_eq!(
            validate("http://example.com").as_deref(),
            Ok("http://example.com/")
        );
        assert_eq!(
            validate("HTTP://Example.COM:8080/x").as_deref(),
            Ok("http://example.com:8080/x")
        );
        assert_eq!(
            validate("http://127.0.0.1:9/").as_deref(),
            Ok("http://127.0.0.1:9/")
        );
        assert_eq!(validate("http://[::1]/").as_deref(), Ok("http://[::1]/"));
    }

    #[test]
    fn normalises_to_ascii() {
        assert_eq!(
            validate("https://bücher.example/ä").as_deref(),
            Ok("https://xn--bcher-kva.example/%C3%A4")
        );
    }

    #[test]
    fn refuses_bad_urls_with_a_reason() {
        let cases: &[(&str, UrlError)] = &[
            ("", UrlError::Empty),
            (" https://example.com", UrlError::Whitespace),
            ("https://example.com/a b", UrlError::Whitespace),
            ("https://exa\tmple.com", UrlError::Whitespace),
            ("https://example.com/\n", UrlError::Whitespace),
            ("https://example.com/\u{7f}", UrlError::Whitespace),
            ("ftp://example.com/", UrlError::Scheme("ftp".into())),
            ("javascript:alert(1)", UrlError::Scheme("javascript".into())),
            ("file:///etc/passwd", UrlError::Scheme("file".into())),
            ("https://user:pw@example.com/", UrlError::Credentials),
            ("https://google.com@evil.example/", UrlError::Credentials),
        ];
        for (raw, expected) in cases {
            assert_eq!(&validate(raw).unwrap_err(), expected, "{raw:?}");
        }
        for raw in [
            "example.com",
            "/relative",
            "https://",
            "http:example.com",
            "https:///x",
        ] {
            let err = validate(raw).unwrap_err();
            assert!(
                matches!(err, UrlError::Unparsable(_) | UrlError::NoHost),
                "{raw:?}: {err:?}"
            );
        }
    }

    #[test]
    fn length_limit() {
        let base = "https://example.com/";
        let ok = format!("{base}{}", "a".repeat(MAX_URL_LEN - base.len()));
        assert!(validate(&ok).is_ok());
        let long = format!("{ok}a");
        assert_eq!(validate(&long), Err(UrlError::TooLong(MAX_URL_LEN + 1)));
        // Short as typed, too long once percent-encoded.
        let expands = format!("{base}{}", "é".repeat(1000));
        assert!(matches!(validate(&expands), Err(UrlError::TooLong(_))));
    }

    #[test]
    fn messages_name_the_field() {
        for e in [UrlError::Empty, UrlError::NoHost, UrlError::TooLong(3000)] {
            assert!(e.to_string().starts_with("\"url\""), "{e}");
        }
    }
}
