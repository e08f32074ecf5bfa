//! `check logs -` reads its input as it streams: a log several times larger than the memory
//! the child may map is judged right, through a pipe (the log is generated here and never
//! written to disk); a line longer than the cap stops the check with the line and the cap.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::hostile::ran_within_bound;
use super::{error_line, stderr, stdout};

/// `dockerflow check logs - ARGS...` run by `sh` after `ulimit -v KIB` (address space), with
/// `feed` writing its stdin from another thread; the child's output, and what `feed` wrote.
fn check_logs_piped(
    kib: u64,
    args: &[&str],
    feed: impl FnOnce(&mut dyn Write) -> std::io::Result<u64> + Send + 'static,
) -> (Output, u64) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {kib} && exec \"$0\" check logs - \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_dockerflow"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sh");
    let mut stdin = child.stdin.take().expect("stdin");
    // A child that stops reading (a refused line) closes the pipe: the writer stops there.
    let writer = std::thread::spawn(move || {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut stdin);
        let written = feed(&mut out).unwrap_or(0);
        drop(out);
        written
    });
    let o = child.wait_with_output().expect("wait");
    let written = writer.join().expect("writer");
    (o, written)
}

const T0: u64 = 1_700_000_001_000_000_000;

/// One request of a link shortener, as mozlog: a handler record, a database record and the
/// request.summary, 3 ms apart from the previous request; the database record without its
/// rid when `bare`.
fn request(i: u64, bare: bool) -> String {
    let ts = T0 + i * 3_000_000;
    let rid = format!("{i:08x}-4b1c-4e1a-9d3e-5f6a7b8c9d0e");
    let db_rid = if bare {
        String::new()
    } else {
        format!(r#","rid":"{rid}""#)
    };
    format!(
        concat!(
            r#"{{"Timestamp":{ts},"Type":"app.handler","Logger":"shortener","Hostname":"web-7c9f6d5b8-x2k4q","EnvVersion":"2.0","Severity":7,"Pid":1,"Fields":{{"msg":"resolving short code abc123 for a redirect, cache miss, asking the database","code":"abc123","rid":"{rid}"}}}}"#,
            "\n",
            r#"{{"Timestamp":{db},"Type":"app.db","Logger":"shortener","Hostname":"web-7c9f6d5b8-x2k4q","EnvVersion":"2.0","Severity":7,"Pid":1,"Fields":{{"msg":"SELECT target, created_at, hits FROM links WHERE code = $1 AND deleted_at IS NULL LIMIT 1","rows":1,"elapsed_ms":0{db_rid}}}}}"#,
            "\n",
            r#"{{"Timestamp":{end},"Type":"request.summary","Logger":"shortener","Hostname":"web-7c9f6d5b8-x2k4q","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{"msg":"","agent":"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0","path":"/r/abc123","method":"GET","code":302,"errno":0,"lang":"en-US,en;q=0.5","t":1,"rid":"{rid}","uid":""}}}}"#,
            "\n"
        ),
        ts = ts,
        rid = rid,
        db = ts + 500_000,
        db_rid = db_rid,
        end = ts + 1_000_000,
    )
}

/// A finding of a JSON report: outcome and found text.
fn finding(report: &Value, rule: &str) -> (String, String) {
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("{rule} in the report"));
    (
        f["outcome"].as_str().unwrap_or("").to_string(),
        f["found"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn a_log_far_larger_than_the_memory_limit_is_judged_from_a_pipe() {
    // 300,000 requests: about 306 MB of mozlog through the pipe, judged under 128 MiB of
    // address space (the debug binary maps about 30 MiB before it reads anything; this check
    // peaked at 86 MiB when written, so the limit leaves room for an allocator's growth steps
    // on another machine). A reader that kept the text could not hold half of it.
    const REQUESTS: u64 = 300_000;
    const LIMIT_KIB: u64 = 128 << 10;
    // Request 299,990's database record has no rid; a startup record and a line that is not
    // mozlog come first.
    const BARE: u64 = REQUESTS - 10;
    let (o, written) = check_logs_piped(LIMIT_KIB, &["--format", "json"], |out| {
        let mut n = 0u64;
        let start = format!(
            r#"{{"Timestamp":{},"Type":"app.start","Logger":"shortener","Hostname":"web-7c9f6d5b8-x2k4q","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{"msg":"listening on 0.0.0.0:8000"}}}}"#,
            T0 - 1_000_000_000
        );
        for line in [start.as_str(), "Server started on port 8000"] {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            n += line.len() as u64 + 1;
        }
        for i in 0..REQUESTS {
            let r = request(i, i == BARE);
            out.write_all(r.as_bytes())?;
            n += r.len() as u64;
        }
        out.flush()?;
        Ok(n)
    });
    assert_eq!(
        ran_within_bound(&o),
        0,
        "warnings only (DF702, DF708 are SHOULDs)\n{}",
        stderr(&o)
    );
    assert!(
        written > 2 * (LIMIT_KIB << 10),
        "the log ({written} bytes) is over twice the limit"
    );
    let report: Value = serde_json::from_str(&stdout(&o)).expect("a JSON report");
    let lines = 2 + 3 * REQUESTS;
    assert_eq!(
        finding(&report, "DF701"),
        ("pass".to_string(), format!("{lines} lines"))
    );
    let (outcome, found) = finding(&report, "DF702");
    assert_eq!(outcome, "warn");
    assert!(
        found.starts_with(&format!(
            "1 of {lines} lines are not mozlog: line 2 \"Server started on port 8000\": not JSON"
        )),
        "{found}"
    );
    assert_eq!(
        finding(&report, "DF706"),
        (
            "pass".to_string(),
            format!("{REQUESTS} request.summary records, all valid")
        )
    );
    // The bare record: 2 lines before the requests, 3 per request, the second of its own.
    let bare_line = 2 + 3 * BARE + 2;
    assert_eq!(
        finding(&report, "DF708"),
        (
            "warn".to_string(),
            format!(
                "1 records written while a request was surely being handled (after its summary's Timestamp less t, before the summary) have no rid: line {bare_line} (app.db); {REQUESTS} of {REQUESTS} request.summary records placed in time (Timestamp and t)"
            )
        )
    );
    assert!(
        stderr(&o).contains("dockerflow: stdin:2: not mozlog: not JSON"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_line_longer_than_the_cap_stops_the_check_naming_the_line_and_the_cap() {
    // Two good lines, then an endless line: the child must stop at the cap, not read on.
    let (o, written) = check_logs_piped(128 << 10, &["--max-line", "64KiB"], |out| {
        let good = request(0, false);
        out.write_all(good.as_bytes())?;
        let chunk = vec![b'x'; 1 << 16];
        let mut n = good.len() as u64;
        // At most 64 MiB: the child closes the pipe long before.
        for _ in 0..1024 {
            out.write_all(&chunk)?;
            n += chunk.len() as u64;
        }
        Ok(n)
    });
    assert_eq!(ran_within_bound(&o), 2, "{}", stderr(&o));
    assert_eq!(
        error_line(&o).trim_end(),
        "dockerflow: error: cannot check logs from stdin: line 4 is longer than 64KiB (65536 bytes), the longest line read; expected one log record per line; raise it with --max-line SIZE"
    );
    assert!(
        written < 64 << 20,
        "the check stopped reading at the cap ({written} bytes written)"
    );
    assert_eq!(stdout(&o), "", "no report for a check that did not run");
}

#[test]
fn the_default_line_cap_is_one_mebibyte_and_max_line_raises_it() {
    let long = format!(
        r#"{{"Timestamp":{T0},"Type":"app.dump","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{{"msg":"{}"}}}}"#,
        "y".repeat(2 << 20)
    );
    let line = long.clone();
    let (o, _) = check_logs_piped(512 << 10, &[], move |out| {
        out.write_all(line.as_bytes())?;
        Ok(line.len() as u64)
    });
    assert_eq!(ran_within_bound(&o), 2, "{}", stderr(&o));
    assert!(
        error_line(&o).contains("line 1 is longer than 1MiB (1048576 bytes)"),
        "{}",
        error_line(&o)
    );
    let (o, _) = check_logs_piped(
        512 << 10,
        &["--max-line", "4MiB", "--verbose"],
        move |out| {
            out.write_all(long.as_bytes())?;
            Ok(long.len() as u64)
        },
    );
    assert_eq!(ran_within_bound(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("pass  DF702"), "{}", stdout(&o));
}
