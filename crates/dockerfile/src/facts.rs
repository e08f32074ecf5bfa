//! What a checker asks about a stage: the image configuration it ends with (after `FROM <stage>`
//! inheritance and variable expansion), its files copied, its commands run, and the users and
//! groups those create.

use std::collections::HashMap;

use crate::accounts::{find_accounts, group_lines, passwd_lines, Accounts, GroupDecl, UserDecl};
use crate::error::{ParseError, Span, Spanned};
use crate::expand::{expand, unquote, Budget};
use crate::heredoc::Heredoc;
use crate::instruction::{Command, Healthcheck, Instruction, InstructionKind};
use crate::shell::{split_commands, split_commands_with_heredocs};
use crate::stage::{BaseImage, Dockerfile};

/// A name and its expanded value (`ENV`, `LABEL`), with the instruction that set it last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameValue {
    /// The name.
    pub name: String,
    /// The value after expansion.
    pub value: String,
    /// The instruction that set it.
    pub span: Span,
}

/// A `COPY` or `ADD` of the stage or an ancestor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFact {
    /// The stage it belongs to.
    pub stage: usize,
    /// `"COPY"` or `"ADD"`.
    pub keyword: &'static str,
    /// Sources after expansion (a heredoc source appears as its marker, `<<EOF`).
    pub sources: Vec<String>,
    /// The destination after expansion, as written.
    pub dest: String,
    /// The destination made absolute against the `WORKDIR` in effect.
    pub path: String,
    /// `--from` (a stage name or index, or an image), expanded.
    pub from: Option<String>,
    /// `--chown`, expanded.
    pub chown: Option<String>,
    /// `--chmod`, expanded.
    pub chmod: Option<String>,
    /// The instruction.
    pub span: Span,
}

/// A `RUN` of the stage or an ancestor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFact {
    /// The stage it belongs to.
    pub stage: usize,
    /// The command as written (not expanded: the shell expands it at build time).
    pub command: Command,
    /// Its heredocs.
    pub heredocs: Vec<Heredoc>,
    /// The instruction.
    pub span: Span,
}

/// Which account database a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountFile {
    /// `/etc/passwd`.
    Passwd,
    /// `/etc/group`.
    Group,
}

/// A `COPY`/`ADD` that replaces `/etc/passwd` or `/etc/group` with contents this parser cannot
/// see (a file from the context or another stage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFileCopy {
    /// Which file.
    pub file: AccountFile,
    /// `--from`, if any.
    pub from: Option<String>,
    /// The instruction.
    pub span: Span,
}

/// The facts about one stage, as a checker reads them. Get them with [`Dockerfile::facts`] or
/// [`Dockerfile::facts_for`].
///
/// Settings are what the stage's image config ends with: inherited through `FROM <stage>` and
/// expanded with `ARG`/`ENV` where BuildKit expands them. `None` means "never set in this
/// Dockerfile" (the base image may still set it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The stage these facts describe.
    pub stage: usize,
    /// Its name, if it has one.
    pub stage_name: Option<String>,
    /// Its `FROM`.
    pub base: BaseImage,
    /// The external image at the root of its `FROM <stage>` chain (or `base` itself).
    pub root_base: BaseImage,
    /// The stages from that root to this one, in build order.
    pub lineage: Vec<usize>,
    /// `USER`, expanded, with the instruction that set it.
    pub user: Option<Spanned<String>>,
    /// `ENTRYPOINT`.
    pub entrypoint: Option<Spanned<Command>>,
    /// `CMD`; reset by a later `ENTRYPOINT` unless `CMD` was set in the same stage before it.
    pub cmd: Option<Spanned<Command>>,
    /// `WORKDIR`, expanded and made absolute.
    pub workdir: Option<Spanned<String>>,
    /// `SHELL`.
    pub shell: Option<Spanned<Vec<String>>>,
    /// `HEALTHCHECK`.
    pub healthcheck: Option<Spanned<Healthcheck>>,
    /// `STOPSIGNAL`, expanded.
    pub stopsignal: Option<Spanned<String>>,
    /// `ENV` variables in first-set order, with their last value.
    pub env: Vec<NameValue>,
    /// `LABEL`s in first-set order, with their last value.
    pub labels: Vec<NameValue>,
    /// `ARG`s of the stage and its ancestors that have a value (a default or a build
    /// argument), in declaration order: BuildKit keeps them in the image's history.
    pub args: Vec<NameValue>,
    /// `EXPOSE`d ports, expanded, in order.
    pub expose: Vec<Spanned<String>>,
    /// `VOLUME`s, expanded, in order.
    pub volumes: Vec<Spanned<String>>,
    /// `COPY`/`ADD` of the stage and its ancestors.
    pub copies: Vec<CopyFact>,
    /// `RUN`s of the stage and its ancestors.
    pub runs: Vec<RunFact>,
    /// Users created by those `RUN`s and by `COPY <<EOF /etc/passwd`.
    pub users: Vec<UserDecl>,
    /// Groups created by those `RUN`s and by `COPY <<EOF /etc/group`.
    pub groups: Vec<GroupDecl>,
    /// `/etc/passwd` or `/etc/group` copied in with unknown contents.
    pub account_file_copies: Vec<AccountFileCopy>,
    /// Problems met while expanding (a bad substitution, `${X:?}` with `X` unset).
    pub errors: Vec<ParseError>,
    /// Variables an instruction names that no `ARG` or `ENV` set (they expand to nothing,
    /// or to their `${X:-default}`), with the instruction, in order.
    pub unset: Vec<Spanned<String>>,
}

