//! The build's small inputs: `SOURCE_DATE_EPOCH`, `--cmd`, and the RFC 3339 time written for
//! `created`.

use crate::error::{BuildError, Error, ErrorKind};

/// The last second RFC 3339 can write (four-digit years): 9999-12-31T23:59:59Z.
pub const MAX_EPOCH: u64 = 253_402_300_799;

/// RFC 3339 UTC for seconds since the epoch (no clock, no time zone database); a time past
/// [`MAX_EPOCH`] is written as that second.
pub fn rfc3339(secs: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.min(MAX_EPOCH));
    humantime::format_rfc3339_seconds(at).to_string()
}

/// `SOURCE_DATE_EPOCH` from `value`: unset is 0 (as ko does), anything but a non-negative
/// integer is an error.
pub fn source_date_epoch(value: Option<&str>) -> Result<u64, BuildError> {
    match value {
        None | Some("") => Ok(0),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|secs| *secs <= MAX_EPOCH)
            .ok_or_else(|| {
                Error::new(ErrorKind::InvalidInput, format!(
                    "invalid SOURCE_DATE_EPOCH={v:?}: expected seconds since 1970-01-01 (a non-negative integer up to {MAX_EPOCH}, the end of year 9999)"
                ))
            }),
    }
}

/// Parses `--cmd`: a JSON array of strings (`["serve", "--fast"]`) or words split on spaces.
pub fn parse_cmd(text: &str) -> Result<Vec<String>, BuildError> {
    let t = text.trim();
    if t.starts_with('[') {
        serde_json::from_str::<Vec<String>>(t).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!(
                "--cmd {text:?} is not a JSON array of strings ({e}); expected e.g. '[\"serve\"]' or words"
            ))
        })
    } else {
        Ok(t.split_whitespace().map(str::to_owned).collect())
    }
}
