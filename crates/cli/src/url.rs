//! `dockerflow check url URL`: the Dockerflow endpoints of a service that is already running
//! (any language), judged by the runtime rules; static rules are skipped.

use dockerflow_check::{check_runtime, Options, Report};
use dockerflow_http::{FetchError, FetchErrorKind};
use dockerflow_probe::{probe_url, UrlOptions};

use crate::cli::UrlArgs;
use crate::fatal::{refused, Fatal};

/// Probes the URL and judges it.
pub(crate) fn check(args: &UrlArgs, options: &Options) -> Result<Report, Fatal> {
    let url = &args.url;
    let mut o = UrlOptions {
        static_path: args.static_path.clone(),
        ..UrlOptions::default()
    };
    if let Some(t) = args.timeout {
        o.timeout = t;
    }
    let observed = probe_url(url, &o).map_err(|e| match e {
        dockerflow_probe::Error::Unreachable { url, source } => {
            let hint = match source.kind() {
                FetchErrorKind::Refused => "; expected the service to be running there",
                _ => "",
            };
            refused(format!(
                "cannot check url {url}: {}{hint}",
                no_answer(&source)
            ))
        }
        source => Fatal::Probe {
            context: "cannot check url ".to_string(),
            source,
        },
    })?;
    Ok(check_runtime(&observed, options))
}

/// Why nothing answered at a URL, in the words of `check url` and of deploy verification
/// (`check url --expect-commit`), which share the HTTP client's classification.
pub(crate) fn no_answer(e: &FetchError) -> String {
    match e.kind() {
        FetchErrorKind::TimedOut => format!(
            "no answer within {} s (--timeout) from {}",
            e.timeout().as_secs_f64(),
            e.authority()
        ),
        _ => e.to_string(),
    }
}
