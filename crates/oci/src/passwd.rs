//! `/etc/passwd` and `/etc/group` parsing, and resolving a config `User` the way Docker's
//! runtime (runc's `GetExecUser`) does.

use crate::error::{Error, ErrorKind, Result};
use crate::vfs::Vfs;

/// One line of `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Comment field.
    pub gecos: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

/// One line of `/etc/group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// Group name.
    pub name: String,
    /// Group id.
    pub gid: u32,
    /// Members listed on the line (users whose primary group this is are not listed).
    pub members: Vec<String>,
}

/// Lines that carry no entry: blank, `#` comments, and NIS `+`/`-` includes.
fn skip(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t.starts_with('+') || t.starts_with('-')
}

fn id(field: &str, what: &str, file: &str, line: usize) -> Result<u32> {
    field
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|&n| n <= i32::MAX as u32)
        .ok_or_else(|| {
            Error::new(ErrorKind::Passwd {
                file: file.to_string(),
                line,
                reason: format!("{what} {field:?} is not a number from 0 to 2147483647"),
            })
        })
}

/// Parses `/etc/passwd` text (`name:password:uid:gid:gecos:home:shell`). Blank lines and
/// comments are skipped; trailing fields may be missing. `file` names the file in errors.
pub fn parse_passwd(text: &str, file: &str) -> Result<Vec<PasswdEntry>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if skip(line) {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 4 || f[0].is_empty() {
            return Err(Error::new(ErrorKind::Passwd {
                file: file.to_string(),
                line: i + 1,
                reason: "expected name:password:uid:gid[:gecos:home:shell]".to_string(),
            }));
        }
        out.push(PasswdEntry {
            name: f[0].to_string(),
            uid: id(f[2], "uid", file, i + 1)?,
            gid: id(f[3], "gid", file, i + 1)?,
            gecos: f.get(4).unwrap_or(&"").to_string(),
            home: f.get(5).unwrap_or(&"").to_string(),
            shell: f.get(6).unwrap_or(&"").to_string(),
        });
    }
    Ok(out)
}

/// Parses `/etc/group` text (`name:password:gid:member,member`). Blank lines and comments
/// are skipped. `file` names the file in errors.
pub fn parse_group(text: &str, file: &str) -> Result<Vec<GroupEntry>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if skip(line) {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 3 || f[0].is_empty() {
            return Err(Error::new(ErrorKind::Passwd {
                file: file.to_string(),
                line: i + 1,
                reason: "expected name:password:gid[:members]".to_string(),
            }));
        }
        out.push(GroupEntry {
            name: f[0].to_string(),
            gid: id(f[2], "gid", file, i + 1)?,
            members: f
                .get(3)
                .map(|m| {
                    m.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Where a resolved gid came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GidSource {
    /// The user spec named the group (`user:group`).
    Spec,
    /// The user's `/etc/passwd` entry.
    Passwd,
    /// Neither: a numeric uid without a passwd entry runs with gid 0, as in Docker.
    DefaultRoot,
}

/// A user spec that resolves to ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    /// The uid the process runs as.
    pub uid: u32,
    /// The gid the process runs as.
    pub gid: u32,
    /// The passwd entry, or `None` for a numeric uid that has none.
    pub user: Option<PasswdEntry>,
    /// The group entry for `gid`, or `None` when `/etc/group` has none.
    pub group: Option<GroupEntry>,
    /// Where `gid` came from.
    pub gid_source: GidSource,
}

/// The outcome of resolving a config `User` through the image's passwd and group files.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserResolution {
    /// `User` is empty: the runtime default, root (uid 0, gid 0).
    Unset,
    /// The spec resolves to ids.
    Resolved(ResolvedUser),
    /// A user name that `/etc/passwd` lacks (the container would not start).
    UnknownUser {
        /// The name.
        name: String,
        /// Whether the image has an `/etc/passwd` at all.
        passwd_present: bool,
    },
    /// A group name that `/etc/group` lacks (the container would not start).
    UnknownGroup {
        /// The name.
        name: String,
        /// Whether the image has an `/etc/group` at all.
        group_present: bool,
    },
    /// A spec that is not `user[:group]` with valid ids.
    Invalid {
        /// Why.
        reason: String,
    },
}

fn numeric(s: &str) -> Option<std::result::Result<u32, ()>> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        s.parse::<u32>()
            .ok()
            .filter(|&n| n <= i32::MAX as u32)
            .ok_or(()),
    )
}

/// Resolves `spec` against parsed files (`None` when the file is absent from the image).
pub fn resolve_user_in(
    spec: &str,
    passwd: Option<&[PasswdEntry]>,
    group: Option<&[GroupEntry]>,
) -> UserResolution {
    if spec.is_empty() {
        return UserResolution::Unset;
    }
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g).filter(|g| !g.is_empty())),
        None => (spec, None),
    };
    if user_part.is_empty() {
        return UserResolution::Invalid {
            reason: format!("{spec:?} has no user before ':'"),
        };
    }
    if group_part.is_some_and(|g| g.contains(':')) {
        return UserResolution::Invalid {
            reason: format!("{spec:?} has more than one ':'"),
        };
    }
    let users = passwd.unwrap_or(&[]);
    let groups = group.unwrap_or(&[]);
    let uid_num = match numeric(user_part) {
        Some(Err(())) => {
            return UserResolution::Invalid {
                reason: format!("uid {user_part} is out of range 0-2147483647"),
            }
        }
        Some(Ok(n)) => Some(n),
        None => None,
    };
    // As runc: a name matches by name, a number by name or uid.
    let entry = users
        .iter()
        .find(|u| u.name == user_part || uid_num == Some(u.uid))
        .cloned();
    let (uid, mut gid, mut gid_source) = match (&entry, uid_num) {
        (Some(e), _) => (e.uid, e.gid, GidSource::Passwd),
        (None, Some(n)) => (n, 0, GidSource::DefaultRoot),
        (None, None) => {
            return UserResolution::UnknownUser {
                name: user_part.to_string(),
                passwd_present: passwd.is_some(),
            }
        }
    };
    if let Some(g) = group_part {
        let gid_num = match numeric(g) {
            Some(Err(())) => {
                return UserResolution::Invalid {
                    reason: format!("gid {g} is out of range 0-2147483647"),
                }
            }
            Some(Ok(n)) => Some(n),
            None => None,
        };
        match groups
            .iter()
            .find(|e| e.name == g || gid_num == Some(e.gid))
        {
            Some(e) => gid = e.gid,
            None => match gid_num {
                Some(n) => gid = n,
                None => {
                    return UserResolution::UnknownGroup {
                        name: g.to_string(),
                        group_present: group.is_some(),
                    }
                }
            },
        }
        gid_source = GidSource::Spec;
    }
    UserResolution::Resolved(ResolvedUser {
        uid,
        gid,
        user: entry,
        group: groups.iter().find(|e| e.gid == gid).cloned(),
        gid_source,
    })
}

