//! Area 1: the application's files.

use dockerflow_oci::{Entry, EntryKind};

use crate::model::{DockerfileModel, ImageModel};
use crate::rules::sample;
use crate::{Judgement, Location, Profile};

const APP_UID: u64 = 10001;

/// For rules only a built image can show.
pub(crate) fn image_only(_: &DockerfileModel, _: Profile) -> Judgement {
    Judgement::skipped(
        "only the built image shows this (file owners, modes, layer entries); check the image",
        "",
    )
}

const APP_EXPECTED: &str = "a non-empty directory /app holding the application";

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
    match m.vfs.list("/app") {
        Ok(list) if !list.is_empty() => Judgement::pass(
            format!("/app holds {} entries", list.len()),
            APP_EXPECTED,
            at,
        ),
        _ => Judgement::broken("/app is empty", APP_EXPECTED, at),
    }
}

pub(crate) fn app_sources_dockerfile(m: &DockerfileModel, _: Profile) -> Judgement {
    const EXPECTED: &str = "a COPY or ADD into /app (for example WORKDIR /app and COPY . .)";
    let under_app = |p: &str| p == "/app" || p.starts_with("/app/");
    let final_stage = m.facts.stage;
    let copy = m
        .facts
        .copies
        .iter()
        .filter(|c| under_app(&c.path))
        .max_by_key(|c| (c.stage == final_stage, c.span.line));
    match copy {
        Some(c) => Judgement::pass(
            format!("{} into {}", c.keyword, c.path),
            EXPECTED,
            m.at(c.span.line),
        ),
        None => {
            let wd = m
                .facts
                .workdir
                .as_ref()
                .map(|w| format!(" (WORKDIR {})", w.value))
                .unwrap_or_default();
            Judgement::broken(
                format!("no COPY or ADD puts files under /app{wd}"),
                EXPECTED,
                m.here(),
            )
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
