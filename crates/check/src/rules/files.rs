//! Area 1: the application's files.

use dockerflow_oci::{Entry, EntryKind};

use crate::model::{DockerfileModel, ImageModel};
use crate::rules::program::{absolute, argv, is_app_location, landings, program, under, Program};
use crate::rules::sample;
use crate::{Judgement, Location, Profile};
use dockerflow_dockerfile::CopyFact;

const APP_UID: u64 = 10001;

/// For rules only a built image can show.
pub(crate) fn image_only(_: &DockerfileModel, _: Profile) -> Judgement {
    Judgement::skipped(
        "only the built image shows this (file owners, modes, layer entries); check the image",
        "",
    )
}

const APP_EXPECTED: &str = "the program the container starts and the files added for the application under /app (version.json alone does not count)";

/// The program the container starts, where it resolves, and why that is outside /app (if it is).
fn program_outside(
    program: Option<Program>,
    workdir: &str,
    locate: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    match program? {
        Program::Executable(word) => {
            let path = if word.contains('/') {
                Some(absolute(workdir, &word))
            } else {
                locate(&word)
            }?;
            (!under(&path, "/app")).then(|| format!("the container starts {path}, outside /app"))
        }
        Program::Script { runtime, script } => {
            let path = absolute(workdir, &script);
            (!under(&path, "/app") && is_app_location(&path))
                .then(|| format!("the container starts {runtime} {path}, outside /app"))
        }
        Program::InWorkdir { runtime } => (!under(workdir, "/app") && is_app_location(workdir))
            .then(|| format!("the container starts {runtime} in {workdir}, outside /app")),
    }
}

fn is_version_json(path: &str) -> bool {
    path == crate::VERSION_JSON
}

pub(crate) fn app_sources_image(m: &ImageModel, _: Profile) -> Judgement {
    let app = match m.vfs.stat("/app") {
        Ok(e) => e,
        Err(_) => {
            return Judgement::broken("/app does not exist", APP_EXPECTED, Location::default())
        }
    };
    let at = Location::file("/app", Some(app.layer));
    if app.kind != EntryKind::Dir {
        return Judgement::broken("/app is not a directory", APP_EXPECTED, at);
    }
    let c = m.container();
    let workdir = c
        .and_then(|c| c.working_dir.value())
        .filter(|w| !w.is_empty())
        .map_or("/", String::as_str);
    let argv: Vec<String> = c
        .into_iter()
        .flat_map(|c| [c.entrypoint.value(), c.cmd.value()])
        .flatten()
        .flatten()
        .cloned()
        .collect();
    let path_var = c
        .and_then(|c| c.env_var("PATH"))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let resolve = |p: &str| m.vfs.resolve(p).unwrap_or_else(|_| p.to_owned());
    let locate = |name: &str| {
        path_var
            .split(':')
            .map(|d| absolute(workdir, &format!("{d}/{name}")))
            .find(|p| m.vfs.exists(p))
            .map(|p| resolve(&p))
    };
    let workdir_resolved = resolve(workdir);
    let exe_resolve = |w: &str| {
        if w.contains('/') {
            resolve(&absolute(workdir, w))
        } else {
            w.to_owned()
        }
    };
    let started = program(&argv).map(|p| match p {
        Program::Executable(w) => Program::Executable(exe_resolve(&w)),
        Program::Script { runtime, script } => Program::Script {
            runtime,
            script: exe_resolve(&script),
        },
        other => other,
    });
    if let Some(found) = program_outside(started, &workdir_resolved, locate) {
        return Judgement::broken(found, APP_EXPECTED, Location::field("Entrypoint, Cmd"));
    }
    let volumes: Vec<&String> = c
        .and_then(|c| c.volumes.value())
        .map(|v| v.keys().collect())
        .unwrap_or_default();
    let outside: Vec<&Entry> = m
        .vfs
        .entries()
        .filter(|e| matches!(e.kind, EntryKind::File | EntryKind::Hardlink))
        .filter(|e| is_app_location(&e.path) && !e.path[1..].starts_with('.'))
        // A volume's initial contents are data the service writes, not the application.
        .filter(|e| !volumes.iter().any(|v| under(&e.path, &absolute("/", v))))
        .collect();
    if let Some(first) = outside.first() {
        let names: Vec<String> = outside.iter().map(|e| e.path.clone()).collect();
        return Judgement::broken(
            format!(
                "{} application files outside /app: {}",
                names.len(),
                sample(&names, 5)
            ),
            APP_EXPECTED,
            Location::file(&first.path, Some(first.layer)),
        );
    }
    match m.vfs.list("/app") {
        Ok(list) if list.iter().any(|e| !is_version_json(&e.path)) => Judgement::pass(
            format!("/app holds {} entries", list.len()),
            APP_EXPECTED,
            at,
        ),
        Ok(list) if !list.is_empty() => {
            Judgement::broken("/app holds only version.json", APP_EXPECTED, at)
        }
        _ => Judgement::broken("/app is empty", APP_EXPECTED, at),
    }
}

