//! Area 3: how the container starts: ENTRYPOINT, CMD, their form, and the port.

use std::collections::BTreeMap;

use dockerflow_dockerfile::{Command, Form, Spanned};
use serde_json::Value;

use crate::model::{DockerfileModel, ImageModel};
use crate::{Judgement, Location, Profile};

const BOTH_EXPECTED: &str = "both ENTRYPOINT and CMD set and non-empty";

fn set(v: Option<&Vec<String>>) -> bool {
    v.is_some_and(|v| !v.is_empty())
}

fn judge_both(has_ep: bool, has_cmd: bool, profile: Profile, at: Location) -> Judgement {
    // The expectation names what to add to what is there.
    let (found, expected) = match (has_ep, has_cmd) {
        (true, true) => return Judgement::pass("ENTRYPOINT and CMD are set", BOTH_EXPECTED, at),
        (true, false) => (
            "ENTRYPOINT is set, CMD is not",
            "both set: keep the ENTRYPOINT and add CMD with its default arguments (CMD [\"serve\"])",
        ),
        (false, true) => (
            "CMD is set, ENTRYPOINT is not",
            "both set: split the CMD into ENTRYPOINT [\"program\"] and CMD [\"its default arguments\"]",
        ),
        (false, false) => ("neither ENTRYPOINT nor CMD is set", BOTH_EXPECTED),
    };
    if profile == Profile::Mozcloud && (has_ep || has_cmd) {
        Judgement::warn(found, expected, at)
    } else {
        Judgement::broken(found, expected, at)
    }
}

pub(crate) fn entrypoint_cmd_image(m: &ImageModel, profile: Profile) -> Judgement {
    let c = m.container();
    let ep = set(c.and_then(|c| c.entrypoint.value()));
    let cmd = set(c.and_then(|c| c.cmd.value()));
    judge_both(ep, cmd, profile, Location::field("Entrypoint, Cmd"))
}

pub(crate) fn entrypoint_cmd_dockerfile(m: &DockerfileModel, profile: Profile) -> Judgement {
    let present = |c: &Option<Spanned<Command>>| c.as_ref().is_some_and(|c| !c.value.is_empty());
    let line = [&m.facts.entrypoint, &m.facts.cmd]
        .iter()
        .filter_map(|c| c.as_ref().map(|c| c.span.line))
        .max();
    let at = line.map_or_else(|| m.here(), |l| m.at(l));
    judge_both(
        present(&m.facts.entrypoint),
        present(&m.facts.cmd),
        profile,
        at,
    )
}

const EXEC_EXPECTED: &str =
    "exec form: ENTRYPOINT [\"program\", \"arg\"], not a shell command line";

/// The exec form of the instruction found in shell form (`CMD`, `ENTRYPOINT`).
fn exec_expected(keyword: &str) -> String {
    format!("exec form: {keyword} [\"program\", \"arg\"], not a shell command line")
}

/// `["/bin/sh", "-c", ...]`: what the shell form becomes in an image config.
fn shell_wrapped(v: &[String]) -> bool {
    let shells = [
        "/bin/sh",
        "sh",
        "/bin/bash",
        "bash",
        "/bin/ash",
        "/bin/dash",
    ];
    v.len() >= 2 && shells.contains(&v[0].as_str()) && v[1] == "-c"
}

pub(crate) fn exec_form_image(m: &ImageModel, _: Profile) -> Judgement {
    let c = m.container();
    let mut shell = Vec::new();
    for (name, v) in [
        ("Entrypoint", c.and_then(|c| c.entrypoint.value())),
        ("Cmd", c.and_then(|c| c.cmd.value())),
    ] {
        if v.is_some_and(|v| shell_wrapped(v)) {
            shell.push(name);
        }
    }
    // A shell-wrapped Cmd under an exec-form Entrypoint is only arguments.
    let ep_exec = c
        .and_then(|c| c.entrypoint.value())
        .is_some_and(|v| !v.is_empty() && !shell_wrapped(v));
    if ep_exec {
        shell.retain(|n| *n != "Cmd");
    }
    let at = Location::field("Entrypoint, Cmd");
    match shell.first() {
        None => Judgement::pass("no shell-form ENTRYPOINT or CMD", EXEC_EXPECTED, at),
        Some(first) => Judgement::broken(
            format!(
                "{} starts with a shell and -c (shell form)",
                shell.join(" and ")
            ),
            &exec_expected(&first.to_ascii_uppercase()),
            Location::field(first),
        ),
    }
}

