//! The users and groups a `RUN` creates, from the simple commands `shell.rs` splits: `groupadd`,
//! `useradd`, BusyBox and Debian `addgroup`/`adduser` (options read as GNU `getopt` does), and
//! `echo`/`printf`/`cat`/`tee` writing lines into `/etc/passwd` or `/etc/group`, followed into
//! `sh -c` scripts a few levels deep.

use crate::error::Span;
use crate::shell::{split_commands, SimpleCommand};

/// How a user or group came to be declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclSource {
    /// `groupadd` (shadow-utils).
    Groupadd,
    /// `useradd` (shadow-utils).
    Useradd,
    /// `addgroup` (BusyBox/Alpine or Debian).
    Addgroup,
    /// `adduser` (BusyBox/Alpine or Debian).
    Adduser,
    /// A line written into `/etc/passwd` or `/etc/group` (`echo`, `printf`, heredoc, `COPY <<EOF`).
    FileLine,
}

/// A user created by a `RUN` (or written into `/etc/passwd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDecl {
    /// The user name.
    pub name: String,
    /// The uid, when given and numeric after expanding `$VAR`s.
    pub uid: Option<u32>,
    /// The primary group as given (a name or a gid); `None` when the command does not say
    /// (tools then usually create a group named after the user, with an unknown gid).
    pub primary_group: Option<String>,
    /// Whether the command creates a group named after the user as its primary group:
    /// `Some(true)` for `useradd -U`, `Some(false)` for `useradd -N` or a primary group given;
    /// `None` when the system decides (`useradd` with none of `-g`, `-U`, `-N` follows
    /// `USERGROUPS_ENAB` in the image's `/etc/login.defs`; `adduser` its own configuration).
    /// Such a group gets the uid as its gid when that gid is free.
    pub own_group: Option<bool>,
    /// How it was declared.
    pub source: DeclSource,
    /// The instruction that declared it.
    pub span: Span,
}

/// A group created by a `RUN` (or written into `/etc/group`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDecl {
    /// The group name.
    pub name: String,
    /// The gid, when given and numeric after expanding `$VAR`s.
    pub gid: Option<u32>,
    /// How it was declared.
    pub source: DeclSource,
    /// The instruction that declared it.
    pub span: Span,
}

/// Users and groups found in commands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    /// Users, in order of creation.
    pub users: Vec<UserDecl>,
    /// Groups, in order of creation.
    pub groups: Vec<GroupDecl>,
}

/// Finds users and groups created by `commands`. `resolve` expands a word holding `$VAR`
/// (callers pass the stage's `ARG`/`ENV` values); every decl gets `span`.
pub fn find_accounts(
    commands: &[SimpleCommand],
    resolve: &dyn Fn(&str) -> String,
    span: Span,
) -> Accounts {
    let mut out = Accounts::default();
    accounts_into(&mut out, commands, resolve, span, 0);
    out
}

/// How deep `sh -c 'sh -c ...'` is followed.
const MAX_SHELL_NESTING: usize = 4;

