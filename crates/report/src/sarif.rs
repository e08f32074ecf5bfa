//! SARIF 2.1.0 (OASIS): one run; `tool.driver.rules[]` is the catalogue (id, name,
//! shortDescription = statement, fullDescription = why, help = fix, helpUri,
//! defaultConfiguration.level `error` for MUST and `warning` for SHOULD, properties with the
//! profiles and the source); one result per broken rule (`kind` `fail`, level `error` for a
//! failure and `warning` for a warning), with the message and at least one physical location,
//! as GitHub code scanning requires: the Dockerfile and its line; the log file and its line;
//! the Kubernetes manifest and its line (`dockerflow/kubernetes/stdin` for stdin);
//! the image archive or layout for a local image; and for an image elsewhere (a registry, the
//! engine) or a URL, a stable pseudo-file `dockerflow/image/NAME` or `dockerflow/url/HOST_PORT`.
//! A file or config key inside an image is added as a logical location. Relative URIs carry
//! `uriBaseId` `%SRCROOT%`, defined in `originalUriBaseIds` when the caller knows the directory.
//! An ignored finding carries an external suppression with the reason.
//!
//! Rules that pass or are skipped are not results: code scanning services (GitHub's SARIF
//! subset does not document `kind`) would show them as alerts. They are listed instead in
//! `runs[0].properties.outcomes`, `{"DF101": "pass", "DF401": "skipped: <reason>"}`.
//!
//! An input that could not be checked (an image of a fleet that could not be read) is no
//! result either (no rule was judged): it is an `error` in the invocation's
//! `toolExecutionNotifications`, with `executionSuccessful: false` (see [`render_run`]).

use dockerflow_check::{Finding, InputKind, Level, Outcome, Report, Verdict, RULES};
use serde_json::{json, Value};

use crate::{RenderOptions, Unchecked};

/// The SARIF schema this module writes.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(l: Level) -> &'static str {
    match l {
        Level::Must => "error",
        Level::Should => "warning",
    }
}

/// A relative URI reference for a path: forward slashes, the few characters that would end
/// or change a URI percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'%' | b' ' | b'#' | b'?' | b'"' | b'<' | b'>' | 0..=0x1f | 0x7f..=0xff => {
                out.push_str(&format!("%{b:02X}"))
            }
            b => out.push(b as char),
        }
    }
    out
}

/// A file's artifact location: relative paths (`./` dropped) against `%SRCROOT%`, absolute
/// ones as `file://` URIs.
fn artifact(path: &str) -> Value {
    if path.starts_with('/') {
        return json!({"uri": format!("file://{}", uri(path))});
    }
    let mut relative = path;
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest;
    }
    json!({"uri": uri(relative), "uriBaseId": "%SRCROOT%"})
}

/// A name made safe as one path segment of a pseudo-file.
fn segment(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect()
}

/// The file a finding lives in, as a path: the Dockerfile; the log file; a local image's
/// archive or layout; a Kubernetes manifest; else a stable pseudo-file
/// `dockerflow/{image,url,logs}/NAME`.
pub(crate) fn file_of(report: &Report, f: &Finding) -> String {
    match (report.kind, &f.location.path) {
        (InputKind::Dockerfile | InputKind::Kubernetes, Some(path)) => match path.as_str() {
            "-" if report.kind == InputKind::Kubernetes => "dockerflow/kubernetes/stdin".into(),
            _ => path.clone(),
        },
        _ => input_file(report.kind, &report.subject),
    }
}