/// `COPY . dest`: the whole build context.
fn copies_context(c: &CopyFact) -> bool {
    c.from.is_none()
        && c.sources
            .iter()
            .any(|s| matches!(s.trim_end_matches('/'), "." | "./" | "" | "*"))
}

pub(crate) fn app_sources_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    let f = &m.facts;
    let workdir = f.workdir.as_ref().map_or("/", |w| w.value.as_str());
    let argv = argv(
        f.entrypoint.as_ref().map(|c| &c.value),
        f.cmd.as_ref().map(|c| &c.value),
    );
    let landed: Vec<(&CopyFact, Vec<String>)> = f.copies.iter().map(|c| (c, landings(c))).collect();
    let locate = |name: &str| {
        landed
            .iter()
            .rev()
            .flat_map(|(_, ps)| ps.iter())
            .find(|p| p.rsplit('/').next() == Some(name))
            .cloned()
    };
    if let Some(found) = program_outside(program(&argv), workdir, locate) {
        let line = f
            .entrypoint
            .as_ref()
            .or(f.cmd.as_ref())
            .map(|c| c.span.line);
        let at = line.map_or_else(|| m.here(), |l| m.at(l));
        return Judgement::broken(found, APP_EXPECTED, at);
    }
    let outside: Vec<&(&CopyFact, Vec<String>)> = landed
        .iter()
        // A VOLUME's initial contents are data the service writes, not the application.
        .filter(|(c, ps)| {
            ps.iter().any(|p| {
                !under(p, "/app")
                    && (is_app_location(p) || copies_context(c))
                    && !f.volumes.iter().any(|v| under(p, &absolute("/", &v.value)))
            })
        })
        .collect();
    if let Some((first, _)) = outside.first() {
        let names: Vec<String> = outside
            .iter()
            .map(|(c, _)| format!("{} into {} (line {})", c.keyword, c.path, c.span.line))
            .collect();
        return Judgement::broken(
            format!("application files outside /app: {}", sample(&names, 3)),
            APP_EXPECTED,
            m.at(first.span.line),
        );
    }
    let final_stage = f.stage;
    let into_app = landed
        .iter()
        .filter(|(_, ps)| ps.iter().any(|p| under(p, "/app") && !is_version_json(p)))
        .max_by_key(|(c, _)| (c.stage == final_stage, c.span.line));
    match into_app {
        Some((c, _)) => Judgement::pass(
            format!("{} into {}", c.keyword, c.path),
            APP_EXPECTED,
            m.at(c.span.line),
        ),
        None => {
            let wd = f
                .workdir
                .as_ref()
                .map(|w| format!(" (WORKDIR {})", w.value))
                .unwrap_or_default();
            let only_version = landed
                .iter()
                .any(|(_, ps)| ps.iter().any(|p| is_version_json(p)));
            let found = if only_version {
                format!("only version.json is copied into /app{wd}")
            } else {
                format!("no COPY or ADD puts files under /app{wd}")
            };
            Judgement::broken(found, APP_EXPECTED, m.here())
        }
    }
}