fn accounts_into(
    out: &mut Accounts,
    commands: &[SimpleCommand],
    resolve: &dyn Fn(&str) -> String,
    span: Span,
    depth: usize,
) {
    let mut last_output: Option<String> = None;
    for cmd in commands {
        let (name, args) = command_name(&cmd.words);
        let r = |s: &str| {
            if s.contains('$') {
                resolve(s)
            } else {
                s.to_owned()
            }
        };
        let num = |s: &str| r(s).parse::<u32>().ok();
        let mut output = None;
        match name {
            "groupadd" => {
                let o = getopt(
                    args,
                    "gKpRPU",
                    &["gid", "key", "password", "root", "prefix", "users"],
                );
                if let Some(group) = o.positionals.last() {
                    out.groups.push(GroupDecl {
                        name: r(group),
                        gid: o.value(&["-g", "--gid"]).and_then(num),
                        source: DeclSource::Groupadd,
                        span,
                    });
                }
            }
            "useradd" => {
                let o = getopt(
                    args,
                    "bcdefgGkKpPRsuZ",
                    &[
                        "base-dir",
                        "comment",
                        "home-dir",
                        "home",
                        "expiredate",
                        "inactive",
                        "gid",
                        "groups",
                        "skel",
                        "key",
                        "password",
                        "prefix",
                        "root",
                        "shell",
                        "uid",
                        "selinux-user",
                        "btrfs-subvolume-home",
                    ],
                );
                if let Some(user) = o.positionals.last() {
                    let primary_group = o.value(&["-g", "--gid"]).map(r);
                    let own_group =
                        if primary_group.is_some() || o.has("-N") || o.has("--no-user-group") {
                            Some(false)
                        } else if o.has("-U") || o.has("--user-group") {
                            Some(true)
                        } else {
                            None
                        };
                    out.users.push(UserDecl {
                        name: r(user),
                        uid: o.value(&["-u", "--uid"]).and_then(num),
                        primary_group,
                        own_group,
                        source: DeclSource::Useradd,
                        span,
                    });
                }
            }
            "addgroup" => {
                let o = getopt(
                    args,
                    "g",
                    &["gid", "conf", "firstgid", "lastgid", "comment"],
                );
                // One name creates a group; `addgroup USER GROUP` adds a user to a group.
                if let [group] = o.positionals.as_slice() {
                    out.groups.push(GroupDecl {
                        name: r(group),
                        gid: o.value(&["-g", "--gid"]).and_then(num),
                        source: DeclSource::Addgroup,
                        span,
                    });
                }
            }
            "adduser" => {
                let o = getopt(
                    args,
                    "hgsGuk",
                    &[
                        "home",
                        "shell",
                        "uid",
                        "gid",
                        "ingroup",
                        "gecos",
                        "comment",
                        "firstuid",
                        "lastuid",
                        "firstgid",
                        "lastgid",
                        "conf",
                        "extrausers-file",
                    ],
                );
                if let [user] = o.positionals.as_slice() {
                    let user = r(user);
                    let gid = o.value(&["--gid"]).and_then(num);
                    if o.has("--group") && !o.has("--system") {
                        // Debian: `adduser --group NAME` is `addgroup NAME`.
                        out.groups.push(GroupDecl {
                            name: user,
                            gid,
                            source: DeclSource::Adduser,
                            span,
                        });
                    } else {
                        let mut primary = o.value(&["-G", "--ingroup", "--gid"]).map(r);
                        if o.has("--group") {
                            // Debian: `adduser --system --group NAME` also creates group NAME.
                            primary = Some(user.clone());
                            out.groups.push(GroupDecl {
                                name: user.clone(),
                                gid,
                                source: DeclSource::Adduser,
                                span,
                            });
                        }
                        // A system user without a group joins nogroup (Debian and BusyBox).
                        let system = o.has("--system") || o.has("-S");
                        let own_group = match &primary {
                            Some(g) => Some(*g == user),
                            None if system => Some(false),
                            None => None,
                        };
                        out.users.push(UserDecl {
                            name: user,
                            uid: o.value(&["-u", "--uid"]).and_then(num),
                            own_group,
                            primary_group: primary,
                            source: DeclSource::Adduser,
                            span,
                        });
                    }
                }
            }
            "sh" | "bash" | "ash" | "dash" | "zsh" if depth < MAX_SHELL_NESTING => {
                // `sh -c 'script'`, or a script on standard input (`RUN <<EOF sh`).
                let script = match args.iter().position(|a| a == "-c") {
                    Some(i) => args.get(i + 1).cloned(),
                    None if args.iter().all(|a| a.starts_with('-')) => cmd.stdin.clone(),
                    None => None,
                };
                if let Some(script) = script {
                    accounts_into(out, &split_commands(&script), resolve, span, depth + 1);
                }
            }
            "echo" => output = Some(echo(args)),
            "printf" => output = Some(printf(args)),
            _ => {}
        }

        // Writes into /etc/passwd or /etc/group.
        let mut targets: Vec<String> = cmd
            .redirects
            .iter()
            .filter(|r| {
                matches!(r.op.as_str(), ">" | ">>" | ">|" | "&>" | "&>>") && r.fd.unwrap_or(1) == 1
            })
            .map(|x| r(&x.target))
            .collect();
        let content = match name {
            "echo" | "printf" => output.clone(),
            "cat" => cmd
                .stdin
                .clone()
                .or_else(|| cmd.piped.then(|| last_output.clone()).flatten()),
            "tee" => {
                targets.extend(args.iter().filter(|a| !a.starts_with('-')).map(|a| r(a)));
                cmd.stdin
                    .clone()
                    .or_else(|| cmd.piped.then(|| last_output.clone()).flatten())
            }
            _ => None,
        };
        if let Some(content) = &content {
            for t in &targets {
                let content = if content.contains('$') {
                    resolve(content)
                } else {
                    content.clone()
                };
                match t.as_str() {
                    "/etc/passwd" => out.users.extend(passwd_lines(&content, span)),
                    "/etc/group" => out.groups.extend(group_lines(&content, span)),
                    _ => {}
                }
            }
        }
        last_output = if name == "tee" { content } else { output };
    }
}

