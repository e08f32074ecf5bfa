//! A small, quote-aware reader of shell command lines, and what a checker wants from them: the
//! users and groups a `RUN` creates.
//!
//! Not a shell: it splits on `&&`, `||`, `;`, `|`, `&` and newlines, handles quotes, backslash
//! escapes, redirections and heredocs, and leaves `$(...)`, backticks and `$VAR` in the words as
//! written. That is enough to recognise `groupadd`, `useradd`, BusyBox and Debian
//! `addgroup`/`adduser`, and `echo`/`printf`/`cat`/`tee` writing to `/etc/passwd` or `/etc/group`.

use crate::error::Span;

/// A redirection of a simple command (`>> /etc/passwd`, `2>&1`, `<<EOF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The file descriptor written before the operator, if any.
    pub fd: Option<u32>,
    /// The operator: `>`, `>>`, `>|`, `>&`, `&>`, `<`, `<&`, `<>`, `<<`, `<<-`, `<<<`.
    pub op: String,
    /// The target word, quotes removed (for `<<`, the heredoc delimiter).
    pub target: String,
}

/// One simple command: words and redirections, between separators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The words, quotes removed; `$VAR`, `$(...)` and backticks are kept as written.
    pub words: Vec<String>,
    /// Redirections, in order.
    pub redirects: Vec<Redirect>,
    /// The body of a heredoc feeding this command's standard input, if any.
    pub stdin: Option<String>,
    /// `true` when the previous command's output is piped into this one (`a | b`).
    pub piped: bool,
}

/// Splits a shell script into simple commands. Heredocs inside the script (`cat <<EOF` followed
/// by body lines) become the command's [`SimpleCommand::stdin`].
pub fn split_commands(script: &str) -> Vec<SimpleCommand> {
    Splitter::new(script, None).run()
}

/// Splits a `RUN` command line whose heredoc bodies were given separately (by the Dockerfile):
/// the n-th `<<` on the line takes the n-th body.
pub fn split_commands_with_heredocs(line: &str, bodies: &[String]) -> Vec<SimpleCommand> {
    Splitter::new(line, Some(bodies)).run()
}

struct Splitter<'a> {
    s: &'a str,
    i: usize,
    external: Option<&'a [String]>,
    next_external: usize,
    commands: Vec<SimpleCommand>,
    cur: SimpleCommand,
    word: Option<String>,
    redirect: Option<(Option<u32>, String)>,
    /// Heredocs waiting for their body after the next newline: (command index, delimiter, strip tabs).
    pending: Vec<(usize, String, bool)>,
}

