//! `dockerflow check image REF REF ...` and `--from FILE`: many images checked by a bounded
//! pool of worker threads (`--jobs`), the reports in the order of the inputs whatever the
//! order the workers finish in, one summary table at the end of the text report, and the
//! worst exit status (2 when any image could not be checked, else 1 when any failed).

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use dockerflow_check::{InputKind, Report, Verdict};
use dockerflow_report::Unchecked;

use crate::check::{image, options, render_with_table};
use crate::cli::{ImageArgs, ReportArgs};
use crate::fatal::{refused, Fatal};
use crate::one_line;

/// Runs `check image` on every reference of the arguments, then of `--from` (of `--shard`'s
/// share of them; a shard with no image passes).
pub(crate) fn run(a: &ImageArgs, r: &ReportArgs) -> Result<ExitCode, Fatal> {
    let mut references = a.references.clone();
    if let Some(file) = &a.from {
        references.extend(read_list(file)?);
    }
    if references.is_empty() {
        return Err(refused(
            "no image to check; expected REF arguments or references in the --from file",
        ));
    }
    if let Some((i, n)) = a.shard {
        let all = references.len();
        references = references
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % n + 1 == i)
            .map(|(_, reference)| reference)
            .collect();
        crate::say::err(&format!(
            "dockerflow: shard {i}/{n}: {} of {all} images",
            references.len()
        ));
    }
    let options = options(r, None)?;
    let jobs = jobs(a).min(references.len().max(1));
    let slots: Vec<Mutex<Option<Result<Report, Fatal>>>> =
        references.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(reference) = references.get(i) else {
                    break;
                };
                let result = image(a, reference, &options);
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            });
        }
    });
    let results: Vec<Result<Report, Fatal>> = slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| Err(refused("not checked: its worker stopped")))
        })
        .collect();
    let mut unchecked = Vec::new();
    for (reference, result) in references.iter().zip(&results) {
        if let Err(fatal) = result {
            unchecked.push(Unchecked {
                kind: InputKind::Image,
                name: reference.clone(),
                error: one_line(&fatal.to_string()),
            });
            crate::say::err(&format!("dockerflow: error: {fatal}"));
        }
    }
    let table = table(&references, &results);
    let reports: Vec<Report> = results.into_iter().filter_map(Result::ok).collect();
    let status = render_with_table(r, &reports, &unchecked, Some(&table))?;
    Ok(ExitCode::from(if unchecked.is_empty() {
        status
    } else {
        2
    }))
}

/// `--jobs`, else 1 with `--run` (each run starts containers on the one engine), else the
/// number of CPUs.
fn jobs(a: &ImageArgs) -> usize {
    match (a.jobs, a.run.run) {
        (Some(n), _) => n as usize,
        (None, true) => 1,
        (None, false) => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

/// The references in `file` (`-`: stdin): one a line, blank lines and `#` comments skipped.
fn read_list(file: &Path) -> Result<Vec<String>, Fatal> {
    let bytes = crate::read_input(file).map_err(|e| {
        Fatal::io_expecting(
            format!("cannot read the image list {}", file.display()),
            e,
            "expected a file of image references, one a line",
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        refused(format!(
            "cannot read the image list {}: not UTF-8 text; expected image references, one a line",
            file.display()
        ))
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

/// The summary: a row per input (image, verdict, failed rules), then the counts.
fn table(references: &[String], results: &[Result<Report, Fatal>]) -> String {
    let errors: Vec<Option<String>> = results
        .iter()
        .map(|r| r.as_ref().err().map(Fatal::to_string))
        .collect();
    let rows: Vec<(&str, Result<&Report, &str>)> = references
        .iter()
        .zip(results.iter().zip(&errors))
        .map(|(reference, result)| match result {
            (Ok(report), _) => (reference.as_str(), Ok(report)),
            (Err(_), error) => (
                reference.as_str(),
                Err(error.as_deref().unwrap_or_default()),
            ),
        })
        .collect();
    summary_table(&rows)
}

/// The summary table of `rows` (an input's name, and its report or why it could not be
/// checked): a row each (image, verdict, failed rules), then the counts. `report merge`'s too,
/// where inputs other than images (a merge of `check kubernetes` reports) are called inputs.
pub(crate) fn summary_table(rows: &[(&str, Result<&Report, &str>)]) -> String {
    let images = rows
        .iter()
        .all(|(_, r)| !matches!(r, Ok(report) if report.kind != InputKind::Image));
    let (column, noun) = match images {
        true => ("IMAGE", "images"),
        false => ("INPUT", "inputs"),
    };
    let rows: Vec<[String; 3]> = rows
        .iter()
        .map(|(reference, result)| match result {
            Ok(report) => {
                let failed = report.failing();
                let verdict = match report.verdict() {
                    Verdict::Pass => "PASS",
                    Verdict::Fail => "FAIL",
                };
                let failed = match failed.is_empty() {
                    true => "-".to_string(),
                    false => failed.join(" "),
                };
                [reference.to_string(), verdict.to_string(), failed]
            }
            Err(message) => [
                reference.to_string(),
                "ERROR".to_string(),
                format!("could not check: {}", one_line(message)),
            ],
        })
        .collect();
    let width = |c: usize| {
        rows.iter()
            .map(|r| r[c].chars().count())
            .chain([[column, "VERDICT"][c].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let mut out = format!("{column:w0$}  {:w1$}  FAILED RULES\n", "VERDICT");
    for [image, verdict, failed] in &rows {
        out.push_str(&format!("{image:w0$}  {verdict:w1$}  {failed}\n"));
    }
    let count = |v: &str| rows.iter().filter(|r| r[1] == v).count();
    out.push_str(&format!(
        "{} {noun}: {} pass, {} fail, {} could not be checked\n",
        rows.len(),
        count("PASS"),
        count("FAIL"),
        count("ERROR")
    ));
    out
}
