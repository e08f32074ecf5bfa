//! DF8xx: a workload container in Kubernetes manifests (CONTRACT.md §2.1). Each judge points at
//! the offending key's line, or at the container (or pod spec) for something missing.

use crate::kubernetes::{Container, Node, Role, Value};
use crate::model::{DockerfileModel, ImageModel};
use crate::rule::Profile;
use crate::runtime::RuntimeModel;
use crate::{Judgement, Location};

/// The library's `DOCKERFLOW_DRAIN_DELAY_MS` default (docs/CONFIGURATION.md), in ms.
pub(crate) const DRAIN_DELAY_MS: u64 = 3000;
/// The library's `DOCKERFLOW_GRACE_PERIOD_MS` default (docs/CONFIGURATION.md), in ms.
pub(crate) const GRACE_PERIOD_MS: u64 = 25000;
/// Kubernetes' `terminationGracePeriodSeconds` when unset.
const KUBERNETES_GRACE_S: u64 = 30;
/// CONTRACT.md §1.1: the port when `PORT` is unset.
const DEFAULT_PORT: i64 = 8000;

const MANIFESTS_ONLY: &str = "judged from Kubernetes manifests (dockerflow check kubernetes)";

/// The image judge of a DF8xx rule.
pub(crate) fn manifests_only_image(_: &ImageModel, _: Profile) -> Judgement {
    Judgement::skipped(MANIFESTS_ONLY, "")
}

/// The Dockerfile judge of a DF8xx rule.
pub(crate) fn manifests_only_dockerfile(_: &DockerfileModel, _: Profile) -> Judgement {
    Judgement::skipped(MANIFESTS_ONLY, "")
}

/// The runtime judge of a DF8xx rule.
pub(crate) fn manifests_only_runtime(_: &RuntimeModel, _: Profile) -> Judgement {
    Judgement::skipped(MANIFESTS_ONLY, "")
}

/// The manifests judge of a rule about images, Dockerfiles or running services.
pub(crate) fn not_manifests(_: &Container, _: Profile) -> Judgement {
    Judgement::skipped(
        "judged from an image, a Dockerfile or a running service, not from manifests",
        "",
    )
}

fn at(c: &Container, line: u32) -> Location {
    Location {
        path: Some(c.file.clone()),
        line: Some(line),
        ..Location::default()
    }
}

/// Skipped for pods of Jobs and CronJobs, and for init containers: they serve no traffic.
fn no_traffic(c: &Container, expected: &str) -> Option<Judgement> {
    if c.role == Role::Init {
        return Some(Judgement::skipped(
            "an init container runs to completion before the pod serves, and serves no traffic",
            expected,
        ));
    }
    c.runs_to_completion().then(|| {
        Judgement::skipped(
            format!("a {} runs to completion and serves no traffic", c.kind),
            expected,
        )
    })
}

/// A probe's handler, normalised for comparison.
#[derive(Debug, PartialEq, Eq)]
enum Handler {
    Http { path: String, port: Option<i64> },
    Tcp { port: Option<i64> },
    Exec(Vec<String>),
    Grpc { port: Option<i64> },
    Unknown,
}

/// The probe `key` (`livenessProbe`), its line and its handler.
fn probe<'a>(c: &'a Container, key: &str) -> Option<(u32, &'a Node)> {
    c.container.entry(key)
}

fn handler(c: &Container, probe: &Node) -> Handler {
    let port = |n: &Node| n.get("port").and_then(|p| port_of(c, p).ok());
    if let Some(h) = probe.get("httpGet") {
        let path = h.get("path").and_then(Node::text).unwrap_or("/");
        return Handler::Http {
            path: path.split('?').next().unwrap_or(path).to_string(),
            port: port(h),
        };
    }
    if let Some(h) = probe.get("tcpSocket") {
        return Handler::Tcp { port: port(h) };
    }
    if let Some(h) = probe.get("grpc") {
        return Handler::Grpc { port: port(h) };
    }
    if let Some(h) = probe.get("exec") {
        let command = h.get("command").map(Node::items).unwrap_or_default();
        return Handler::Exec(
            command
                .iter()
                .filter_map(|n| n.text().map(str::to_string))
                .collect(),
        );
    }
    Handler::Unknown
}

/// A probe's port: a number, or a name from the container's `ports`.
fn port_of(c: &Container, port: &Node) -> Result<i64, String> {
    if let Some(n) = port.int() {
        return Ok(n);
    }
    let name = port.text().unwrap_or_default();
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    c.container
        .get("ports")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|p| p.get("name").and_then(Node::text) == Some(name))
        .and_then(|p| p.get("containerPort"))
        .and_then(Node::int)
        .ok_or_else(|| format!("port name {name:?} is not one of the container's ports"))
}