impl Facts {
    /// The value of an `ENV` variable.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    /// The value of a label.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    /// The last user declared with this name.
    pub fn user_decl(&self, name: &str) -> Option<&UserDecl> {
        self.users.iter().rev().find(|u| u.name == name)
    }

    /// The last group declared with this name.
    pub fn group_decl(&self, name: &str) -> Option<&GroupDecl> {
        self.groups.iter().rev().find(|g| g.name == name)
    }
}

impl Dockerfile {
    /// Facts about the final stage; `None` when there is no stage.
    pub fn facts(&self) -> Option<Facts> {
        self.stages.len().checked_sub(1).map(|i| self.facts_at(i))
    }

    /// Facts about the stage `--target` names (a name, case-insensitive, or an index).
    pub fn facts_for(&self, target: &str) -> Option<Facts> {
        self.stage(target).map(|s| self.facts_at(s.index))
    }

    fn facts_at(&self, index: usize) -> Facts {
        let lineage = self.lineage(index);
        let stage = &self.stages[index];
        let root = lineage.first().copied().unwrap_or(index);
        let mut facts = Facts {
            stage: index,
            stage_name: stage.name.clone(),
            base: stage.base.clone(),
            root_base: self.stages[root].base.clone(),
            lineage: lineage.clone(),
            user: None,
            entrypoint: None,
            cmd: None,
            workdir: None,
            shell: None,
            healthcheck: None,
            stopsignal: None,
            env: Vec::new(),
            labels: Vec::new(),
            args: Vec::new(),
            expose: Vec::new(),
            volumes: Vec::new(),
            copies: Vec::new(),
            runs: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            account_file_copies: Vec::new(),
            errors: Vec::new(),
            unset: Vec::new(),
        };
        let mut env_index: HashMap<String, usize> = HashMap::new();
        let mut label_index: HashMap<String, usize> = HashMap::new();
        let budget = Budget::new();
        for &i in &lineage {
            let mut eval = Eval {
                df: self,
                stage: i,
                facts: &mut facts,
                env_index: &mut env_index,
                label_index: &mut label_index,
                args: HashMap::new(),
                cmd_set: false,
                budget: &budget,
            };
            for inst in &self.stages[i].instructions {
                eval.apply(inst);
                if let Some(message) = budget.take_failure() {
                    eval.facts.errors.push(ParseError::budget(
                        inst.span,
                        Some(inst.keyword()),
                        message,
                    ));
                }
            }
        }
        facts
    }
}

struct Eval<'a> {
    df: &'a Dockerfile,
    stage: usize,
    facts: &'a mut Facts,
    env_index: &'a mut HashMap<String, usize>,
    label_index: &'a mut HashMap<String, usize>,
    args: HashMap<String, String>,
    cmd_set: bool,
    budget: &'a Budget,
}

