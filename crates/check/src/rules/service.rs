//! Area 7: the running process: its logs, its uid, its shutdown and its filesystem
//! (CONTRACT.md sections 1.8, 1.9 and 2), judged from [`RuntimeModel`] observations.

use super::logs_at;
use crate::runtime::RuntimeModel;
use crate::schema::mozlog_line_errors;
use crate::{Judgement, Location, Profile};

/// How many bad log lines a finding quotes.
const SHOWN: usize = 3;

pub(crate) fn writes_logs(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "log lines on stdout or stderr";
    match &m.logs {
        None => Judgement::skipped(m.unobserved("the logs"), EXPECTED),
        Some(l) if l.blank => Judgement::broken(
            "no output at all on stdout or stderr (logs written to files inside the container are lost)",
            EXPECTED,
            logs_at(m),
        ),
        Some(l) => Judgement::pass(format!("{} lines", l.lines), EXPECTED, logs_at(m)),
    }
}

/// The non-blank lines: (1-based number, the line, where it stops being UTF-8 if it does).
///
/// The line is decoded lossily for messages; a line that is not UTF-8 is never judged from that
/// decoding (RFC 8259 requires JSON text to be UTF-8, and a lossy decoding would turn invalid
/// bytes inside a string into a valid U+FFFD).
pub(super) fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, String, Option<usize>)> + '_ {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| {
            let invalid_at = std::str::from_utf8(l).err().map(|e| e.valid_up_to());
            (
                i + 1,
                String::from_utf8_lossy(l)
                    .trim_end_matches('\r')
                    .to_string(),
                invalid_at,
            )
        })
        .filter(|(_, l, _)| !l.trim().is_empty())
}

/// Every line that is not valid mozlog: (1-based line number, the line, what is wrong).
pub fn mozlog_problems(bytes: &[u8]) -> Vec<(usize, String, Vec<String>)> {
    lines(bytes)
        .filter_map(|(n, l, invalid_at)| {
            let errors = match invalid_at {
                Some(at) => vec![format!(
                    "not UTF-8 at byte {}; expected JSON text, which is UTF-8 (RFC 8259)",
                    at + 1
                )],
                None => mozlog_line_errors(&l),
            };
            (!errors.is_empty()).then_some((n, l, errors))
        })
        .collect()
}

pub(crate) fn mozlog(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str =
        "every line a mozlog JSON object (crates/contract/schemas/mozlog.schema.json)";
    let Some(l) = &m.logs else {
        return Judgement::skipped(m.unobserved("the logs"), EXPECTED);
    };
    let total = l.lines;
    if total == 0 {
        return Judgement::skipped("no log lines to judge (see DF701)", EXPECTED);
    }
    let Some(first) = l.bad_lines.first() else {
        return Judgement::pass(format!("{total} mozlog lines"), EXPECTED, logs_at(m));
    };
    let shown: Vec<String> = l
        .bad_lines
        .iter()
        .take(SHOWN)
        .map(|b| format!("line {} {:?}: {}", b.line, b.text, b.errors.join("; ")))
        .collect();
    Judgement::broken(
        format!(
            "{} of {total} lines are not mozlog: {}",
            l.bad,
            shown.join(" | ")
        ),
        EXPECTED,
        Location {
            line: u32::try_from(first.line).ok(),
            ..logs_at(m)
        },
    )
}

pub(crate) fn runs_as(m: &RuntimeModel, profile: Profile) -> Judgement {
    const EXPECTED: &str = "the container's process runs as uid 10001 (as the host sees it)";
    match &m.uid {
        None => Judgement::skipped(m.unobserved("the process's uid"), EXPECTED),
        Some(Err(e)) => Judgement::skipped(format!("could not read the uid: {e}"), EXPECTED),
        Some(Ok(10001)) => Judgement::pass("uid 10001", EXPECTED, Location::field("User")),
        Some(Ok(0)) => Judgement::broken("uid 0 (root)", EXPECTED, Location::field("User")),
        Some(Ok(uid)) if profile == Profile::Mozcloud => Judgement::warn(
            format!("uid {uid}: not root, but not 10001"),
            EXPECTED,
            Location::field("User"),
        ),
        Some(Ok(uid)) => Judgement::broken(format!("uid {uid}"), EXPECTED, Location::field("User")),
    }
}

pub(crate) fn sigterm(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "after SIGTERM the process exits with code 0 within the grace period";
    let Some(s) = &m.sigterm else {
        return Judgement::skipped(m.unobserved("SIGTERM"), EXPECTED);
    };
    let shell = if s.shell_form {
        "; the entrypoint is shell form (/bin/sh -c), which does not forward SIGTERM to the program: use the exec form"
    } else {
        ""
    };
    match (s.exited_after, s.exit_code) {
        (Some(t), Some(0)) => Judgement::pass(
            format!("exited 0 after {} ms", t.as_millis()),
            EXPECTED,
            Location::field("Entrypoint"),
        ),
        (Some(t), code) => Judgement::broken(
            format!(
                "exited with code {} after {} ms{shell}",
                code.map_or("unknown".to_string(), |c| c.to_string()),
                t.as_millis()
            ),
            EXPECTED,
            Location::field("Entrypoint"),
        ),
        (None, _) => Judgement::broken(
            format!(
                "still running {} s after SIGTERM (killed){}",
                s.grace.as_secs_f64(),
                if s.shell_form {
                    shell.to_string()
                } else {
                    "; a program running as PID 1 must handle SIGTERM itself: the kernel ignores signals PID 1 does not handle".to_string()
                }
            ),
            EXPECTED,
            Location::field("Entrypoint"),
        ),
    }
}

pub(crate) fn read_only(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str =
        "the service starts and answers /__lbheartbeat__ 200 with a read-only root filesystem and a tmpfs /tmp";
    match &m.read_only {
        None if m.mode == crate::Mode::Container => Judgement::skipped(
            "not tried; run with --read-only to test a read-only root filesystem",
            EXPECTED,
        ),
        None => Judgement::skipped(m.unobserved("a read-only root filesystem"), EXPECTED),
        Some(Ok(())) => Judgement::pass("ready and 200", EXPECTED, Location::default()),
        Some(Err(e)) => Judgement::broken(e.clone(), EXPECTED, Location::default()),
    }
}

#[cfg(test)]
mod utf8_tests {
    use super::mozlog_problems;

    /// Invalid UTF-8 inside a JSON string once passed as mozlog: the lossy decoding turned it
    /// into U+FFFD, which is valid JSON. Python's `json`, like RFC 8259, rejects such a line.
    #[test]
    fn a_line_that_is_not_utf8_is_not_mozlog_even_inside_a_string() {
        let good = br#"{"Timestamp":1700000000000000000,"Type":"t","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{"msg":"hi"}}"#;
        let mut bad = good.to_vec();
        let at = bad.windows(2).position(|w| w == b"hi").expect("msg") + 1;
        bad.splice(at..at, [0xff, 0xfe]);
        let mut input = good.to_vec();
        input.push(b'\n');
        input.extend_from_slice(&bad);
        input.push(b'\n');
        let problems = mozlog_problems(&input);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let (line, _, errors) = &problems[0];
        assert_eq!(*line, 2);
        assert_eq!(
            errors,
            &[format!(
                "not UTF-8 at byte {}; expected JSON text, which is UTF-8 (RFC 8259)",
                at + 1
            )]
        );
        // The same line with the bytes decoded as the replacement character is fine: it was
        // the decoding, not the schema, that let it through.
        let lossy = String::from_utf8_lossy(&bad).into_owned();
        assert!(mozlog_problems(lossy.as_bytes()).is_empty());
    }
}
