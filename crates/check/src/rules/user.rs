//! Area 2: the app user and group, and the user the image runs as.

use dockerflow_dockerfile::{AccountFile, DeclSource, UserDecl};
use dockerflow_oci::UserResolution;

use crate::model::{DockerfileModel, ImageModel};
use crate::{Judgement, Location, Profile};

const APP_ID: u32 = 10001;
const GROUP_EXPECTED: &str = "group app with GID 10001 in /etc/group";
const USER_EXPECTED: &str = "user app with UID 10001 and primary GID 10001 in /etc/passwd";
const RUNS_AS_EXPECTED: &str =
    "User app, 10001, app:app or 10001:10001, resolving to uid 10001 through the image's /etc/passwd";

/// The mozcloud profile accepts what strict does not, with a warning.
fn relaxed(profile: Profile, found: String, expected: &str, at: Location) -> Judgement {
    match profile {
        Profile::Strict => Judgement::broken(found, expected, at),
        Profile::Mozcloud => Judgement::warn(found, expected, at),
    }
}

fn etc_location(m: &ImageModel, path: &str) -> Location {
    Location::file(path, m.vfs.stat(path).ok().map(|e| e.layer))
}

pub(crate) fn group_image(m: &ImageModel, profile: Profile) -> Judgement {
    let at = etc_location(m, "/etc/group");
    let groups = match m.vfs.group() {
        Err(e) => {
            return Judgement::broken(
                format!("/etc/group cannot be read: {e}"),
                GROUP_EXPECTED,
                at,
            )
        }
        Ok(None) => {
            return relaxed(
                profile,
                "/etc/group does not exist".into(),
                GROUP_EXPECTED,
                at,
            )
        }
        Ok(Some(g)) => g,
    };
    match groups.iter().find(|g| g.name == "app") {
        Some(g) if g.gid == APP_ID => {
            Judgement::pass("group app has GID 10001", GROUP_EXPECTED, at)
        }
        Some(g) => relaxed(
            profile,
            format!("group app has GID {}", g.gid),
            GROUP_EXPECTED,
            at,
        ),
        None => {
            let other = groups
                .iter()
                .find(|g| g.gid == APP_ID)
                .map(|g| format!(" (GID 10001 is group {})", g.name))
                .unwrap_or_default();
            relaxed(
                profile,
                format!("no group app in /etc/group{other}"),
                GROUP_EXPECTED,
                at,
            )
        }
    }
}

pub(crate) fn user_image(m: &ImageModel, profile: Profile) -> Judgement {
    let at = etc_location(m, "/etc/passwd");
    let users = match m.vfs.passwd() {
        Err(e) => {
            return Judgement::broken(
                format!("/etc/passwd cannot be read: {e}"),
                USER_EXPECTED,
                at,
            )
        }
        Ok(None) => {
            return relaxed(
                profile,
                "/etc/passwd does not exist".into(),
                USER_EXPECTED,
                at,
            )
        }
        Ok(Some(u)) => u,
    };
    match users.iter().find(|u| u.name == "app") {
        Some(u) if u.uid == APP_ID && u.gid == APP_ID => {
            Judgement::pass("user app has UID 10001 and GID 10001", USER_EXPECTED, at)
        }
        Some(u) => relaxed(
            profile,
            format!("user app has UID {} and GID {}", u.uid, u.gid),
            USER_EXPECTED,
            at,
        ),
        None => {
            let other = users
                .iter()
                .find(|u| u.uid == APP_ID)
                .map(|u| format!(" (UID 10001 is user {})", u.name))
                .unwrap_or_default();
            relaxed(
                profile,
                format!("no user app in /etc/passwd{other}"),
                USER_EXPECTED,
                at,
            )
        }
    }
}