impl Eval<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        // ENV always wins over ARG of the same name.
        match self.env_index.get(name) {
            Some(&i) => self.facts.env.get(i).map(|v| v.value.clone()),
            None => self.args.get(name).cloned(),
        }
    }

    fn expand(&mut self, raw: &str, inst: &Instruction) -> String {
        let missing = std::cell::RefCell::new(Vec::new());
        let lookup = |n: &str| {
            let v = self.lookup(n);
            if v.is_none() {
                missing.borrow_mut().push(n.to_owned());
            }
            v
        };
        let result = expand(raw, self.df.escape, &lookup, self.budget);
        for name in missing.into_inner() {
            // Only this instruction's own entries (at the end) can repeat the name.
            let known = self
                .facts
                .unset
                .iter()
                .rev()
                .take_while(|u| u.span == inst.span)
                .any(|u| u.value == name);
            if !known {
                self.facts.unset.push(Spanned {
                    value: name,
                    span: inst.span,
                });
            }
        }
        match result {
            Ok(v) => v,
            Err(e) => {
                if let Some(e) = e.syntax() {
                    self.facts
                        .errors
                        .push(ParseError::new(inst.span, Some(inst.keyword()), e));
                }
                unquote(raw, self.df.escape)
            }
        }
    }

    fn flag(&mut self, inst: &Instruction, name: &str) -> Option<String> {
        let raw = inst.flag(name)?.value.clone()?;
        Some(self.expand(&raw, inst))
    }

    fn set_env(&mut self, name: String, value: String, span: Span) {
        match self.env_index.get(&name) {
            Some(&i) => {
                if let Some(v) = self.facts.env.get_mut(i) {
                    v.value = value;
                    v.span = span;
                }
            }
            None => {
                self.env_index.insert(name.clone(), self.facts.env.len());
                self.facts.env.push(NameValue { name, value, span });
            }
        }
    }

    fn workdir(&self) -> &str {
        self.facts
            .workdir
            .as_ref()
            .map_or("/", |w| w.value.as_str())
    }

    fn apply(&mut self, inst: &Instruction) {
        let span = inst.span;
        match &inst.kind {
            InstructionKind::Arg(decls) => {
                for d in decls {
                    let value = match self.df.build_arg(&d.name) {
                        Some(v) => Some(v.to_owned()),
                        None => match &d.default {
                            Some(raw) => Some(self.expand(raw, inst)),
                            None => self.df.global_arg(&d.name).map(str::to_owned),
                        },
                    };
                    if let Some(v) = &value {
                        self.facts.args.push(NameValue {
                            name: d.name.clone(),
                            value: v.clone(),
                            span,
                        });
                    }
                    match value {
                        Some(v) => self.args.insert(d.name.clone(), v),
                        None => self.args.remove(&d.name),
                    };
                }
            }
            InstructionKind::Env(pairs) => {
                // All pairs see the environment from before this instruction, as in Docker:
                // `ENV a=1 b=$a` gives `b` the previous value of `a`.
                let expanded: Vec<(String, String)> = pairs
                    .iter()
                    .map(|p| (self.expand(&p.key, inst), self.expand(&p.value, inst)))
                    .collect();
                for (name, value) in expanded {
                    self.set_env(name, value, span);
                }
            }
            InstructionKind::Label(pairs) => {
                for p in pairs {
                    let name = self.expand(&p.key, inst);
                    let value = self.expand(&p.value, inst);
                    match self.label_index.get(&name) {
                        Some(&i) => {
                            if let Some(l) = self.facts.labels.get_mut(i) {
                                l.value = value;
                                l.span = span;
                            }
                        }
                        None => {
                            self.label_index
                                .insert(name.clone(), self.facts.labels.len());
                            self.facts.labels.push(NameValue { name, value, span });
                        }
                    }
                }
            }
            InstructionKind::User(raw) => {
                let value = self.expand(raw, inst);
                self.facts.user = Some(Spanned { value, span });
            }
            InstructionKind::Workdir(raw) => {
                let value = self.expand(raw, inst);
                let value = join(self.workdir(), &value);
                self.facts.workdir = Some(Spanned { value, span });
            }
            InstructionKind::Stopsignal(raw) => {
                let value = self.expand(raw, inst);
                self.facts.stopsignal = Some(Spanned { value, span });
            }
            InstructionKind::Expose(ports) => {
                for p in ports {
                    let value = self.expand(p, inst);
                    self.facts.expose.push(Spanned { value, span });
                }
            }
            InstructionKind::Volume(paths) => {
                for p in paths {
                    let value = self.expand(p, inst);
                    self.facts.volumes.push(Spanned { value, span });
                }
            }
            InstructionKind::Cmd(c) => {
                self.cmd_set = true;
                self.facts.cmd = Some(Spanned {
                    value: c.clone(),
                    span,
                });
            }
            InstructionKind::Entrypoint(c) => {
                self.facts.entrypoint = Some(Spanned {
                    value: c.clone(),
                    span,
                });
                // Docker: ENTRYPOINT resets a CMD not set earlier in the same stage.
                if !self.cmd_set {
                    self.facts.cmd = None;
                }
            }
            InstructionKind::Shell(v) => {
                self.facts.shell = Some(Spanned {
                    value: v.clone(),
                    span,
                })
            }
            InstructionKind::Healthcheck(h) => {
                self.facts.healthcheck = Some(Spanned {
                    value: h.clone(),
                    span,
                })
            }
            InstructionKind::Run(c) => {
                let accounts = self.run_accounts(c, &inst.heredocs, span);
                self.facts.users.extend(accounts.users);
                self.facts.groups.extend(accounts.groups);
                self.facts.runs.push(RunFact {
                    stage: self.stage,
                    command: c.clone(),
                    heredocs: inst.heredocs.clone(),
                    span,
                });
            }
            InstructionKind::Add(p) | InstructionKind::Copy(p) => {
                let sources: Vec<String> = p.sources.iter().map(|s| self.expand(s, inst)).collect();
                let dest = self.expand(&p.dest, inst);
                let path = join(self.workdir(), &dest);
                let from = self.flag(inst, "from");
                let chown = self.flag(inst, "chown");
                let chmod = self.flag(inst, "chmod");
                self.account_copy(inst, &p.sources, &sources, &path, from.clone());
                self.facts.copies.push(CopyFact {
                    stage: self.stage,
                    keyword: inst.keyword(),
                    sources,
                    dest,
                    path,
                    from,
                    chown,
                    chmod,
                    span,
                });
            }
            InstructionKind::From(_)
            | InstructionKind::Onbuild(_)
            | InstructionKind::Maintainer(_) => {}
        }
    }

    /// Users and groups a `RUN` creates.
    fn run_accounts(&mut self, command: &Command, heredocs: &[Heredoc], span: Span) -> Accounts {
        let commands = match command {
            Command::Shell(line) => {
                let words: Vec<&str> = line.split_whitespace().collect();
                match (words.as_slice(), heredocs) {
                    // `RUN <<EOF` runs the body as the script.
                    ([only], [doc]) if only.contains("<<") => split_commands(&doc.body),
                    _ => {
                        let bodies: Vec<String> = heredocs.iter().map(|h| h.body.clone()).collect();
                        split_commands_with_heredocs(line, &bodies)
                    }
                }
            }
            Command::Exec(args) => match args.as_slice() {
                [sh, c, script, ..]
                    if c == "-c" && (sh.ends_with("sh") || sh.ends_with("bash")) =>
                {
                    split_commands(script)
                }
                _ => vec![crate::shell::SimpleCommand {
                    words: args.clone(),
                    ..Default::default()
                }],
            },
        };
        let escape = self.df.escape;
        let resolve = |w: &str| {
            let lookup = |n: &str| self.lookup(n);
            expand(w, escape, &lookup, self.budget).unwrap_or_else(|_| w.to_owned())
        };
        find_accounts(&commands, &resolve, span)
    }

    /// `COPY`/`ADD` into `/etc/passwd` or `/etc/group`.
    fn account_copy(
        &mut self,
        inst: &Instruction,
        raw_sources: &[String],
        sources: &[String],
        path: &str,
        from: Option<String>,
    ) {
        let into_etc = path == "/etc/" || path == "/etc";
        for (raw, source) in raw_sources.iter().zip(sources) {
            let base = source.rsplit('/').next().unwrap_or(source);
            let file = match (path, into_etc, base) {
                ("/etc/passwd", ..) | (_, true, "passwd") => AccountFile::Passwd,
                ("/etc/group", ..) | (_, true, "group") => AccountFile::Group,
                _ => continue,
            };
            let heredoc = crate::heredoc::marker(raw, self.df.escape)
                .and_then(|m| inst.heredocs.iter().find(|h| h.name == m.name));
            match heredoc {
                Some(doc) => {
                    let body = if doc.expand {
                        self.expand_body(&doc.body)
                    } else {
                        doc.body.clone()
                    };
                    match file {
                        AccountFile::Passwd => {
                            self.facts.users.extend(passwd_lines(&body, inst.span))
                        }
                        AccountFile::Group => {
                            self.facts.groups.extend(group_lines(&body, inst.span))
                        }
                    }
                }
                None => self.facts.account_file_copies.push(AccountFileCopy {
                    file,
                    from: from.clone(),
                    span: inst.span,
                }),
            }
        }
    }

    /// A `COPY` heredoc body with `$VAR`s expanded line by line (quotes are kept, as in a heredoc).
    fn expand_body(&self, body: &str) -> String {
        let lookup = |n: &str| self.lookup(n);
        body.lines()
            .map(|l| {
                // Quote characters are literal in a heredoc: protect them from quote removal.
                let protected = l
                    .replace('\\', "\\\\")
                    .replace('\'', "\\'")
                    .replace('"', "\\\"");
                let protected = protected.replace("\\\\$", "\\$");
                expand(&protected, '\\', &lookup, self.budget).unwrap_or_else(|_| l.to_owned())
            })
            .fold(String::new(), |mut acc, l| {
                acc.push_str(&l);
                acc.push('\n');
                acc
            })
    }
}

/// Joins a possibly relative path onto `base`, as Docker resolves `WORKDIR` and `COPY` targets.
fn join(base: &str, path: &str) -> String {
    if path.starts_with('/') || path.is_empty() {
        return if path.is_empty() {
            base.to_owned()
        } else {
            path.to_owned()
        };
    }
    // Windows-style absolute paths (`C:\app`) are taken as they are.
    if path.len() >= 2 && path.as_bytes()[1] == b':' {
        return path.to_owned();
    }
    let mut out = base.trim_end_matches('/').to_owned();
    out.push('/');
    out.push_str(path);
    out
}
