//! DF304: an image's `HEALTHCHECK` runs an executable the image has (CONTRACT 2). A
//! `CMD-SHELL` check needs `/bin/sh`; a `CMD` check needs its program; `curl` or `wget` in a
//! distroless image is the classic miss (the container is never healthy). The self-probe
//! (`SERVICE healthcheck`, exec form) needs nothing but the service.

use dockerflow_dockerfile::{Command, Healthcheck};
use dockerflow_oci::vfs::EntryKind;
use serde_json::Value;

use crate::model::{DockerfileModel, ImageModel};
use crate::{Judgement, Location, Profile};

const EXPECTED: &str = "a HEALTHCHECK whose program exists in the image and is executable \
     (CMD-SHELL needs /bin/sh; in an image without a shell use the service's self-probe, \
     HEALTHCHECK CMD [\"/app/bin/SERVICE\", \"healthcheck\"])";

/// Where Docker looks for a bare program name when the image sets no `PATH`.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Shell builtins a `CMD-SHELL` line may start with: they need no file of their own.
const BUILTINS: &[&str] = &["exit", "test", "[", "true", "false", ":", "echo", "printf"];

/// What a health check runs: the program and, for `CMD-SHELL`, the shell.
#[derive(Debug, PartialEq, Eq)]
enum Runs {
    /// `["CMD", program, ...]`.
    Exec(String),
    /// `["CMD-SHELL", line]`: `/bin/sh -c line`, and the line's first word.
    Shell(Option<String>),
}

/// The first word of a shell command line, when it names a program (not an assignment, a
/// builtin or shell syntax).
fn first_program(line: &str) -> Option<String> {
    let word = line
        .split_whitespace()
        .find(|w| !w.contains('='))?
        .trim_matches(|c| c == '"' || c == '\'');
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'+'));
    (plain && !BUILTINS.contains(&word)).then(|| word.to_owned())
}

/// The image config's `Healthcheck.Test`: `None` when there is none or it is `["NONE"]`.
fn image_runs(test: &[String]) -> Result<Option<Runs>, String> {
    match test.first().map(String::as_str) {
        None | Some("NONE") => Ok(None),
        Some("CMD") => match test.get(1) {
            Some(program) if !program.is_empty() => Ok(Some(Runs::Exec(program.clone()))),
            _ => Err("Healthcheck.Test is [\"CMD\"] with no program".into()),
        },
        Some("CMD-SHELL") => Ok(Some(Runs::Shell(
            test.get(1).and_then(|line| first_program(line)),
        ))),
        Some(other) => Err(format!(
            "Healthcheck.Test starts with {other:?}: expected NONE, CMD or CMD-SHELL"
        )),
    }
}

fn is_executable(m: &ImageModel, path: &str) -> bool {
    m.vfs.stat(path).is_ok_and(|e| {
        matches!(e.kind, EntryKind::File | EntryKind::Hardlink) && e.mode & 0o111 != 0
    })
}

/// `program` as the runtime finds it: absolute, relative to the working directory, or
/// searched in `PATH`. `None` when no executable file is there.
fn find(m: &ImageModel, program: &str) -> Option<String> {
    let c = m.container();
    let candidates: Vec<String> = if program.starts_with('/') {
        vec![program.to_owned()]
    } else if program.contains('/') {
        let wd = c.and_then(|c| c.working_dir.value()).map_or("/", |w| w);
        vec![format!("{}/{program}", wd.trim_end_matches('/'))]
    } else {
        let path = c.and_then(|c| c.env_var("PATH")).unwrap_or(DEFAULT_PATH);
        path.split(':')
            .filter(|d| d.starts_with('/'))
            .map(|d| format!("{}/{program}", d.trim_end_matches('/')))
            .collect()
    };
    candidates.into_iter().find(|p| is_executable(m, p))
}

pub(crate) fn image(m: &ImageModel, _: Profile) -> Judgement {
    let at = Location::field("Healthcheck");
    let test: Option<Vec<String>> = m
        .container()
        .and_then(|c| c.extra.get("Healthcheck"))
        .and_then(|h| h.get("Test"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        });
    let runs = match test.as_deref().map(image_runs) {
        None | Some(Ok(None)) => {
            return Judgement::pass("no HEALTHCHECK: nothing to run", EXPECTED, at)
        }
        Some(Err(problem)) => return Judgement::broken(problem, EXPECTED, at),
        Some(Ok(Some(runs))) => runs,
    };
    match runs {
        Runs::Exec(program) => match find(m, &program) {
            Some(path) => Judgement::pass(
                format!("HEALTHCHECK runs {path}, an executable in the image"),
                EXPECTED,
                at,
            ),
            None => Judgement::broken(
                format!("HEALTHCHECK runs {program:?}, which is not an executable in the image"),
                EXPECTED,
                at,
            ),
        },
        Runs::Shell(program) => {
            if !is_executable(m, "/bin/sh") {
                return Judgement::broken(
                    "HEALTHCHECK is CMD-SHELL (the shell form) but the image has no /bin/sh",
                    EXPECTED,
                    at,
                );
            }
            match program {
                Some(p) if find(m, &p).is_none() => Judgement::broken(
                    format!("HEALTHCHECK's command line runs {p:?}, which is not in the image"),
                    EXPECTED,
                    at,
                ),
                _ => Judgement::pass(
                    "HEALTHCHECK's shell and program are in the image",
                    EXPECTED,
                    at,
                ),
            }
        }
    }
}