pub(crate) fn runs_as_image(m: &ImageModel, profile: Profile) -> Judgement {
    let at = Location::field("User");
    let spec = m
        .container()
        .and_then(|c| c.user.value())
        .cloned()
        .unwrap_or_default();
    let resolution = match m.vfs.resolve_user(&spec) {
        Ok(r) => r,
        Err(e) => {
            return Judgement::broken(
                format!("User {spec:?} cannot be resolved: {e}"),
                RUNS_AS_EXPECTED,
                at,
            )
        }
    };
    match resolution {
        UserResolution::Unset => Judgement::broken(
            "User is not set: the container runs as root (uid 0)",
            RUNS_AS_EXPECTED,
            at,
        ),
        UserResolution::Resolved(r) if r.uid == 0 => Judgement::broken(
            format!("User {spec:?} is root (uid 0)"),
            RUNS_AS_EXPECTED,
            at,
        ),
        UserResolution::Resolved(r) if r.uid == APP_ID => Judgement::pass(
            format!("User {spec:?} is uid 10001, gid {}", r.gid),
            RUNS_AS_EXPECTED,
            at,
        ),
        UserResolution::Resolved(r) => relaxed(
            profile,
            format!(
                "User {spec:?} is uid {}, a non-root user other than 10001",
                r.uid
            ),
            RUNS_AS_EXPECTED,
            at,
        ),
        UserResolution::UnknownUser {
            name,
            passwd_present,
        } => {
            Judgement::broken(
                format!(
                "User {spec:?}: no user {name} in /etc/passwd{} (the container would not start)",
                if passwd_present { "" } else { ", which does not exist" }
            ),
                RUNS_AS_EXPECTED,
                at,
            )
        }
        UserResolution::UnknownGroup {
            name,
            group_present,
        } => {
            Judgement::broken(
                format!(
                "User {spec:?}: no group {name} in /etc/group{} (the container would not start)",
                if group_present { "" } else { ", which does not exist" }
            ),
                RUNS_AS_EXPECTED,
                at,
            )
        }
        UserResolution::Invalid { reason } => Judgement::broken(
            format!("User {spec:?} is invalid: {reason}"),
            RUNS_AS_EXPECTED,
            at,
        ),
        _ => Judgement::broken(
            format!("User {spec:?} could not be resolved"),
            RUNS_AS_EXPECTED,
            at,
        ),
    }
}

/// Why an account not declared in the Dockerfile cannot be judged, or `None` when its absence
/// is a finding (`FROM scratch`, no account file copied in).
fn undeclared_reason(m: &DockerfileModel, file: AccountFile, what: &str) -> Option<String> {
    let name = match file {
        AccountFile::Passwd => "/etc/passwd",
        AccountFile::Group => "/etc/group",
    };
    if let Some(c) = m.facts.account_file_copies.iter().find(|c| c.file == file) {
        return Some(format!(
            "{name} is copied in at line {} with contents this check cannot see; check the built image",
            c.span.line
        ));
    }
    if !m.facts.root_base.is_scratch() {
        return Some(format!(
            "this Dockerfile creates no {what}; the base image {} may define it; check the built image",
            m.facts.root_base.reference
        ));
    }
    None
}

/// Bases whose `/etc/login.defs` has `USERGROUPS_ENAB yes`: Debian and Ubuntu, the official
/// language images built on them, and the Red Hat family. `alpine` tags are not among them.
fn usergroups_base(reference: &str) -> bool {
    const FAMILY: &[&str] = &[
        "debian",
        "ubuntu",
        "python",
        "node",
        "rust",
        "golang",
        "ruby",
        "openjdk",
        "eclipse-temurin",
        "amazoncorretto",
        "buildpack-deps",
        "php",
        "perl",
        "gcc",
        "pypy",
        "minideb",
        "fedora",
        "centos",
        "rockylinux",
        "almalinux",
        "amazonlinux",
        "ubi8",
        "ubi9",
        "ubi8-minimal",
        "ubi9-minimal",
        "ubi",
    ];
    let (name, tag) = match reference.rsplit_once('/') {
        Some((_, last)) => last.split_once(':').unwrap_or((last, "")),
        None => reference.split_once(':').unwrap_or((reference, "")),
    };
    let name = name.split('@').next().unwrap_or(name);
    FAMILY.contains(&name) && !tag.contains("alpine")
}