/// Where a probe reaches `/__heartbeat__`: the line of the path (or command).
fn heartbeat_line(probe: &Node) -> Option<u32> {
    if let Some((line, path)) = probe.get("httpGet").and_then(|h| h.entry("path")) {
        let p = path.text().unwrap_or_default();
        return (p.split('?').next() == Some("/__heartbeat__")).then_some(line);
    }
    let (line, command) = probe.get("exec")?.entry("command")?;
    command
        .items()
        .iter()
        .any(|a| a.text().is_some_and(|t| t.contains("/__heartbeat__")))
        .then_some(line)
}

/// DF801: `/__heartbeat__` is never a liveness or readiness probe.
pub(crate) fn heartbeat_probe(c: &Container, _: Profile) -> Judgement {
    let expected = "liveness and readiness probes that do not request /__heartbeat__";
    let offending: Vec<(&str, u32)> = ["readinessProbe", "livenessProbe"]
        .into_iter()
        .filter_map(|key| Some((key, heartbeat_line(probe(c, key)?.1)?)))
        .collect();
    match offending.as_slice() {
        [] => Judgement::pass(
            "no probe requests /__heartbeat__",
            expected,
            at(c, c.container.line),
        ),
        [(key, line), rest @ ..] => {
            let keys: Vec<&str> = std::iter::once(*key)
                .chain(rest.iter().map(|(k, _)| *k))
                .collect();
            Judgement::broken(
                format!(
                    "{} request{} /__heartbeat__, which fails when a backing service is down",
                    keys.join(" and "),
                    if keys.len() == 1 { "s" } else { "" }
                ),
                expected,
                at(c, *line),
            )
        }
    }
}

/// DF802: readiness on `/__lbheartbeat__`.
pub(crate) fn readiness(c: &Container, _: Profile) -> Judgement {
    let expected = "readinessProbe.httpGet.path /__lbheartbeat__";
    if let Some(j) = no_traffic(c, expected) {
        return j;
    }
    let Some((line, p)) = probe(c, "readinessProbe") else {
        return Judgement::broken("no readinessProbe", expected, at(c, c.container.line));
    };
    match p.get("httpGet").and_then(|h| h.entry("path")) {
        Some((l, path))
            if path.text().and_then(|t| t.split('?').next()) == Some("/__lbheartbeat__") =>
        {
            Judgement::pass("readinessProbe on /__lbheartbeat__", expected, at(c, l))
        }
        Some((l, path)) => Judgement::broken(
            format!("readinessProbe on {}", path.text().unwrap_or("/")),
            expected,
            at(c, l),
        ),
        None => Judgement::broken(
            format!("readinessProbe is not an HTTP GET ({:?})", handler(c, p)),
            expected,
            at(c, line),
        ),
    }
}

/// DF803: liveness, when set, differs from readiness.
pub(crate) fn liveness(c: &Container, _: Profile) -> Judgement {
    let expected = "no livenessProbe, or one that differs from the readiness probe (tcpSocket on the service port, or the self-probe)";
    if let Some(j) = no_traffic(c, expected) {
        return j;
    }
    let Some((line, live)) = probe(c, "livenessProbe") else {
        return Judgement::pass("no livenessProbe", expected, at(c, c.container.line));
    };
    let live_handler = handler(c, live);
    if let Some((_, ready)) = probe(c, "readinessProbe") {
        if live_handler != Handler::Unknown && live_handler == handler(c, ready) {
            return Judgement::broken(
                "livenessProbe is the same check as readinessProbe: a pod that is only draining or busy is restarted",
                expected,
                at(c, line),
            );
        }
    }
    Judgement::pass(
        format!("livenessProbe differs from readinessProbe ({live_handler:?})"),
        expected,
        at(c, line),
    )
}

/// A security setting: the container's, else the pod's when Kubernetes inherits it.
/// The third value says it was found in the pod's securityContext.
fn security<'a>(c: &'a Container, key: &str) -> Option<(u32, &'a Node, bool)> {
    if let Some((l, n)) = c
        .container
        .get("securityContext")
        .and_then(|s| s.entry(key))
    {
        return Some((l, n, false));
    }
    let (l, n) = c.pod.get("securityContext")?.entry(key)?;
    Some((l, n, true))
}

fn security_missing(c: &Container, key: &str, expected: &str) -> Judgement {
    let line = c
        .container
        .entry("securityContext")
        .map_or(c.container.line, |(l, _)| l);
    Judgement::broken(format!("{key} is not set"), expected, at(c, line))
}