/// The file that stands for an input as a whole (see [`file_of`]): also where an input that
/// could not be checked is reported.
pub(crate) fn input_file(kind: InputKind, s: &str) -> String {
    match kind {
        InputKind::Dockerfile => s.to_string(),
        // The manifest file; the subject is `FILE:LINE KIND/NAME container NAME`.
        InputKind::Kubernetes => {
            let file = s.split(' ').next().unwrap_or(s);
            match file.rsplit_once(':').map_or(file, |(f, _)| f) {
                "-" => "dockerflow/kubernetes/stdin".to_string(),
                file => file.to_string(),
            }
        }
        InputKind::Logs if s == "stdin" || s == "-" => "dockerflow/logs/stdin".to_string(),
        InputKind::Logs => s.to_string(),
        InputKind::Url => {
            let authority = s.strip_prefix("http://").unwrap_or(s);
            let authority = authority.split('/').next().unwrap_or(authority);
            format!("dockerflow/url/{}", segment(authority))
        }
        InputKind::Image => {
            // A local archive or layout is the file; its `:NAME:TAG`/`:TAG` suffix is not.
            let local = ["docker-archive:", "oci-archive:", "oci:"]
                .iter()
                .find_map(|t| s.strip_prefix(t))
                .map(|rest| rest.split(':').next().unwrap_or(rest));
            match local {
                Some(path) if !path.is_empty() => path.to_string(),
                _ => format!("dockerflow/image/{}", segment(s)),
            }
        }
    }
}

fn locations(report: &Report, f: &Finding) -> Value {
    let l = &f.location;
    let mut physical = json!({ "artifactLocation": artifact(&file_of(report, f)) });
    if let (Some(line), InputKind::Dockerfile | InputKind::Logs | InputKind::Kubernetes) =
        (l.line, report.kind)
    {
        physical["region"] = json!({ "startLine": line });
    }
    let mut location = json!({ "physicalLocation": physical });
    let mut logical = Vec::new();
    if !matches!(report.kind, InputKind::Dockerfile | InputKind::Kubernetes) {
        if let Some(path) = &l.path {
            let fq = match l.layer {
                Some(n) => format!("{}!layer{n}:{path}", report.subject),
                None => format!("{}!{path}", report.subject),
            };
            logical.push(json!({"name": path, "fullyQualifiedName": fq, "kind": "resource"}));
        }
    }
    if let Some(field) = &l.field {
        logical.push(json!({
            "name": field,
            "fullyQualifiedName": format!("{}!config.{field}", report.subject),
            "kind": "member"
        }));
    }
    if !logical.is_empty() {
        location["logicalLocations"] = Value::Array(logical);
    }
    json!([location])
}

/// The result for a broken rule; `None` for a rule that passes or was skipped.
fn result(report: &Report, f: &Finding) -> Option<Value> {
    let lvl = match &f.outcome {
        Outcome::Fail => "error",
        Outcome::Warn => "warning",
        Outcome::Pass | Outcome::Skipped(_) => return None,
    };
    let text = format!(
        "{}: found {}; expected {}",
        f.rule.statement, f.found, f.expected
    );
    let mut r = json!({
        "ruleId": f.rule.id,
        "ruleIndex": RULES.iter().position(|r| r.id == f.rule.id),
        "kind": "fail",
        "level": lvl,
        "message": {"text": text},
        "locations": locations(report, f),
    });
    if let Some(reason) = &f.ignored {
        r["suppressions"] = json!([{"kind": "external", "justification": reason}]);
    }
    Some(r)
}

/// The rule's fix, then the URL of each contract section it comes from.
fn help_text(rule: &dockerflow_check::Rule) -> String {
    let mut text = format!("Fix: {}", rule.fix);
    for (section, url) in rule.contract_sections() {
        if let Some(url) = url {
            text.push_str(&format!("\nContract §{section}: {url}"));
        }
    }
    text
}

/// The rule's help in Markdown, as GitHub code scanning shows it: statement, level, why, fix,
/// the rule's entry in the catalogue and the contract sections it cites.
fn help_markdown(rule: &dockerflow_check::Rule) -> String {
    let mut md = format!(
        "**{}** ({})\n\n{}\n\n**Fix:** {}\n\n[{} in the rules]({})",
        rule.statement,
        rule.level.as_str(),
        rule.why,
        rule.fix,
        rule.id,
        rule.help_uri()
    );
    for (section, url) in rule.contract_sections() {
        if let Some(url) = url {
            md.push_str(&format!(" · [contract §{section}]({url})"));
        }
    }
    md
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report, options: &RenderOptions) -> Value {
    let outcomes: serde_json::Map<String, Value> = report
        .findings
        .iter()
        .map(|f| {
            let o = match &f.outcome {
                Outcome::Skipped(why) => format!("skipped: {why}"),
                o => o.as_str().to_string(),
            };
            (f.rule.id.to_string(), Value::String(o))
        })
        .collect();
    log(
        options,
        report
            .findings
            .iter()
            .filter_map(|f| result(report, f))
            .collect(),
        json!({
            "outcomes": outcomes,
            "input": {"kind": report.kind.as_str(), "name": report.subject},
            "profile": report.profile.as_str(),
            "verdict": report.verdict().as_str(),
        }),
    )
}