/// Alpine bases, whose `adduser` is BusyBox's.
fn alpine_base(reference: &str) -> bool {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    let (name, tag) = last.split_once(':').unwrap_or((last, ""));
    name == "alpine" || tag.contains("alpine")
}

/// Whether a user's own group (named after it) exists, and what decided it.
enum OwnGroup {
    /// Created, with this reason (`useradd -U`, `USERGROUPS_ENAB`).
    Created(String),
    /// Not created (a primary group given, `-N`).
    No,
    /// The base image's configuration decides; the reason says which.
    BaseDecides(String),
}

fn own_group(m: &DockerfileModel, u: &UserDecl) -> OwnGroup {
    match (u.own_group, u.source) {
        (Some(true), DeclSource::Useradd) => {
            OwnGroup::Created(format!("useradd --user-group at line {}", u.span.line))
        }
        (Some(true), _) => OwnGroup::Created(format!("adduser --group at line {}", u.span.line)),
        (Some(false), _) => OwnGroup::No,
        (None, DeclSource::Useradd) if usergroups_base(&m.facts.root_base.reference) => {
            OwnGroup::Created(format!(
                "useradd at line {} (USERGROUPS_ENAB yes in {}'s /etc/login.defs)",
                u.span.line, m.facts.root_base.reference
            ))
        }
        (None, DeclSource::Adduser) if alpine_base(&m.facts.root_base.reference) => {
            OwnGroup::Created(format!(
                "adduser at line {} (BusyBox in {}: a group named after the user, GID = UID)",
                u.span.line, m.facts.root_base.reference
            ))
        }
        (None, DeclSource::Useradd) => OwnGroup::BaseDecides(format!(
            "useradd at line {} gives user {} no group: whether it creates group {} depends on USERGROUPS_ENAB in {}'s /etc/login.defs; check the built image",
            u.span.line, u.name, u.name, m.facts.root_base.reference
        )),
        (None, _) => OwnGroup::BaseDecides(format!(
            "adduser at line {} gives user {} no group: {}'s adduser decides which; check the built image",
            u.span.line, u.name, m.facts.root_base.reference
        )),
    }
}

/// The gid an own group gets: the uid when no other group declared earlier has it.
fn own_gid(m: &DockerfileModel, u: &UserDecl) -> Option<u32> {
    let uid = u.uid?;
    let taken = m
        .facts
        .groups
        .iter()
        .any(|g| g.gid == Some(uid) && g.span.line <= u.span.line && g.name != u.name);
    (!taken).then_some(uid)
}

/// Another account (by name) that holds id 10001, so no `app` 10001 can be created.
fn id_taken_by_other(m: &DockerfileModel, group: bool) -> Option<(String, u32)> {
    if group {
        let explicit = m
            .facts
            .groups
            .iter()
            .find(|g| g.gid == Some(APP_ID) && g.name != "app")
            .map(|g| (g.name.clone(), g.span.line));
        explicit.or_else(|| {
            m.facts
                .users
                .iter()
                .filter(|u| u.name != "app" && u.uid == Some(APP_ID))
                .find(|u| {
                    matches!(own_group(m, u), OwnGroup::Created(_)) && own_gid(m, u).is_some()
                })
                .map(|u| (u.name.clone(), u.span.line))
        })
    } else {
        m.facts
            .users
            .iter()
            .find(|u| u.uid == Some(APP_ID) && u.name != "app")
            .map(|u| (u.name.clone(), u.span.line))
    }
}