/// DF804: `runAsUser: 10001`.
pub(crate) fn run_as_user(c: &Container, profile: Profile) -> Judgement {
    let expected = "securityContext.runAsUser 10001";
    let Some((line, n, _)) = security(c, "runAsUser") else {
        return security_missing(c, "runAsUser", expected);
    };
    match n.int() {
        Some(10001) => Judgement::pass("runAsUser 10001", expected, at(c, line)),
        Some(uid) if uid > 0 && profile == Profile::Mozcloud => Judgement::warn(
            format!("runAsUser {uid}, not 10001 (non-root, accepted by mozcloud)"),
            expected,
            at(c, line),
        ),
        _ => Judgement::broken(format!("runAsUser {}", scalar(n)), expected, at(c, line)),
    }
}

fn scalar(n: &Node) -> String {
    match &n.value {
        Value::Scalar { text, .. } => text.clone(),
        _ => "(not a scalar)".into(),
    }
}

fn flag(c: &Container, key: &str, want: bool, inherited: bool) -> Judgement {
    let expected = format!("securityContext.{key} {want}");
    let Some((line, n, from_pod)) = security(c, key) else {
        return security_missing(c, key, &expected);
    };
    if from_pod && !inherited {
        return Judgement::broken(
            format!("{key} is set in the pod's securityContext, where Kubernetes ignores it"),
            &expected,
            at(c, line),
        );
    }
    match n.bool() {
        Some(v) if v == want => Judgement::pass(format!("{key} {v}"), &expected, at(c, line)),
        _ => Judgement::broken(format!("{key} {}", scalar(n)), &expected, at(c, line)),
    }
}

/// DF805: `runAsNonRoot: true`.
pub(crate) fn run_as_non_root(c: &Container, _: Profile) -> Judgement {
    flag(c, "runAsNonRoot", true, true)
}

/// DF806: `readOnlyRootFilesystem: true` (a container setting only).
pub(crate) fn read_only_root(c: &Container, _: Profile) -> Judgement {
    flag(c, "readOnlyRootFilesystem", true, false)
}

/// DF808: `allowPrivilegeEscalation: false` (a container setting only).
pub(crate) fn no_privilege_escalation(c: &Container, _: Profile) -> Judgement {
    flag(c, "allowPrivilegeEscalation", false, false)
}

/// DF807: a writable `/tmp`, an `emptyDir` mounted there.
pub(crate) fn writable_tmp(c: &Container, _: Profile) -> Judgement {
    let expected = "a volumeMount at /tmp of an emptyDir volume";
    let read_only = c
        .container
        .path(&["securityContext", "readOnlyRootFilesystem"])
        .and_then(Node::bool)
        == Some(true);
    let mount = c
        .container
        .get("volumeMounts")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|m| {
            m.get("mountPath")
                .and_then(Node::text)
                .is_some_and(|p| p.trim_end_matches('/') == "/tmp")
        });
    let Some(mount) = mount else {
        if !read_only {
            return Judgement::pass(
                "the root filesystem is writable, /tmp with it (see DF806)",
                expected,
                at(c, c.container.line),
            );
        }
        let line = c
            .container
            .entry("volumeMounts")
            .map_or(c.container.line, |(l, _)| l);
        return Judgement::broken(
            "no volume mounted at /tmp on a read-only root filesystem: the service cannot write temporary files",
            expected,
            at(c, line),
        );
    };
    if mount.get("readOnly").and_then(Node::bool) == Some(true) {
        return Judgement::broken("/tmp is mounted readOnly", expected, at(c, mount.line));
    }
    let volume = mount.get("name").and_then(Node::text).unwrap_or_default();
    let found = c
        .pod
        .get("volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|v| v.get("name").and_then(Node::text) == Some(volume));
    match found {
        Some(v) if v.get("emptyDir").is_some() => Judgement::pass(
            format!("/tmp is the emptyDir volume {volume:?}"),
            expected,
            at(c, mount.line),
        ),
        Some(v) => Judgement::broken(
            format!("/tmp is the volume {volume:?}, which is not an emptyDir"),
            expected,
            at(c, v.line),
        ),
        None => Judgement::broken(
            format!("/tmp mounts the volume {volume:?}, which the pod spec does not define"),
            expected,
            at(c, mount.line),
        ),
    }
}

/// The container's `env` entry `name`: the line of its value, and the value when literal.
fn env<'a>(c: &'a Container, name: &str) -> Option<(u32, Option<&'a str>)> {
    let e = c
        .container
        .get("env")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .rev()
        .find(|e| e.get("name").and_then(Node::text) == Some(name))?;
    match e.entry("value") {
        Some((l, v)) => Some((l, Some(v.text().unwrap_or_default()))),
        None => Some((e.line, None)),
    }
}

