//! Area 6: the Dockerflow endpoints of a running service (CONTRACT.md sections 1.1 to 1.6
//! and 1.10), judged from [`RuntimeModel`] observations.

use serde_json::Value;

use crate::model::{DockerfileModel, ImageModel};
use crate::runtime::{Answer, Endpoint, Exchange, RuntimeModel};
use crate::schema::{errors, Schema};
use crate::{Judgement, Location, Profile};

/// Runtime rules judged from an image alone.
pub(crate) fn needs_run_image(_: &ImageModel, _: Profile) -> Judgement {
    Judgement::skipped(
        "a runtime rule: run the image with `check image REF --run`, or probe it with `check url`",
        "",
    )
}

/// Runtime rules judged from a Dockerfile.
pub(crate) fn needs_run_dockerfile(_: &DockerfileModel, _: Profile) -> Judgement {
    Judgement::skipped(
        "a runtime rule: build the image and run it with `check image REF --run`",
        "",
    )
}

/// Static rules judged from runtime observations alone.
pub(crate) fn static_only(m: &RuntimeModel, _: Profile) -> Judgement {
    let _ = m;
    Judgement::skipped(
        "a static rule: judged from the image's files and config (`check image REF`)",
        "",
    )
}

fn at(path: &str) -> Location {
    Location {
        path: Some(path.to_string()),
        ..Location::default()
    }
}

/// A short, printable sample of a body.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 120 {
        format!("{:?}...", one.chars().take(120).collect::<String>())
    } else {
        format!("{one:?}")
    }
}

fn describe(a: &Answer) -> String {
    match a {
        Ok(x) => format!("{} in {} ms", x.status, x.elapsed.as_millis()),
        Err(e) => format!("no answer: {e}"),
    }
}

pub(crate) fn listens_on_port(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str =
        "the service accepts HTTP connections on $PORT (a random free port, never 8000)";
    match &m.listening {
        None => Judgement::skipped(m.unobserved("$PORT"), EXPECTED),
        Some(Ok(found)) => Judgement::pass(found.clone(), EXPECTED, Location::field("Env PORT")),
        Some(Err(e)) => Judgement::broken(e.clone(), EXPECTED, Location::field("Env PORT")),
    }
}

pub(crate) fn lbheartbeat(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str =
        "GET /__lbheartbeat__ answers 200 (not 204) without touching any backing service";
    let Some(e) = &m.lbheartbeat else {
        return Judgement::skipped(m.unobserved("/__lbheartbeat__"), EXPECTED);
    };
    match &e.get {
        Ok(x) if x.status == 200 => Judgement::pass("200", EXPECTED, at(&e.path)),
        Ok(x) if x.status == 204 => Judgement::broken(
            "204 No Content: load balancers such as AWS ELB need 200",
            EXPECTED,
            at(&e.path),
        ),
        other => Judgement::broken(describe(other), EXPECTED, at(&e.path)),
    }
}

pub(crate) fn version(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "GET /__version__ answers 200 with /app/version.json (the same bytes or the same JSON), a valid version object";
    let Some(e) = &m.version else {
        return Judgement::skipped(m.unobserved("/__version__"), EXPECTED);
    };
    let here = at(&e.path);
    let x = match &e.get {
        Ok(x) if x.status == 200 => x,
        other => return Judgement::broken(describe(other), EXPECTED, here),
    };
    let served: Value = match serde_json::from_slice(&x.body) {
        Ok(v) => v,
        Err(err) => {
            return Judgement::broken(
                format!("a body that is not JSON ({err}): {}", snippet(&x.body)),
                EXPECTED,
                here,
            )
        }
    };
    let problems = errors(Schema::Version, &served);
    if !problems.is_empty() {
        return Judgement::broken(
            format!("not a valid version object: {}", problems.join("; ")),
            EXPECTED,
            here,
        );
    }
    match &m.image_version_json {
        None => Judgement::pass(
            "200, a valid version object (no image to compare with)",
            EXPECTED,
            here,
        ),
        Some(None) => Judgement::broken(
            "200 with a version object, but the image has no /app/version.json to serve",
            EXPECTED,
            here,
        ),
        Some(Some(file)) if file.as_slice() == x.body.as_slice() => {
            Judgement::pass("200, the bytes of /app/version.json", EXPECTED, here)
        }
        Some(Some(file)) => match serde_json::from_slice::<Value>(file) {
            Ok(v) if v == served => Judgement::pass(
                "200, the same JSON as /app/version.json (re-serialised)",
                EXPECTED,
                here,
            ),
            _ => Judgement::broken(
                format!(
                    "200 with another object: served {}, the image's /app/version.json is {}",
                    snippet(&x.body),
                    snippet(file)
                ),
                EXPECTED,
                here,
            ),
        },
    }
}