fn is_under(path: &str, dir: &str) -> bool {
    path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

fn judged_kind(e: &Entry) -> bool {
    matches!(
        e.kind,
        EntryKind::File | EntryKind::Dir | EntryKind::Hardlink
    )
}

pub(crate) fn app_read_only_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "no file or directory under /app writable by uid 10001 (owner 10001 with u+w, group 10001 with g+w, or o+w)";
    if !m.vfs.exists("/app") {
        return Judgement::skipped("/app does not exist (see DF101)", EXPECTED);
    }
    let writable: Vec<&Entry> = m
        .vfs
        .entries()
        .filter(|e| is_under(&e.path, "/app") && judged_kind(e))
        .filter(|e| {
            (e.uid == APP_UID && e.mode & 0o200 != 0)
                || (e.gid == APP_UID && e.mode & 0o020 != 0)
                || e.mode & 0o002 != 0
        })
        .collect();
    match writable.first() {
        None => Judgement::pass(
            "nothing under /app is writable by uid 10001",
            EXPECTED,
            Location::file("/app", None),
        ),
        Some(first) => {
            let names: Vec<String> = writable
                .iter()
                .map(|e| format!("{} ({:o} {}:{})", e.path, e.mode & 0o7777, e.uid, e.gid))
                .collect();
            Judgement::broken(
                format!(
                    "{} writable by uid 10001: {}",
                    writable.len(),
                    sample(&names, 5)
                ),
                EXPECTED,
                Location::file(&first.path, Some(first.layer)),
            )
        }
    }
}

pub(crate) fn world_writable_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str =
        "no world-writable file or directory outside /tmp, /var/tmp and sticky directories";
    let bad: Vec<&Entry> = m
        .vfs
        .entries()
        .filter(|e| judged_kind(e) && e.mode & 0o002 != 0)
        .filter(|e| !is_under(&e.path, "/tmp") && !is_under(&e.path, "/var/tmp"))
        .filter(|e| !(e.kind == EntryKind::Dir && e.mode & 0o1000 != 0))
        .filter(|e| !in_sticky_dir(m, &e.path))
        .collect();
    match bad.first() {
        None => Judgement::pass("no world-writable files", EXPECTED, Location::default()),
        Some(first) => {
            let names: Vec<String> = bad
                .iter()
                .map(|e| format!("{} ({:o})", e.path, e.mode & 0o7777))
                .collect();
            Judgement::broken(
                format!("{} world-writable: {}", bad.len(), sample(&names, 5)),
                EXPECTED,
                Location::file(&first.path, Some(first.layer)),
            )
        }
    }
}

fn in_sticky_dir(m: &ImageModel, path: &str) -> bool {
    let mut p = path;
    while let Some((parent, _)) = p.rsplit_once('/') {
        if parent.is_empty() {
            return false;
        }
        if m.vfs
            .lstat(parent)
            .is_ok_and(|e| e.kind == EntryKind::Dir && e.mode & 0o1000 != 0)
        {
            return true;
        }
        p = parent;
    }
    false
}

pub(crate) fn setuid_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "no regular file with the setuid or setgid bit";
    let bad: Vec<&Entry> = m
        .vfs
        .entries()
        .filter(|e| matches!(e.kind, EntryKind::File | EntryKind::Hardlink))
        .filter(|e| e.mode & 0o6000 != 0)
        .collect();
    match bad.first() {
        None => Judgement::pass("no setuid or setgid files", EXPECTED, Location::default()),
        Some(first) => {
            let names: Vec<String> = bad
                .iter()
                .map(|e| {
                    let bits = match (e.mode & 0o4000 != 0, e.mode & 0o2000 != 0) {
                        (true, true) => "setuid+setgid",
                        (true, false) => "setuid",
                        _ => "setgid",
                    };
                    format!("{} ({bits}, owner {})", e.path, e.uid)
                })
                .collect();
            Judgement::broken(
                format!("{} found: {}", bad.len(), sample(&names, 5)),
                EXPECTED,
                Location::file(&first.path, Some(first.layer)),
            )
        }
    }
}

pub(crate) fn confined_image(m: &ImageModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "relative tar names inside the root, links to existing paths inside it";
    let findings = m.vfs.findings();
    match findings.first() {
        None => Judgement::pass(
            "every entry applied as written",
            EXPECTED,
            Location::default(),
        ),
        Some(first) => {
            let items: Vec<String> = findings
                .iter()
                .map(|f| format!("layer {} {:?}: {}", f.layer, f.entry, f.kind))
                .collect();
            Judgement::broken(
                format!(
                    "{} entries not applied as written: {}",
                    items.len(),
                    sample(&items, 5)
                ),
                EXPECTED,
                Location::file(&first.entry, Some(first.layer)),
            )
        }
    }
}