/// DF809: `terminationGracePeriodSeconds` covers the drain delay and the grace period.
pub(crate) fn termination_grace(c: &Container, _: Profile) -> Judgement {
    let expected = "terminationGracePeriodSeconds >= (DOCKERFLOW_DRAIN_DELAY_MS + DOCKERFLOW_GRACE_PERIOD_MS) / 1000";
    if c.role == Role::Init {
        return Judgement::skipped(
            "an init container has finished before the pod serves: it is never drained",
            expected,
        );
    }
    let mut parts = Vec::new();
    let mut total = 0u64;
    for (name, default) in [
        ("DOCKERFLOW_DRAIN_DELAY_MS", DRAIN_DELAY_MS),
        ("DOCKERFLOW_GRACE_PERIOD_MS", GRACE_PERIOD_MS),
    ] {
        let ms = match env(c, name) {
            None => {
                parts.push(format!("{name} {default} (the default)"));
                default
            }
            Some((_, Some(v))) => match v.trim().parse::<u64>() {
                Ok(ms) => {
                    parts.push(format!("{name} {ms}"));
                    ms
                }
                Err(_) => {
                    return Judgement::skipped(
                        format!("{name}={v:?} is not a number of milliseconds"),
                        expected,
                    )
                }
            },
            Some((_, None)) => {
                return Judgement::skipped(
                    format!("{name} comes from valueFrom: its value is not in the manifest"),
                    expected,
                )
            }
        };
        total = total.saturating_add(ms);
    }
    let (line, grace, given) = match c.pod.entry("terminationGracePeriodSeconds") {
        Some((l, n)) => match n.int() {
            Some(s) if s >= 0 => (l, s as u64, "terminationGracePeriodSeconds"),
            _ => {
                return Judgement::broken(
                    format!("terminationGracePeriodSeconds {}", scalar(n)),
                    expected,
                    at(c, l),
                )
            }
        },
        None => (
            c.pod.line,
            KUBERNETES_GRACE_S,
            "terminationGracePeriodSeconds unset (Kubernetes' default)",
        ),
    };
    let found = format!(
        "{given} {grace} s against {} = {} ms",
        parts.join(" + "),
        total
    );
    if grace.saturating_mul(1000) >= total {
        Judgement::pass(found, expected, at(c, line))
    } else {
        Judgement::broken(
            format!("{found}: the kubelet kills the process before its shutdown ends"),
            expected,
            at(c, line),
        )
    }
}

/// DF810: `PORT` equals the `containerPort` and the probes' port.
pub(crate) fn port(c: &Container, _: Profile) -> Judgement {
    let expected = "PORT (8000 when unset) equal to a containerPort and to the probes' port";
    if let Some(j) = no_traffic(c, expected) {
        return j;
    }
    let (port_line, port, port_said) = match env(c, "PORT") {
        None => (
            c.container.line,
            DEFAULT_PORT,
            "PORT unset (8000)".to_string(),
        ),
        Some((l, Some(v))) => match v.trim().parse::<i64>() {
            Ok(p) => (l, p, format!("PORT {p}")),
            Err(_) => {
                return Judgement::broken(
                    format!("PORT={v:?}, not a port number"),
                    expected,
                    at(c, l),
                )
            }
        },
        Some((_, None)) => {
            return Judgement::skipped(
                "PORT comes from valueFrom: its value is not in the manifest",
                expected,
            )
        }
    };
    let ports = c
        .container
        .get("ports")
        .map(Node::items)
        .unwrap_or_default();
    let declared: Vec<(u32, i64)> = ports
        .iter()
        .filter_map(|p| {
            p.entry("containerPort")
                .and_then(|(l, n)| Some((l, n.int()?)))
        })
        .collect();
    if !declared.is_empty() && !declared.iter().any(|(_, p)| *p == port) {
        let (line, first) = declared[0];
        return Judgement::broken(
            format!("{port_said} but containerPort {first}"),
            expected,
            at(c, line),
        );
    }
    for key in ["readinessProbe", "livenessProbe", "startupProbe"] {
        let Some((_, p)) = probe(c, key) else {
            continue;
        };
        let Some(h) = ["httpGet", "tcpSocket", "grpc"]
            .iter()
            .find_map(|h| p.get(h))
        else {
            continue;
        };
        let Some((line, n)) = h.entry("port") else {
            continue;
        };
        match port_of(c, n) {
            Ok(p) if p == port => {}
            Ok(p) => {
                return Judgement::broken(
                    format!("{port_said} but {key} on port {p}"),
                    expected,
                    at(c, line),
                )
            }
            Err(e) => return Judgement::broken(format!("{key}: {e}"), expected, at(c, line)),
        }
    }
    Judgement::pass(
        format!("{port_said}, the containerPort and the probes' port"),
        expected,
        at(c, port_line),
    )
}