pub(crate) fn heartbeat_up(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "GET /__heartbeat__ answers 200 while every backing service is up";
    let Some(e) = &m.heartbeat else {
        return Judgement::skipped(m.unobserved("/__heartbeat__"), EXPECTED);
    };
    match &e.get {
        Ok(x) if x.status == 200 => Judgement::pass("200", EXPECTED, at(&e.path)),
        Ok(x) => Judgement::broken(
            format!("{}: {}", x.status, snippet(&x.body)),
            EXPECTED,
            at(&e.path),
        ),
        Err(err) => Judgement::broken(format!("no answer: {err}"), EXPECTED, at(&e.path)),
    }
}

pub(crate) fn heartbeat_shape(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "a JSON body {\"status\", \"checks\", \"details\"} as crates/contract/schemas/heartbeat.schema.json describes (python-dockerflow compatible)";
    let Some(e) = &m.heartbeat else {
        return Judgement::skipped(m.unobserved("/__heartbeat__"), EXPECTED);
    };
    let x = match &e.get {
        Ok(x) => x,
        Err(err) => return Judgement::broken(format!("no answer: {err}"), EXPECTED, at(&e.path)),
    };
    let value: Value = match serde_json::from_slice(&x.body) {
        Ok(v) => v,
        Err(err) => {
            return Judgement::broken(
                format!("not JSON ({err}): {}", snippet(&x.body)),
                EXPECTED,
                at(&e.path),
            )
        }
    };
    let problems = errors(Schema::Heartbeat, &value);
    if problems.is_empty() {
        Judgement::pass(format!("status {}", value["status"]), EXPECTED, at(&e.path))
    } else {
        Judgement::broken(problems.join("; "), EXPECTED, at(&e.path))
    }
}

pub(crate) fn heartbeat_down(m: &RuntimeModel, _: Profile) -> Judgement {
    let expected = format!(
        "with a backing service down, GET /__heartbeat__ answers 5xx (not 2xx, not 4xx) within {} s",
        m.heartbeat_deadline.as_secs_f64()
    );
    if m.dependencies_down.is_empty() {
        return Judgement::skipped(
            "no dependency was taken down; name the variables that point at backing services with --dependency-env VAR",
            &expected,
        );
    }
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for d in &m.dependencies_down {
        match &d.heartbeat {
            Ok(x) if (500..600).contains(&x.status) && x.elapsed <= m.heartbeat_deadline => good
                .push(format!(
                    "{} down: {} in {} ms",
                    d.var,
                    x.status,
                    x.elapsed.as_millis()
                )),
            Ok(x) if (500..600).contains(&x.status) => bad.push(format!(
                "{} down: {} only after {} ms",
                d.var,
                x.status,
                x.elapsed.as_millis()
            )),
            Ok(x) => bad.push(format!("{} down: {} {}", d.var, x.status, snippet(&x.body))),
            Err(e) => bad.push(format!("{} down: no answer: {e}", d.var)),
        }
    }
    if bad.is_empty() {
        Judgement::pass(good.join("; "), &expected, at("/__heartbeat__"))
    } else {
        Judgement::broken(bad.join("; "), &expected, at("/__heartbeat__"))
    }
}