pub(crate) fn exec_form_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    let shell: Vec<(&str, u32)> = [("ENTRYPOINT", &m.facts.entrypoint), ("CMD", &m.facts.cmd)]
        .into_iter()
        .filter_map(|(k, c)| {
            c.as_ref()
                .filter(|c| c.value.form() == Form::Shell && !c.value.is_empty())
                .map(|c| (k, c.span.line))
        })
        .collect();
    match shell.first() {
        None if m.facts.entrypoint.is_none() && m.facts.cmd.is_none() => Judgement::skipped(
            "neither ENTRYPOINT nor CMD is set in this Dockerfile (see DF301)",
            EXEC_EXPECTED,
        ),
        None => Judgement::pass(
            "ENTRYPOINT and CMD are in exec form",
            EXEC_EXPECTED,
            m.here(),
        ),
        Some(&(first, line)) => Judgement::broken(
            format!(
                "{} in shell form",
                shell
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            &exec_expected(first),
            m.at(line),
        ),
    }
}

const PORT_EXPECTED: &str =
    "ENV PORT set to a port number that EXPOSE also names (e.g. PORT=8000 and 8000/tcp)";

/// Whether an EXPOSE item (`8000`, `8000/tcp`, `8000-8010/udp`) covers `port`.
fn covers(item: &str, port: u16) -> bool {
    let range = item.split('/').next().unwrap_or("");
    match range.split_once('-') {
        Some((a, b)) => {
            matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if a <= port && port <= b)
        }
        None => range.parse::<u16>() == Ok(port),
    }
}

fn judge_port(port: Option<&str>, exposed: &[String], at: Location) -> Judgement {
    let Some(value) = port else {
        return Judgement::broken("ENV PORT is not set", PORT_EXPECTED, at);
    };
    let Some(n) = value.parse::<u16>().ok().filter(|&n| n != 0) else {
        return Judgement::broken(
            format!("PORT={value:?} is not a port number (1-65535)"),
            PORT_EXPECTED,
            at,
        );
    };
    if exposed.is_empty() {
        return Judgement::broken(
            format!("PORT={n} but no port is exposed"),
            PORT_EXPECTED,
            at,
        );
    }
    if exposed.iter().any(|e| covers(e, n)) {
        Judgement::pass(format!("PORT={n} is exposed"), PORT_EXPECTED, at)
    } else {
        Judgement::broken(
            format!("PORT={n} but only {} exposed", exposed.join(", ")),
            PORT_EXPECTED,
            at,
        )
    }
}

pub(crate) fn port_image(m: &ImageModel, _: Profile) -> Judgement {
    let c = m.container();
    let empty = BTreeMap::<String, Value>::new();
    let exposed: Vec<String> = c
        .and_then(|c| c.exposed_ports.value())
        .unwrap_or(&empty)
        .keys()
        .cloned()
        .collect();
    judge_port(
        c.and_then(|c| c.env_var("PORT")),
        &exposed,
        Location::field("Env, ExposedPorts"),
    )
}

pub(crate) fn port_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    let env = m.facts.env.iter().find(|v| v.name == "PORT");
    let exposed: Vec<String> = m
        .facts
        .expose
        .iter()
        .flat_map(|e| {
            e.value
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let line = env
        .map(|e| e.span.line)
        .or_else(|| m.facts.expose.first().map(|e| e.span.line));
    let at = line.map_or_else(|| m.here(), |l| m.at(l));
    judge_port(env.map(|e| e.value.as_str()), &exposed, at)
}

#[cfg(test)]
mod tests {
    use super::{covers, shell_wrapped};

    #[test]
    fn exposed_items() {
        assert!(covers("8000", 8000));
        assert!(covers("8000/tcp", 8000));
        assert!(covers("7000-9000/udp", 8000));
        assert!(!covers("80", 8000));
        assert!(!covers("9000-7000", 8000));
        assert!(!covers("http", 8000));
    }

    #[test]
    fn shell_form_in_a_config() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(shell_wrapped(&v(&["/bin/sh", "-c", "x"])));
        assert!(!shell_wrapped(&v(&["/bin/sh", "script.sh"])));
        assert!(!shell_wrapped(&v(&["/app/server"])));
    }
}
