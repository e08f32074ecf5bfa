//! Request ids (CONTRACT 1.9): taken from the configured header when it is 1-128 characters
//! of `[A-Za-z0-9._:-]`, otherwise a new UUID v4; echoed in the response and present as `rid`
//! on every log record written while the request is handled.

use std::fmt;

use http::HeaderMap;

/// A request's id, placed in the request's extensions by the request layer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// Accepts `value` when it is a valid request id.
    pub fn parse(value: &str) -> Option<RequestId> {
        let valid = (1..=128).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        valid.then(|| RequestId(value.to_owned()))
    }

    /// A new random id (UUID v4).
    pub fn generate() -> RequestId {
        RequestId(uuid::Uuid::new_v4().to_string())
    }

    /// The id in `headers[name]` when valid, else a new one.
    pub fn from_headers(headers: &HeaderMap, name: &http::HeaderName) -> RequestId {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(RequestId::parse)
            .unwrap_or_else(RequestId::generate)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The user id an application puts in a response's extensions so `request.summary` can log it
/// as `uid` (empty otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uid(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(RequestId::parse("abc-123_X.y:z").is_some());
        assert!(RequestId::parse(&"a".repeat(128)).is_some());
        assert!(RequestId::parse(&"a".repeat(129)).is_none());
        assert!(RequestId::parse("").is_none());
        for bad in ["a b", "a/b", "é", "a\"b", "<script>"] {
            assert!(RequestId::parse(bad).is_none(), "{bad}");
        }
        let generated = RequestId::generate();
        assert_eq!(generated.as_str().len(), 36);
        assert!(RequestId::parse(generated.as_str()).is_some());
    }
}
