//! `dockerflow report merge FILE...`: the JSON reports of several runs (the shards of a CI
//! matrix, each `check image --shard I/N --report json=FILE`) read back through
//! `dockerflow_report::json::read` and rendered as one fleet: the same summary table and the
//! same renderers as `check image REF REF ...`, and the worst exit status. An input found in
//! several files is counted once, with its worst result, and named on stderr; an input a run
//! could not check (the report's `unchecked`) stays in the summary and makes the status 2.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use dockerflow_check::{InputKind, Report, Verdict};
use dockerflow_report::json::read;
use dockerflow_report::Unchecked;

use crate::check::render_with_table;
use crate::cli::{MergeArgs, ProfileArg, ReportArgs};
use crate::fatal::{refused, Fatal};
use crate::fleet::summary_table;
use crate::VERSION;

/// One input of the merged runs: its report, or why its run could not check it.
struct Entry {
    kind: InputKind,
    name: String,
    result: Result<Report, String>,
    /// The index of the file it was read from.
    file: usize,
}

impl Entry {
    /// How bad: could not be checked, failed, warned, passed.
    fn badness(&self) -> u8 {
        match &self.result {
            Err(_) => 3,
            Ok(r) if r.verdict() == Verdict::Fail => 2,
            Ok(r) if r.summary().warn > 0 => 1,
            Ok(_) => 0,
        }
    }

    fn verdict(&self) -> &'static str {
        match &self.result {
            Err(_) => "not checked",
            Ok(r) => match r.verdict() {
                Verdict::Pass => "PASS",
                Verdict::Fail => "FAIL",
            },
        }
    }
}

/// Runs `report merge`.
pub(crate) fn run(a: &MergeArgs) -> Result<ExitCode, Fatal> {
    if a.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(refused("`-` (stdin) given twice; expected it once"));
    }
    let names: Vec<String> = a.files.iter().map(|f| display(f)).collect();
    let mut entries = Vec::new();
    for (i, file) in a.files.iter().enumerate() {
        entries.extend(read_file(file, &names[i], i)?);
    }
    let entries = counted_once(entries, &names);
    let rows: Vec<(&str, Result<&Report, &str>)> = entries
        .iter()
        .map(|e| match &e.result {
            Ok(report) => (e.name.as_str(), Ok(report)),
            Err(error) => (e.name.as_str(), Err(error.as_str())),
        })
        .collect();
    let table = summary_table(&rows);
    let mut reports = Vec::new();
    let mut unchecked = Vec::new();
    for e in entries {
        match e.result {
            Ok(report) => reports.push(report),
            Err(error) => {
                crate::say::err(&format!(
                    "dockerflow: error: {} (in {}): {error}",
                    e.name, names[e.file]
                ));
                unchecked.push(Unchecked {
                    kind: e.kind,
                    name: e.name,
                    error,
                });
            }
        }
    }
    let r = ReportArgs {
        format: a.format,
        output: a.output.clone(),
        reports: a.reports.clone(),
        profile: ProfileArg::Strict,
        fail_on: a.fail_on,
        ignores: Vec::new(),
        quiet: a.quiet,
        verbose: a.verbose,
        ignore_file: None,
    };
    let status = render_with_table(&r, &reports, &unchecked, Some(&table))?;
    Ok(ExitCode::from(if unchecked.is_empty() {
        status
    } else {
        2
    }))
}

fn display(file: &Path) -> String {
    match file.as_os_str() == "-" {
        true => "stdin".to_string(),
        false => file.display().to_string(),
    }
}

/// The inputs of the report in `file` (named `name`), reports first, then those its run could
/// not check.
fn read_file(file: &Path, name: &str, index: usize) -> Result<Vec<Entry>, Fatal> {
    const EXPECTED: &str = "expected a JSON report of `dockerflow check` (--format json or \
                            --report json=FILE)";
    let bytes = crate::read_input(file)
        .map_err(|e| Fatal::io_expecting(format!("cannot read the report {name}"), e, EXPECTED))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| refused(format!("cannot merge {name}: not UTF-8 text; {EXPECTED}")))?;
    let run = read(&text).map_err(|source| Fatal::Report {
        file: name.to_string(),
        source,
    })?;
    if let Some(v) = run.tool_version.as_deref().filter(|v| *v != VERSION) {
        crate::say::err(&format!(
            "dockerflow: note: {name} was written by dockerflow {v}, merged by {VERSION}"
        ));
    }
    if run.reports.is_empty() && run.unchecked.is_empty() {
        crate::say::err(&format!(
            "dockerflow: warning: {name} holds no report (a shard given no input)"
        ));
    }
    let reports = run.reports.into_iter().map(|report| Entry {
        kind: report.kind,
        name: report.subject.clone(),
        result: Ok(report),
        file: index,
    });
    let unchecked = run.unchecked.into_iter().map(|u| Entry {
        kind: u.kind,
        name: u.name,
        result: Err(u.error),
        file: index,
    });
    Ok(reports.chain(unchecked).collect())
}

/// Each input once, where it first appears, with its worst result (the first of equals); each
/// input found more than once is named on stderr with the files it was in.
fn counted_once(entries: Vec<Entry>, names: &[String]) -> Vec<Entry> {
    let mut groups: Vec<Vec<Entry>> = Vec::new();
    let mut index: HashMap<(&'static str, String), usize> = HashMap::new();
    for e in entries {
        let key = (e.kind.as_str(), e.name.clone());
        match index.get(&key) {
            Some(&i) => groups[i].push(e),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![e]);
            }
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let n = group.len();
            let mut files: Vec<&str> = group.iter().map(|e| names[e.file].as_str()).collect();
            files.dedup();
            let worst = (0..n)
                .rev()
                .max_by_key(|i| group[*i].badness())
                .unwrap_or(0);
            let kept = group
                .into_iter()
                .nth(worst)
                .expect("a group is never empty");
            if n > 1 {
                crate::say::err(&format!(
                    "dockerflow: warning: {} {} is in the reports {n} times ({}); counted once, \
                     with its worst result: {} from {}",
                    kept.kind.as_str(),
                    kept.name,
                    files.join(", "),
                    kept.verdict(),
                    names[kept.file]
                ));
            }
            kept
        })
        .collect()
}
