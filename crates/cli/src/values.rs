//! The grammar of each option's value: the `value_parser`s of `cli.rs`, each returning what
//! was expected when a value does not parse (clap prints it with the flag's name).

use std::path::PathBuf;
use std::time::Duration;

use dockerflow_oci::Platform;
use dockerflow_report::Format;

pub(crate) fn parse_report(v: &str) -> Result<(Format, PathBuf), String> {
    v.split_once('=')
        .and_then(|(f, file)| Some((Format::parse(f)?, PathBuf::from(file))))
        .filter(|(_, file)| !file.as_os_str().is_empty())
        .ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|(n, _)| *n).collect();
            format!(
                "expected FORMAT=FILE with FORMAT one of {}",
                names.join(", ")
            )
        })
}

pub(crate) fn parse_platform(v: &str) -> Result<Platform, String> {
    Platform::parse(v).ok_or_else(|| "expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8".to_string())
}

pub(crate) fn parse_key_value(v: &str) -> Result<(String, String), String> {
    v.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| "no '='; expected NAME=VALUE".to_string())
}

pub(crate) fn parse_url_path(v: &str) -> Result<String, String> {
    if v.starts_with('/') {
        Ok(v.to_string())
    } else {
        Err("expected an absolute URL path such as /static/app.css".to_string())
    }
}

/// Seconds: more than 0, at most an hour.
pub(crate) fn parse_secs(v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| "expected a number of seconds, more than 0 and at most 3600".to_string())
}

/// How long `--wait` polls: whole or fractional seconds (`90`, `2.5`), or a humantime
/// duration (`90s`, `10m`, `1h30m`); at most a day.
pub(crate) fn parse_wait(v: &str) -> Result<Duration, String> {
    const EXPECTED: &str =
        "expected a duration of at most a day: seconds (90), or with a unit (90s, 10m, 1h30m)";
    let v = v.trim();
    let d = match v.parse::<f64>() {
        Ok(s) if (0.0..=86_400.0).contains(&s) => Duration::from_secs_f64(s),
        Ok(_) => return Err(EXPECTED.to_string()),
        Err(_) => humantime::parse_duration(v).map_err(|_| EXPECTED.to_string())?,
    };
    if d > Duration::from_secs(86_400) {
        return Err(EXPECTED.to_string());
    }
    Ok(d)
}

/// A git commit as `--expect-commit` takes it: 7 to 64 hex digits (a short SHA, a full SHA-1,
/// or a SHA-256 object name), lowercased.
pub(crate) fn parse_commit(v: &str) -> Result<String, String> {
    let ok = (7..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(v.to_ascii_lowercase())
    } else {
        Err("expected a git commit: 7 to 64 hex digits (a short or full SHA)".to_string())
    }
}

/// A size in bytes: digits, then optionally a binary unit (`B`, `K`/`KiB`, `M`/`MiB`,
/// `G`/`GiB`, `T`/`TiB`, any case, a space allowed before it); more than 0.
pub(crate) fn parse_size(v: &str) -> Result<u64, String> {
    const EXPECTED: &str =
        "expected a number of bytes above 0 (below 16 EiB), optionally with a binary unit: 1048576, 64MiB, 2GiB (K, M, G for short)";
    let v = v.trim();
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(digits);
    let number: u64 = number.parse().map_err(|_| EXPECTED.to_string())?;
    let shift = match unit.trim_start().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "t" | "tib" => 40,
        _ => return Err(EXPECTED.to_string()),
    };
    number
        .checked_mul(1 << shift)
        .filter(|n| *n > 0)
        .ok_or_else(|| EXPECTED.to_string())
}

pub(crate) fn parse_chunk_size(v: &str) -> Result<usize, String> {
    v.parse()
        .ok()
        .filter(|n| *n >= 1024)
        .ok_or_else(|| "expected a number of bytes, at least 1024".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_take_seconds_or_humantime_units() {
        assert_eq!(parse_wait("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_wait("0"), Ok(Duration::ZERO));
        assert_eq!(parse_wait("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_wait("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_wait("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_wait("1h 30m"), Ok(Duration::from_secs(5400)));
        for bad in ["", "-1", "ten", "10 parsecs", "2d", "86401", "NaN", "inf"] {
            assert!(parse_wait(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn commits_are_7_to_64_hex_digits() {
        assert_eq!(parse_commit("ABCDEF1"), Ok("abcdef1".to_string()));
        assert!(parse_commit(&"a".repeat(40)).is_ok());
        for bad in ["abcdef", "abcdefg", "", "v1.2.3", &"a".repeat(65)] {
            assert!(parse_commit(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn sizes_take_bytes_and_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("2 g"), Ok(2 << 30));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("7B"), Ok(7));
        for bad in [
            "",
            "MiB",
            "0",
            "1.5GiB",
            "12MB",
            "-1",
            "16EiB",
            "99999999999TiB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }
}