impl<'a> Splitter<'a> {
    fn new(s: &'a str, external: Option<&'a [String]>) -> Self {
        Splitter {
            s,
            i: 0,
            external,
            next_external: 0,
            commands: Vec::new(),
            cur: SimpleCommand::default(),
            word: None,
            redirect: None,
            pending: Vec::new(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i..).and_then(|r| r.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        Some(c)
    }

    fn push(&mut self, c: char) {
        self.word.get_or_insert_with(String::new).push(c);
    }

    fn finish_word(&mut self) {
        let Some(w) = self.word.take() else { return };
        match self.redirect.take() {
            Some((fd, op)) => {
                if op == "<<" || op == "<<-" {
                    match self.external {
                        Some(bodies) => {
                            self.cur.stdin = bodies.get(self.next_external).cloned();
                            self.next_external += 1;
                        }
                        None => {
                            self.pending
                                .push((self.commands.len(), w.clone(), op == "<<-"));
                        }
                    }
                } else if op == "<<<" {
                    self.cur.stdin = Some(format!("{w}\n"));
                }
                self.cur.redirects.push(Redirect { fd, op, target: w });
            }
            None => self.cur.words.push(w),
        }
    }

    fn finish_command(&mut self, piped_next: bool) {
        self.finish_word();
        self.redirect = None;
        let cur = std::mem::take(&mut self.cur);
        if !cur.words.is_empty() || !cur.redirects.is_empty() {
            self.commands.push(cur);
        } else if !piped_next {
            // Keep the pipe flag of an empty command from leaking.
        }
        self.cur.piped = piped_next;
    }

    /// After a newline: read the bodies of heredocs opened on the line just ended.
    fn read_heredoc_bodies(&mut self) {
        for (index, delim, strip) in std::mem::take(&mut self.pending) {
            let mut body = String::new();
            while self.i < self.s.len() {
                let rest = &self.s[self.i..];
                let (line, len) = match rest.find('\n') {
                    Some(n) => (&rest[..n], n + 1),
                    None => (rest, rest.len()),
                };
                self.i += len;
                let line = line.strip_suffix('\r').unwrap_or(line);
                let cmp = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if cmp == delim {
                    break;
                }
                body.push_str(cmp);
                body.push('\n');
            }
            if let Some(c) = self.commands.get_mut(index) {
                c.stdin = Some(body);
            } else if index == self.commands.len() {
                self.cur.stdin = Some(body);
            }
        }
    }

    fn run(mut self) -> Vec<SimpleCommand> {
        while let Some(c) = self.bump() {
            match c {
                ' ' | '\t' | '\r' => self.finish_word(),
                '\n' => {
                    self.finish_command(false);
                    self.read_heredoc_bodies();
                }
                ';' | '(' | ')' => self.finish_command(false),
                '&' => {
                    if self.peek() == Some('>') {
                        self.bump();
                        self.finish_word();
                        let op = if self.peek() == Some('>') {
                            self.bump();
                            "&>>"
                        } else {
                            "&>"
                        };
                        self.redirect = Some((None, op.to_owned()));
                    } else {
                        if self.peek() == Some('&') {
                            self.bump();
                        }
                        self.finish_command(false);
                    }
                }
                '|' => {
                    if self.peek() == Some('|') {
                        self.bump();
                        self.finish_command(false);
                    } else {
                        self.finish_command(true);
                    }
                }
                '>' | '<' => {
                    let fd = match &self.word {
                        Some(w) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) => {
                            let fd = w.parse().ok();
                            self.word = None;
                            fd
                        }
                        _ => {
                            self.finish_word();
                            None
                        }
                    };
                    let mut op = String::from(c);
                    match (c, self.peek()) {
                        ('>', Some(n @ ('>' | '&' | '|'))) => {
                            self.bump();
                            op.push(n);
                        }
                        ('<', Some(n @ ('&' | '>'))) => {
                            self.bump();
                            op.push(n);
                        }
                        ('<', Some('<')) => {
                            self.bump();
                            op.push('<');
                            if let Some(n @ ('<' | '-')) = self.peek() {
                                self.bump();
                                op.push(n);
                            }
                        }
                        _ => {}
                    }
                    self.redirect = Some((fd, op));
                }
                '#' if self.word.is_none() => {
                    while let Some(n) = self.peek() {
                        if n == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                '\'' => {
                    let w = self.word.get_or_insert_with(String::new);
                    let rest = &self.s[self.i..];
                    let n = rest.find('\'').unwrap_or(rest.len());
                    w.push_str(&rest[..n]);
                    self.i += (n + 1).min(rest.len());
                }
                '"' => {
                    self.word.get_or_insert_with(String::new);
                    while let Some(n) = self.bump() {
                        match n {
                            '"' => break,
                            '\\' => match self.bump() {
                                Some('\n') => {}
                                Some(e @ ('"' | '\\' | '$' | '`')) => self.push(e),
                                Some(e) => {
                                    self.push('\\');
                                    self.push(e);
                                }
                                None => self.push('\\'),
                            },
                            n => self.push(n),
                        }
                    }
                }
                '\\' => match self.bump() {
                    Some('\n') => {}
                    Some(n) => self.push(n),
                    None => self.push('\\'),
                },
                '$' if matches!(self.peek(), Some('(' | '{')) => {
                    let open = self.bump().unwrap_or('(');
                    let close = if open == '(' { ')' } else { '}' };
                    self.push('$');
                    self.push(open);
                    let mut depth = 1usize;
                    while let Some(n) = self.bump() {
                        self.push(n);
                        if n == open {
                            depth += 1;
                        } else if n == close {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
                '`' => {
                    self.push('`');
                    while let Some(n) = self.bump() {
                        self.push(n);
                        if n == '`' {
                            break;
                        }
                    }
                }
                c => self.push(c),
            }
        }
        self.finish_command(false);
        self.read_heredoc_bodies();
        self.commands
    }
}

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