/// Bases known to hold no shell (distroless without `:debug`, scratch).
fn shell_less(reference: &str) -> bool {
    reference == "scratch"
        || ((reference.starts_with("gcr.io/distroless/")
            || reference.starts_with("cgr.dev/chainguard/static"))
            && !reference.contains("debug"))
}

pub(crate) fn dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    let Some(hc) = &m.facts.healthcheck else {
        return Judgement::pass("no HEALTHCHECK: nothing to run", EXPECTED, m.here());
    };
    let at = m.at(hc.span.line);
    let command = match &hc.value {
        Healthcheck::None => {
            return Judgement::pass("HEALTHCHECK NONE: nothing runs", EXPECTED, at)
        }
        Healthcheck::Cmd(command) => command,
    };
    let base = m.facts.root_base.reference.as_str();
    let scratch = base == "scratch";
    // What the COPYs put where, when the base adds nothing (scratch).
    let copied = |path: &str| {
        m.facts.copies.iter().any(|c| {
            c.path == path
                || (c.dest.ends_with('/')
                    && path.rsplit_once('/').is_some_and(|(dir, name)| {
                        dir == c.path.trim_end_matches('/')
                            && c.sources.iter().any(|s| s.rsplit('/').next() == Some(name))
                    }))
        })
    };
    let maybe_copied = |path: &str| {
        m.facts.copies.iter().any(|c| {
            let dir = c.path.trim_end_matches('/');
            path.starts_with(&format!("{dir}/"))
        })
    };
    match command {
        Command::Shell(_) if shell_less(base) && !copied("/bin/sh") && !maybe_copied("/bin/sh") => {
            Judgement::broken(
                format!("HEALTHCHECK in shell form (CMD-SHELL) on {base}, which has no /bin/sh"),
                EXPECTED,
                at,
            )
        }
        Command::Exec(argv) if scratch => {
            let Some(program) = argv.first().filter(|p| p.starts_with('/')) else {
                return Judgement::broken(
                    format!(
                        "HEALTHCHECK runs {:?} on scratch, where no PATH search can find it",
                        argv.first().map_or("", String::as_str)
                    ),
                    EXPECTED,
                    at,
                );
            };
            if copied(program) {
                Judgement::pass(
                    format!("HEALTHCHECK runs {program}, which a COPY puts there"),
                    EXPECTED,
                    at,
                )
            } else if maybe_copied(program) {
                Judgement::skipped(
                    format!("whether a copied directory holds {program} is known only in the built image"),
                    EXPECTED,
                )
            } else {
                Judgement::broken(
                    format!("HEALTHCHECK runs {program}, which nothing copies into this scratch image"),
                    EXPECTED,
                    at,
                )
            }
        }
        _ => Judgement::skipped(
            format!("the base image {base} decides whether the HEALTHCHECK's program exists: check the built image"),
            EXPECTED,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_programs() {
        assert_eq!(
            first_program("curl -f http://localhost/"),
            Some("curl".into())
        );
        assert_eq!(first_program("A=1 wget -q -O- x"), Some("wget".into()));
        assert_eq!(first_program("exit 0"), None);
        assert_eq!(first_program("$(which curl) x"), None);
        assert_eq!(first_program(""), None);
    }

    #[test]
    fn tests_parse() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(image_runs(&v(&["NONE"])), Ok(None));
        assert_eq!(
            image_runs(&v(&["CMD", "/app/bin/x", "healthcheck"])),
            Ok(Some(Runs::Exec("/app/bin/x".into())))
        );
        assert_eq!(
            image_runs(&v(&["CMD-SHELL", "curl -f x || exit 1"])),
            Ok(Some(Runs::Shell(Some("curl".into()))))
        );
        assert!(image_runs(&v(&["CMD"])).is_err());
        assert!(image_runs(&v(&["RUN", "x"])).is_err());
    }
}