/// A log of one run: the tool with the whole catalogue, `results` and the run's `properties`.
fn log(options: &RenderOptions, results: Vec<Value>, properties: Value) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.statement},
                "fullDescription": {"text": r.why},
                "help": {
                    "text": help_text(r),
                    "markdown": help_markdown(r),
                },
                "helpUri": r.help_uri(),
                "defaultConfiguration": {"level": level(r.level)},
                "properties": {
                    "profiles": r.profiles.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                    "source": r.source,
                    "since": r.since,
                    "status": r.status.as_str(),
                }
            })
        })
        .collect();
    let mut base = json!({"description": {"text": "The directory dockerflow ran in"}});
    if let Some(root) = &options.source_root {
        base["uri"] = Value::String(root.clone());
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "originalUriBaseIds": {"%SRCROOT%": base},
            "tool": {"driver": {
                "name": "dockerflow",
                "version": options.tool_version,
                "informationUri": "https://github.com/dockerflow-rs/dockerflow",
                "rules": rules,
            }},
            "results": results,
            "properties": properties,
        }]
    })
}

/// One SARIF log for several reports: one run with every report's results; `properties`
/// holds the worst verdict and each input with its outcomes.
pub fn render_all(reports: &[Report], options: &RenderOptions) -> String {
    render_run(reports, &[], options)
}

/// [`render_all`] for a run that could not check some inputs: the run's one invocation is
/// `executionSuccessful: false` with an `error` notification per input (what, and why, at the
/// file that stands for the input), `properties.unchecked` lists them and the verdict is
/// `error`. A run that checked nothing is still a whole log, so that an upload of it shows the
/// failure instead of refusing an empty file.
pub fn render_run(reports: &[Report], unchecked: &[Unchecked], options: &RenderOptions) -> String {
    if reports.is_empty() && unchecked.is_empty() {
        return String::new();
    }
    let mut results = Vec::new();
    let mut inputs = Vec::new();
    for r in reports {
        let mut log = to_value(r, options);
        let run = &mut log["runs"][0];
        inputs.push(run["properties"].take());
        if let Some(more) = run["results"].as_array_mut() {
            results.append(more);
        }
    }
    let verdict = if !unchecked.is_empty() {
        "error"
    } else if reports.iter().any(|r| r.verdict() == Verdict::Fail) {
        "fail"
    } else {
        "pass"
    };
    let mut properties = json!({"inputs": inputs, "verdict": verdict});
    let mut log = log(options, results, Value::Null);
    if !unchecked.is_empty() {
        let notifications: Vec<Value> = unchecked
            .iter()
            .map(|u| {
                json!({
                    "level": "error",
                    "message": {"text": format!(
                        "{} {} was not checked: {}", u.kind.as_str(), u.name, u.error
                    )},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": artifact(&input_file(u.kind, &u.name))
                    }}],
                })
            })
            .collect();
        log["runs"][0]["invocations"] = json!([{
            "executionSuccessful": false,
            "toolExecutionNotifications": notifications,
        }]);
        properties["unchecked"] = unchecked
            .iter()
            .map(|u| json!({"input": {"kind": u.kind.as_str(), "name": u.name}, "error": u.error}))
            .collect();
    }
    log["runs"][0]["properties"] = properties;
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// Renders the SARIF log, pretty-printed, with a final newline.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report, options)).unwrap_or_default();
    s.push('\n');
    s
}