pub(crate) fn lbheartbeat_down(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str =
        "with a backing service down, GET /__lbheartbeat__ still answers 200 (it touches no backing service)";
    if m.dependencies_down.is_empty() {
        return Judgement::skipped(
            "no dependency was taken down; name the variables that point at backing services with --dependency-env VAR",
            EXPECTED,
        );
    }
    let bad: Vec<String> = m
        .dependencies_down
        .iter()
        .filter_map(|d| match &d.lbheartbeat {
            Ok(x) if x.status == 200 => None,
            other => Some(format!("{} down: {}", d.var, describe(other))),
        })
        .collect();
    if bad.is_empty() {
        Judgement::pass(
            "200 with each dependency down",
            EXPECTED,
            at("/__lbheartbeat__"),
        )
    } else {
        Judgement::broken(bad.join("; "), EXPECTED, at("/__lbheartbeat__"))
    }
}

fn endpoints(m: &RuntimeModel) -> Vec<&Endpoint> {
    [&m.lbheartbeat, &m.version, &m.heartbeat]
        .into_iter()
        .flatten()
        .collect()
}

pub(crate) fn head(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "HEAD on each Dockerflow endpoint answers the GET's status with no body";
    let eps = endpoints(m);
    if eps.is_empty() {
        return Judgement::skipped(m.unobserved("HEAD"), EXPECTED);
    }
    let mut bad = Vec::new();
    for e in eps {
        match (&e.get, &e.head) {
            (Ok(g), Ok(h)) if g.status == h.status && h.body.is_empty() => {}
            (Ok(g), Ok(h)) if g.status != h.status => bad.push(format!(
                "{}: GET {} but HEAD {}",
                e.path, g.status, h.status
            )),
            (_, Ok(h)) if !h.body.is_empty() => bad.push(format!("{}: HEAD sent a body", e.path)),
            (_, Ok(_)) => {}
            (_, Err(err)) => bad.push(format!("{}: HEAD got no answer: {err}", e.path)),
        }
    }
    if bad.is_empty() {
        Judgement::pass("HEAD matches GET", EXPECTED, Location::default())
    } else {
        Judgement::broken(bad.join("; "), EXPECTED, Location::default())
    }
}

pub(crate) fn no_store(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "Cache-Control: no-store on every Dockerflow endpoint";
    let eps = endpoints(m);
    if eps.is_empty() {
        return Judgement::skipped(m.unobserved("Cache-Control"), EXPECTED);
    }
    if eps.iter().all(|e| e.get.is_err()) {
        return Judgement::skipped(
            "no endpoint answered, so there are no headers to read (see DF602)",
            EXPECTED,
        );
    }
    let bad: Vec<String> = eps
        .iter()
        .filter_map(|e| {
            let x: &Exchange = e.get.as_ref().ok()?;
            match x.header("cache-control") {
                Some(v) if v.to_ascii_lowercase().contains("no-store") => None,
                Some(v) => Some(format!("{}: Cache-Control {v:?}", e.path)),
                None => Some(format!("{}: no Cache-Control", e.path)),
            }
        })
        .collect();
    if bad.is_empty() {
        Judgement::pass("no-store", EXPECTED, Location::default())
    } else {
        Judgement::broken(bad.join("; "), EXPECTED, Location::default())
    }
}

pub(crate) fn static_file(m: &RuntimeModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "GET of a static file the service owns answers 200 with a body";
    let Some((path, answer)) = &m.static_file else {
        return Judgement::skipped(
            "no static file named; give one with --static-path PATH",
            EXPECTED,
        );
    };
    match answer {
        Ok(x) if x.status == 200 && !x.body.is_empty() => Judgement::pass(
            format!(
                "200, {} bytes, Content-Type {}",
                x.body.len(),
                x.header("content-type").unwrap_or("(none)")
            ),
            EXPECTED,
            at(path),
        ),
        other => Judgement::broken(describe(other), EXPECTED, at(path)),
    }
}