/// Users in `/etc/passwd` lines (`name:x:uid:gid:gecos:home:shell`).
pub(crate) fn passwd_lines(content: &str, span: Span) -> Vec<UserDecl> {
    content
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.trim().split(':').collect();
            (f.len() >= 4 && !f[0].is_empty() && !f[0].starts_with('#')).then(|| UserDecl {
                name: f[0].to_owned(),
                uid: f[2].parse().ok(),
                primary_group: Some(f[3].to_owned()).filter(|g| !g.is_empty()),
                own_group: Some(false),
                source: DeclSource::FileLine,
                span,
            })
        })
        .collect()
}

/// Groups in `/etc/group` lines (`name:x:gid:members`).
pub(crate) fn group_lines(content: &str, span: Span) -> Vec<GroupDecl> {
    content
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.trim().split(':').collect();
            (f.len() >= 3 && !f[0].is_empty() && !f[0].starts_with('#')).then(|| GroupDecl {
                name: f[0].to_owned(),
                gid: f[2].parse().ok(),
                source: DeclSource::FileLine,
                span,
            })
        })
        .collect()
}

/// The command's name (basename) and arguments, past assignments and wrappers like `sudo`.
fn command_name(words: &[String]) -> (&str, &[String]) {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let assignment = w.split_once('=').is_some_and(|(n, _)| {
            !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if assignment
            || matches!(
                w.as_str(),
                "sudo"
                    | "exec"
                    | "command"
                    | "then"
                    | "do"
                    | "else"
                    | "if"
                    | "while"
                    | "until"
                    | "!"
                    | "{"
                    | "time"
                    | "nohup"
                    | "env"
                    | "set"
                    | "-e"
                    | "-x"
                    | "-ex"
                    | "-eux"
            )
        {
            i += 1;
            continue;
        }
        let name = w.rsplit('/').next().unwrap_or(w);
        return (name, &words[i + 1..]);
    }
    ("", &[])
}

struct Opts {
    values: Vec<(String, Option<String>)>,
    positionals: Vec<String>,
}

impl Opts {
    fn value(&self, names: &[&str]) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, v)| v.is_some() && names.contains(&n.as_str()))
            .and_then(|(_, v)| v.as_deref())
    }

    fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(n, _)| n == name)
    }
}

/// GNU-style option parsing (permuting, bundled short options, `--long=value`, `--`).
fn getopt(args: &[String], short_with_arg: &str, long_with_arg: &[&str]) -> Opts {
    let mut values = Vec::new();
    let mut positionals = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            positionals.extend(it.by_ref().cloned());
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            match long.split_once('=') {
                Some((n, v)) => values.push((format!("--{n}"), Some(v.to_owned()))),
                None if long_with_arg.contains(&long) => {
                    values.push((format!("--{long}"), it.next().cloned()))
                }
                None => values.push((format!("--{long}"), None)),
            }
        } else if a.len() > 1 && a.starts_with('-') {
            let body = &a[1..];
            for (i, c) in body.char_indices() {
                if short_with_arg.contains(c) {
                    let rest = &body[i + c.len_utf8()..];
                    let v = if rest.is_empty() {
                        it.next().cloned()
                    } else {
                        Some(rest.to_owned())
                    };
                    values.push((format!("-{c}"), v));
                    break;
                }
                values.push((format!("-{c}"), None));
            }
        } else {
            positionals.push(a.clone());
        }
    }
    Opts {
        values,
        positionals,
    }
}

/// What `echo` prints (dash's echo: backslash escapes are always interpreted).
fn echo(args: &[String]) -> String {
    let mut newline = true;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
        {
            if a.contains('n') {
                newline = false;
            }
            i += 1;
        } else {
            break;
        }
    }
    let mut out = unescape(&args[i..].join(" "));
    if newline {
        out.push('\n');
    }
    out
}

/// What `printf FORMAT ARGS...` prints; the format is reused while arguments remain.
fn printf(args: &[String]) -> String {
    let Some((format, mut rest)) = args.split_first() else {
        return String::new();
    };
    let format = unescape(format);
    let mut out = String::new();
    for _ in 0..1000 {
        let mut used = 0;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            // Skip flags, width and precision, then the conversion.
            while matches!(chars.peek(), Some('-' | '+' | ' ' | '#' | '0'..='9' | '.')) {
                chars.next();
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('b') => {
                    out.push_str(&rest.get(used).map(|s| unescape(s)).unwrap_or_default());
                    used += 1;
                }
                Some(_) => {
                    out.push_str(rest.get(used).map_or("", String::as_str));
                    used += 1;
                }
                None => out.push('%'),
            }
        }
        if used == 0 || used >= rest.len() || out.len() > 1 << 20 {
            break;
        }
        rest = &rest[used..];
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('c') => break,
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}