pub(crate) fn group_dockerfile(m: &DockerfileModel, profile: Profile) -> Judgement {
    const EXPECTED: &str =
        "group app with GID 10001: RUN groupadd --gid 10001 app (Alpine: addgroup -g 10001 app), before the useradd";
    match m.facts.group_decl("app") {
        Some(g) if g.gid == Some(APP_ID) => {
            return Judgement::pass(
                "group app is created with GID 10001",
                EXPECTED,
                m.at(g.span.line),
            )
        }
        Some(g) => {
            return relaxed(
                profile,
                match g.gid {
                    Some(gid) => format!("group app is created with GID {gid}"),
                    None => "group app is created without a GID (the next free one is used)".into(),
                },
                EXPECTED,
                m.at(g.span.line),
            )
        }
        None => {}
    }
    if let Some((name, line)) = id_taken_by_other(m, true) {
        return relaxed(
            profile,
            format!("GID 10001 is group {name} (line {line}), so no group app can have it"),
            EXPECTED,
            m.at(line),
        );
    }
    // `useradd app` creating its own group app.
    if let Some(u) = m.facts.user_decl("app") {
        match own_group(m, u) {
            OwnGroup::Created(how) => {
                let at = m.at(u.span.line);
                return match own_gid(m, u) {
                    Some(APP_ID) => Judgement::pass(
                        format!("group app (GID 10001) is created by {how}"),
                        EXPECTED,
                        at,
                    ),
                    Some(gid) => relaxed(
                        profile,
                        format!("group app is created by {how} with GID {gid}"),
                        EXPECTED,
                        at,
                    ),
                    None => relaxed(
                        profile,
                        format!("group app is created by {how} with a GID other than its UID (that GID is taken)"),
                        EXPECTED,
                        at,
                    ),
                };
            }
            OwnGroup::BaseDecides(reason) => return Judgement::skipped(reason, EXPECTED),
            OwnGroup::No => {}
        }
    }
    match undeclared_reason(m, AccountFile::Group, "group app") {
        Some(reason) => Judgement::skipped(reason, EXPECTED),
        None => relaxed(
            profile,
            "FROM scratch and no group app is created".into(),
            EXPECTED,
            m.here(),
        ),
    }
}

fn group_is_app(m: &DockerfileModel, group: &str) -> bool {
    group == "10001"
        || m.facts
            .group_decl(group)
            .is_some_and(|g| g.gid == Some(APP_ID))
}

pub(crate) fn user_dockerfile(m: &DockerfileModel, profile: Profile) -> Judgement {
    const EXPECTED: &str = "user app with UID 10001 and primary group app (GID 10001): RUN groupadd --gid 10001 app && useradd --uid 10001 --gid app app";
    let Some(u) = m.facts.user_decl("app") else {
        if let Some((name, line)) = id_taken_by_other(m, false) {
            return relaxed(
                profile,
                format!("UID 10001 is user {name} (line {line}), so no user app can have it"),
                EXPECTED,
                m.at(line),
            );
        }
        return match undeclared_reason(m, AccountFile::Passwd, "user app") {
            Some(reason) => Judgement::skipped(reason, EXPECTED),
            None => relaxed(
                profile,
                "FROM scratch and no user app is created".into(),
                EXPECTED,
                m.here(),
            ),
        };
    };
    let at = m.at(u.span.line);
    let Some(uid) = u.uid else {
        return relaxed(
            profile,
            "user app is created without a UID (the next free one is used)".into(),
            EXPECTED,
            at,
        );
    };
    // A primary group no instruction here creates: useradd fails unless the base has it.
    if let Some(g) = &u.primary_group {
        let created = match g.parse::<u32>() {
            Ok(gid) => m.facts.groups.iter().any(|d| d.gid == Some(gid)),
            Err(_) => m.facts.group_decl(g).is_some(),
        };
        if !created && !m.facts.root_base.is_scratch() && m.facts.account_file_copies.is_empty() {
            let reason = format!(
                "{} at line {} gives user app the group {g}, which this Dockerfile does not create: the build works only if {} has it, and that image decides its GID; check the built image",
                match u.source {
                    DeclSource::Useradd => "useradd",
                    DeclSource::Adduser => "adduser",
                    _ => "the /etc/passwd line",
                },
                u.span.line,
                m.facts.root_base.reference
            );
            return Judgement::skipped(reason, EXPECTED);
        }
    }
    let group = match (&u.primary_group, own_group(m, u)) {
        (Some(g), _) if group_is_app(m, g) => Ok(format!("primary group {g} (GID 10001)")),
        (Some(g), _) => Err(format!("primary group {g}, which is not GID 10001")),
        (None, OwnGroup::Created(how)) => match own_gid(m, u) {
            Some(APP_ID) => Ok(format!("its own group app (GID 10001, by {how})")),
            Some(gid) => Err(format!("its own group app with GID {gid} (by {how})")),
            None => Err(format!(
                "its own group app (by {how}), whose GID is not its UID: that GID is taken"
            )),
        },
        (None, OwnGroup::BaseDecides(reason)) if uid == APP_ID => {
            return Judgement::skipped(reason, EXPECTED)
        }
        (None, OwnGroup::BaseDecides(_)) => Err("no primary group given".into()),
        (None, OwnGroup::No) => Err(match u.source {
            DeclSource::Useradd => {
                "no primary group of its own (useradd -N: the default group, users, GID 100)"
            }
            _ => "no primary group of its own (adduser --system: nogroup)",
        }
        .into()),
    };
    match group {
        Ok(g) if uid == APP_ID => Judgement::pass(
            format!("user app is created with UID 10001 and {g}"),
            EXPECTED,
            at,
        ),
        Ok(g) | Err(g) => relaxed(
            profile,
            format!("user app is created with UID {uid} and {g}"),
            EXPECTED,
            at,
        ),
    }
}