impl Vfs {
    /// The image's `/etc/passwd` entries, or `None` when it has no such file. The file's
    /// content must have been requested (the default [`crate::ContentRequest`] does).
    pub fn passwd(&self) -> Result<Option<Vec<PasswdEntry>>> {
        self.etc_file("/etc/passwd", parse_passwd)
    }

    /// The image's `/etc/group` entries, or `None` when it has no such file.
    pub fn group(&self) -> Result<Option<Vec<GroupEntry>>> {
        self.etc_file("/etc/group", parse_group)
    }

    fn etc_file<T>(
        &self,
        path: &str,
        parse: fn(&str, &str) -> Result<Vec<T>>,
    ) -> Result<Option<Vec<T>>> {
        // Only a path that leads nowhere is absent: a symlink loop is an error to report.
        match self.stat(path) {
            Err(e) if matches!(e.kind(), ErrorKind::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let bytes = self.read(path)?;
        parse(&String::from_utf8_lossy(bytes), path).map(Some)
    }

    /// Resolves a config `User` (`app`, `10001`, `app:app`, `10001:10001`, `app:10001`, or
    /// empty) to ids through this image's `/etc/passwd` and `/etc/group`.
    pub fn resolve_user(&self, spec: &str) -> Result<UserResolution> {
        let passwd = self.passwd()?;
        let group = self.group()?;
        Ok(resolve_user_in(spec, passwd.as_deref(), group.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str =
        "# comment\n\nroot:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/sbin/nologin\n";
    const GROUP: &str = "root:x:0:\napp:x:10001:app\nstaff:x:50:a,b\n";

    fn resolve(spec: &str) -> UserResolution {
        let p = parse_passwd(PASSWD, "/etc/passwd").unwrap_or_default();
        let g = parse_group(GROUP, "/etc/group").unwrap_or_default();
        resolve_user_in(spec, Some(&p), Some(&g))
    }

    fn ids(r: UserResolution) -> Option<(u32, u32, GidSource, bool)> {
        match r {
            UserResolution::Resolved(u) => Some((u.uid, u.gid, u.gid_source, u.user.is_some())),
            _ => None,
        }
    }

    #[test]
    fn resolves_like_runc() {
        for spec in ["app", "10001", "app:app", "10001:10001", "app:10001"] {
            let r = ids(resolve(spec));
            assert!(matches!(r, Some((10001, 10001, _, true))), "{spec}: {r:?}");
        }
        assert_eq!(ids(resolve("root")), Some((0, 0, GidSource::Passwd, true)));
        assert_eq!(ids(resolve("0:0")), Some((0, 0, GidSource::Spec, true)));
        assert_eq!(
            ids(resolve("4242")),
            Some((4242, 0, GidSource::DefaultRoot, false))
        );
        assert_eq!(
            ids(resolve("app:staff")),
            Some((10001, 50, GidSource::Spec, true))
        );
        assert_eq!(
            ids(resolve("app:777")),
            Some((10001, 777, GidSource::Spec, true))
        );
        assert_eq!(resolve(""), UserResolution::Unset);
        assert_eq!(
            resolve("nobody"),
            UserResolution::UnknownUser {
                name: "nobody".into(),
                passwd_present: true
            }
        );
        assert_eq!(
            resolve("app:nogroup"),
            UserResolution::UnknownGroup {
                name: "nogroup".into(),
                group_present: true
            }
        );
        assert!(matches!(resolve(":app"), UserResolution::Invalid { .. }));
        assert!(matches!(
            resolve("99999999999"),
            UserResolution::Invalid { .. }
        ));
        assert!(matches!(
            resolve_user_in("app", None, None),
            UserResolution::UnknownUser {
                passwd_present: false,
                ..
            }
        ));
    }

    #[test]
    fn parse_errors_name_the_line() {
        let e = parse_passwd("root:x:0:0::/:\nbroken line\n", "/etc/passwd")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            e,
            "/etc/passwd line 2: expected name:password:uid:gid[:gecos:home:shell]"
        );
        let e = parse_group("g:x:abc:\n", "/etc/group")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("/etc/group line 1: gid \"abc\""), "{e}");
        let g = parse_group(GROUP, "/etc/group").unwrap_or_default();
        assert_eq!(g[2].members, vec!["a", "b"]);
    }
}