pub(crate) fn runs_as_dockerfile(m: &DockerfileModel, profile: Profile) -> Judgement {
    const EXPECTED: &str = "USER app, 10001, app:app or 10001:10001 in the final stage";
    let Some(user) = &m.facts.user else {
        let found = format!(
            "no USER: the container runs as the base image's user ({}), root unless it sets one",
            m.facts.root_base.reference
        );
        return if profile == Profile::Mozcloud && !m.facts.root_base.is_scratch() {
            Judgement::warn(found, EXPECTED, m.here())
        } else {
            Judgement::broken(found, EXPECTED, m.here())
        };
    };
    let at = m.at(user.span.line);
    let spec = user.value.as_str();
    let (name, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let is_root = |s: &str| s == "root" || s.parse::<u32>() == Ok(0);
    if name.is_empty() {
        // `USER $NAME` with NAME never set: name the variable rather than show `USER `.
        let unset: Vec<String> = m
            .facts
            .unset
            .iter()
            .filter(|u| u.span == user.span)
            .map(|u| format!("${}", u.value))
            .collect();
        let found = if unset.is_empty() {
            format!("USER {spec:?} names no user: the container runs as root (uid 0)")
        } else {
            format!(
                "USER at line {} expands to {spec:?}: {} {} not set by any ARG or ENV before it, so the container runs as root (uid 0)",
                user.span.line,
                unset.join(", "),
                if unset.len() == 1 { "is" } else { "are" }
            )
        };
        return Judgement::broken(found, EXPECTED, at);
    }
    if is_root(name) {
        return Judgement::broken(format!("USER {spec}: root (uid 0)"), EXPECTED, at);
    }
    let uid: Option<u32> = name
        .parse()
        .ok()
        .or_else(|| m.facts.user_decl(name).and_then(|u| u.uid));
    let user_ok = match uid {
        Some(0) => return Judgement::broken(format!("USER {spec}: uid 0 (root)"), EXPECTED, at),
        Some(n) => n == APP_ID,
        // `app` created by the base image, or without a fixed uid: judged by name here; the
        // uid itself is DF202's business.
        None => name == "app",
    };
    if let Some(g) = group {
        if is_root(g) {
            return Judgement::broken(format!("USER {spec}: group root (gid 0)"), EXPECTED, at);
        }
    }
    let group_ok = group.is_none_or(|g| g == "app" || group_is_app(m, g));
    if user_ok && group_ok {
        return Judgement::pass(format!("USER {spec}"), EXPECTED, at);
    }
    let detail = match uid {
        Some(n) if !user_ok => format!("USER {spec}: uid {n}, a non-root user other than 10001"),
        None if !user_ok => format!(
            "USER {spec}: a non-root user other than app, uid not known from this Dockerfile"
        ),
        _ => format!(
            "USER {spec}: group {} is not app/10001",
            group.unwrap_or("")
        ),
    };
    relaxed(profile, detail, EXPECTED, at)
}
