//! Instructions: their syntax tree ([`Instruction`], [`InstructionKind`]) and the parsing of one
//! logical line into one instruction, with BuildKit's rules for flags, exec (JSON) and shell
//! forms, and `NAME=VALUE` lists.
//!
//! Values are kept as written (quotes and `$VAR` references included): expansion depends on the
//! stage and the build arguments, so it happens when a stage is evaluated ([`crate::Stage`],
//! [`crate::Facts`]).

use crate::error::{LineIndex, ParseError, Span};
use crate::expand::{split_words, unquote};
use crate::heredoc::Heredoc;
use crate::json::{self, JsonArray};
pub use crate::keyword::{Keyword, KEYWORDS};
use crate::lines::LogicalLine;

/// Which form a command was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// A JSON array of strings (`["npm", "start"]`): run directly, signals reach the process.
    Exec,
    /// Anything else: run through the stage's `SHELL` (`/bin/sh -c` by default).
    Shell,
}

/// A command of `RUN`, `CMD`, `ENTRYPOINT` or `HEALTHCHECK CMD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Exec form: the JSON array's strings.
    Exec(Vec<String>),
    /// Shell form: the command line as written (continuations joined, not expanded).
    Shell(String),
}

impl Command {
    /// The form this command was written in.
    pub fn form(&self) -> Form {
        match self {
            Command::Exec(_) => Form::Exec,
            Command::Shell(_) => Form::Shell,
        }
    }

    /// `true` for a JSON array of no strings or an empty shell string.
    pub fn is_empty(&self) -> bool {
        match self {
            Command::Exec(v) => v.is_empty(),
            Command::Shell(s) => s.trim().is_empty(),
        }
    }

    /// The command as one line: the shell string, or the exec arguments joined by spaces.
    pub fn to_line(&self) -> String {
        match self {
            Command::Exec(v) => v.join(" "),
            Command::Shell(s) => s.clone(),
        }
    }
}

/// A `--name=value` (or bare `--name`) flag of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The name without the leading dashes (`from`, `chown`, `platform`, `mount`).
    pub name: String,
    /// The value, quotes removed, not expanded; `None` for a bare `--link`.
    pub value: Option<String>,
    /// The flag in the source.
    pub span: Span,
}

/// A `NAME=VALUE` pair of `ENV` or `LABEL`, as written (quotes kept, not expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The name as written.
    pub key: String,
    /// The value as written.
    pub value: String,
    /// The pair in the source.
    pub span: Span,
}

/// One `NAME[=DEFAULT]` of an `ARG` instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    /// The argument's name (quotes removed).
    pub name: String,
    /// The default as written, if any.
    pub default: Option<String>,
    /// The declaration in the source.
    pub span: Span,
}

/// `FROM [--platform=...] IMAGE [AS NAME]`, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromImage {
    /// The image reference as written (may hold `$ARG` references).
    pub image: String,
    /// The stage name after `AS`, in lower case as BuildKit stores it.
    pub stage_name: Option<String>,
}

/// Sources and destination of `COPY` or `ADD`, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The sources; a heredoc source appears as its marker (`<<EOF`).
    pub sources: Vec<String>,
    /// The destination.
    pub dest: String,
    /// Written as a JSON array.
    pub json: bool,
}

/// The argument of `HEALTHCHECK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`: disables a health check inherited from the base image.
    None,
    /// `HEALTHCHECK [flags] CMD ...`.
    Cmd(Command),
}

/// What an instruction says, by keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstructionKind {
    /// `FROM`.
    From(FromImage),
    /// `RUN`.
    Run(Command),
    /// `CMD`.
    Cmd(Command),
    /// `LABEL`.
    Label(Vec<KeyValue>),
    /// `EXPOSE`: ports as written (`8000`, `8000/tcp`, `$PORT`).
    Expose(Vec<String>),
    /// `ENV`.
    Env(Vec<KeyValue>),
    /// `ADD`.
    Add(Paths),
    /// `COPY`.
    Copy(Paths),
    /// `ENTRYPOINT`.
    Entrypoint(Command),
    /// `VOLUME`: paths as written.
    Volume(Vec<String>),
    /// `USER` as written (`app`, `10001:10001`, `$UID`).
    User(String),
    /// `WORKDIR` as written.
    Workdir(String),
    /// `ARG`.
    Arg(Vec<ArgDecl>),
    /// `ONBUILD` and the instruction it wraps.
    Onbuild(Box<Instruction>),
    /// `STOPSIGNAL` as written.
    Stopsignal(String),
    /// `HEALTHCHECK`.
    Healthcheck(Healthcheck),
    /// `SHELL`: always a JSON array.
    Shell(Vec<String>),
    /// `MAINTAINER` (deprecated) as written.
    Maintainer(String),
}

impl InstructionKind {
    /// The instruction's keyword.
    pub fn keyword(&self) -> Keyword {
        match self {
            InstructionKind::From(_) => Keyword::From,
            InstructionKind::Run(_) => Keyword::Run,
            InstructionKind::Cmd(_) => Keyword::Cmd,
            InstructionKind::Label(_) => Keyword::Label,
            InstructionKind::Expose(_) => Keyword::Expose,
            InstructionKind::Env(_) => Keyword::Env,
            InstructionKind::Add(_) => Keyword::Add,
            InstructionKind::Copy(_) => Keyword::Copy,
            InstructionKind::Entrypoint(_) => Keyword::Entrypoint,
            InstructionKind::Volume(_) => Keyword::Volume,
            InstructionKind::User(_) => Keyword::User,
            InstructionKind::Workdir(_) => Keyword::Workdir,
            InstructionKind::Arg(_) => Keyword::Arg,
            InstructionKind::Onbuild(_) => Keyword::Onbuild,
            InstructionKind::Stopsignal(_) => Keyword::Stopsignal,
            InstructionKind::Healthcheck(_) => Keyword::Healthcheck,
            InstructionKind::Shell(_) => Keyword::Shell,
            InstructionKind::Maintainer(_) => Keyword::Maintainer,
        }
    }
}

/// One instruction of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// What it says.
    pub kind: InstructionKind,
    /// Its `--flags`, in order.
    pub flags: Vec<Flag>,
    /// Heredocs whose bodies follow the instruction line (`RUN`, `COPY`, `ADD` only).
    pub heredocs: Vec<Heredoc>,
    /// From the keyword to the end of the last line (continuations and heredocs included).
    pub span: Span,
    /// The keyword alone.
    pub keyword_span: Span,
}

impl Instruction {
    /// The keyword in upper case (`"COPY"`).
    pub fn keyword(&self) -> &'static str {
        self.kind.keyword().as_str()
    }

    /// The last flag with this name (`"from"`, without dashes), as BuildKit lets the last win.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }
}

pub(crate) struct Parser<'a, 'e> {
    pub(crate) index: &'a LineIndex<'a>,
    pub(crate) escape: char,
    pub(crate) errors: &'e mut Vec<ParseError>,
}

impl Parser<'_, '_> {
    /// Parses one logical line; `None` (with an error recorded) when nothing usable is there.
    pub(crate) fn line(&mut self, line: &mut LogicalLine) -> Option<Instruction> {
        let heredocs = std::mem::take(&mut line.heredocs);
        let mut inst = self.at(line, 0, false)?;
        match &mut inst.kind {
            // The heredocs belong to the trigger (`ONBUILD RUN <<EOF`).
            InstructionKind::Onbuild(inner) => inner.heredocs = heredocs,
            _ => inst.heredocs = heredocs,
        }
        Some(inst)
    }

    fn span(&self, line: &LogicalLine, start: usize, end: usize) -> Span {
        self.index.span(line.src(start), line.src(end))
    }

    fn error(&mut self, span: Span, keyword: &str, message: impl Into<String>) {
        self.errors
            .push(ParseError::new(span, Some(keyword), message.into()));
    }

    /// An error `docker build` refuses the file for (see [`ParseErrorKind::Refused`]).
    fn refuse(&mut self, span: Span, keyword: &str, message: impl Into<String>) {
        self.errors
            .push(ParseError::refused(span, Some(keyword), message.into()));
    }

    /// Parses the instruction starting at byte `off` of the line's text.
    fn at(&mut self, line: &LogicalLine, off: usize, nested: bool) -> Option<Instruction> {
        let text = &line.text;
        let kw_len = text[off..]
            .find(char::is_whitespace)
            .unwrap_or(text.len() - off);
        let keyword_span = self.span(line, off, off + kw_len);
        let span = self.index.span(line.src(off), line.end);
        let raw_keyword = &text[off..off + kw_len];
        let Some(kw) = Keyword::parse(raw_keyword) else {
            self.errors.push(ParseError::refused(
                keyword_span,
                None,
                format!(
                    "expected an instruction ({}), found '{}'",
                    KEYWORDS.join(", "),
                    shorten(raw_keyword)
                ),
            ));
            return None;
        };
        let rest = off + kw_len;
        let (flags, args_off) = self.flags(line, rest);
        let keyword = kw.as_str();
        let known = kw.flags();
        for f in &flags {
            if !known.contains(&f.name.as_str()) {
                let expected = if known.is_empty() {
                    format!("{keyword} takes no flags")
                } else {
                    format!("expected one of --{}", known.join(", --"))
                };
                self.refuse(
                    f.span,
                    keyword,
                    format!("unknown flag --{}: {expected}", f.name),
                );
            }
        }
        let raw_args = &text[args_off..];
        let lead = raw_args.len() - raw_args.trim_start().len();
        let args = raw_args.trim();
        let args_start = args_off + lead;
        let args_span = self.span(line, args_start, args_start + args.len());
        let missing = |what: &str| format!("expected {what}, found nothing");

        let kind = match kw {
            Keyword::From => {
                let words = words(args, self.escape);
                let image = match words.as_slice() {
                    [image] => FromImage {
                        image: image.to_string(),
                        stage_name: None,
                    },
                    [image, as_kw, name] if as_kw.eq_ignore_ascii_case("as") => {
                        let name = name.to_ascii_lowercase();
                        if !valid_stage_name(&name) {
                            self.refuse(
                                args_span,
                                keyword,
                                format!("expected a stage name of letters, digits, '-', '_' and '.' starting with a letter, found '{name}'"),
                            );
                        }
                        FromImage {
                            image: image.to_string(),
                            stage_name: Some(name),
                        }
                    }
                    [] => {
                        self.refuse(args_span, keyword, missing("an image"));
                        return None;
                    }
                    _ => {
                        self.refuse(
                            args_span,
                            keyword,
                            format!(
                                "expected 'FROM IMAGE' or 'FROM IMAGE AS NAME', found {} words: '{}'",
                                words.len(),
                                shorten(args)
                            ),
                        );
                        return None;
                    }
                };
                InstructionKind::From(image)
            }
            Keyword::Run | Keyword::Cmd | Keyword::Entrypoint => {
                if args.is_empty() {
                    self.error(args_span, keyword, missing("a command"));
                    return None;
                }
                let command = self.maybe_json(args, keyword, args_span);
                match kw {
                    Keyword::Run => InstructionKind::Run(command),
                    Keyword::Cmd => InstructionKind::Cmd(command),
                    _ => InstructionKind::Entrypoint(command),
                }
            }
            Keyword::Shell => match json::string_array(args) {
                Some(v) if !v.is_empty() => InstructionKind::Shell(v),
                _ => {
                    self.error(
                        args_span,
                        keyword,
                        format!(
                            "expected a non-empty JSON array of strings, found '{}'",
                            shorten(args)
                        ),
                    );
                    return None;
                }
            },
            Keyword::Env | Keyword::Label => {
                let pairs = self.name_values(line, args_start, args, keyword);
                if pairs.is_empty() {
                    return None;
                }
                if kw == Keyword::Env {
                    InstructionKind::Env(pairs)
                } else {
                    InstructionKind::Label(pairs)
                }
            }
            Keyword::Arg => {
                let mut decls = Vec::new();
                for (s, e) in split_words(args, self.escape) {
                    let word = &args[s..e];
                    let span = self.span(line, args_start + s, args_start + e);
                    let (name, default) = match word.split_once('=') {
                        Some((n, d)) => (n, Some(d.to_owned())),
                        None => (word, None),
                    };
                    let name = unquote(name, self.escape);
                    if name.is_empty() {
                        self.refuse(
                            span,
                            keyword,
                            format!("expected NAME or NAME=DEFAULT, found '{}'", shorten(word)),
                        );
                        continue;
                    }
                    decls.push(ArgDecl {
                        name,
                        default,
                        span,
                    });
                }
                if decls.is_empty() {
                    self.refuse(args_span, keyword, missing("NAME or NAME=DEFAULT"));
                    return None;
                }
                InstructionKind::Arg(decls)
            }
            Keyword::Expose | Keyword::Volume => {
                let list = if kw == Keyword::Volume {
                    self.maybe_json_list(args, keyword, args_span).0
                } else {
                    words(args, self.escape)
                };
                if list.is_empty() {
                    self.refuse(
                        args_span,
                        keyword,
                        missing(if kw == Keyword::Expose {
                            "a port"
                        } else {
                            "a path"
                        }),
                    );
                    return None;
                }
                if kw == Keyword::Expose {
                    InstructionKind::Expose(list)
                } else {
                    InstructionKind::Volume(list)
                }
            }
            Keyword::User | Keyword::Workdir | Keyword::Stopsignal | Keyword::Maintainer => {
                if args.is_empty() {
                    let what = match kw {
                        Keyword::User => "a user (NAME, UID, NAME:GROUP or UID:GID)",
                        Keyword::Workdir => "a path",
                        Keyword::Stopsignal => "a signal",
                        _ => "a name",
                    };
                    self.refuse(args_span, keyword, missing(what));
                    return None;
                }
                let value = args.to_owned();
                match kw {
                    Keyword::User => InstructionKind::User(value),
                    Keyword::Workdir => InstructionKind::Workdir(value),
                    Keyword::Stopsignal => InstructionKind::Stopsignal(value),
                    _ => InstructionKind::Maintainer(value),
                }
            }
            Keyword::Add | Keyword::Copy => {
                let (list, json) = self.maybe_json_list(args, keyword, args_span);
                if list.len() < 2 {
                    self.refuse(
                        args_span,
                        keyword,
                        format!(
                            "expected at least one source and a destination, found {} argument(s)",
                            list.len()
                        ),
                    );
                    return None;
                }
                let mut sources = list;
                let dest = sources.pop().unwrap_or_default();
                let paths = Paths {
                    sources,
                    dest,
                    json,
                };
                if kw == Keyword::Add {
                    InstructionKind::Add(paths)
                } else {
                    InstructionKind::Copy(paths)
                }
            }
            Keyword::Healthcheck => {
                let first_len = args.find(char::is_whitespace).unwrap_or(args.len());
                let first = &args[..first_len];
                let after = args[first_len..].trim();
                if first.eq_ignore_ascii_case("NONE") {
                    if !after.is_empty() || !flags.is_empty() {
                        self.refuse(
                            args_span,
                            keyword,
                            format!(
                                "expected nothing with HEALTHCHECK NONE, found '{}'",
                                shorten(args)
                            ),
                        );
                    }
                    InstructionKind::Healthcheck(Healthcheck::None)
                } else if first.eq_ignore_ascii_case("CMD") {
                    if after.is_empty() {
                        self.refuse(args_span, keyword, missing("a command after CMD"));
                        return None;
                    }
                    InstructionKind::Healthcheck(Healthcheck::Cmd(
                        self.maybe_json(after, keyword, args_span),
                    ))
                } else {
                    self.refuse(
                        args_span,
                        keyword,
                        format!("expected NONE or CMD, found '{}'", shorten(first)),
                    );
                    return None;
                }
            }
            Keyword::Onbuild => {
                if nested {
                    self.refuse(
                        keyword_span,
                        keyword,
                        "expected an instruction other than ONBUILD inside ONBUILD, found ONBUILD",
                    );
                    return None;
                }
                if args.is_empty() {
                    self.refuse(args_span, keyword, missing("an instruction"));
                    return None;
                }
                let trigger = args.split_whitespace().next().unwrap_or("");
                if matches!(
                    Keyword::parse(trigger),
                    Some(Keyword::Onbuild | Keyword::From | Keyword::Maintainer)
                ) {
                    self.error(
                        args_span,
                        keyword,
                        format!(
                            "expected an instruction other than ONBUILD, FROM or MAINTAINER as a trigger, found {}",
                            trigger.to_ascii_uppercase()
                        ),
                    );
                    return None;
                }
                let inner = self.at(line, args_start, true)?;
                InstructionKind::Onbuild(Box::new(inner))
            }
        };
        Some(Instruction {
            kind,
            flags,
            heredocs: Vec::new(),
            span,
            keyword_span,
        })
    }

    /// BuildKit's `parseMaybeJSON`: a JSON array of strings is exec form; text that is not a
    /// JSON array is shell form. A JSON array holding a non-string is an error in BuildKit; it
    /// is reported and read as shell form so the instruction is not lost.
    fn maybe_json(&mut self, args: &str, keyword: &str, span: Span) -> Command {
        match json::array(args) {
            JsonArray::Strings(v) => Command::Exec(v),
            JsonArray::NotStrings => {
                self.not_strings(keyword, span);
                Command::Shell(args.to_owned())
            }
            JsonArray::Invalid => Command::Shell(args.to_owned()),
        }
    }

    /// BuildKit's `parseMaybeJSONToList` (`COPY`, `ADD`, `VOLUME`): the list and whether it
    /// was JSON.
    fn maybe_json_list(&mut self, args: &str, keyword: &str, span: Span) -> (Vec<String>, bool) {
        match json::array(args) {
            JsonArray::Strings(v) => (v, true),
            JsonArray::NotStrings => {
                self.not_strings(keyword, span);
                (words(args, self.escape), false)
            }
            JsonArray::Invalid => (words(args, self.escape), false),
        }
    }

    fn not_strings(&mut self, keyword: &str, span: Span) {
        self.error(
            span,
            keyword,
            "expected a JSON array of strings only, found a non-string element",
        );
    }

    /// Leading `--name[=value]` words after the keyword (BuildKit's `extractBuilderFlags`).
    fn flags(&mut self, line: &LogicalLine, from: usize) -> (Vec<Flag>, usize) {
        let text = &line.text[from..];
        let mut flags = Vec::new();
        let mut args = text.len();
        for (s, e) in crate::expand::words(text, self.escape) {
            let word = &text[s..e];
            if word == "--" {
                args = e;
                break;
            }
            let Some(body) = word.strip_prefix("--") else {
                args = s;
                break;
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(unquote(v, self.escape))),
                None => (body.to_owned(), None),
            };
            flags.push(Flag {
                name: name.to_ascii_lowercase(),
                value,
                span: self.span(line, from + s, from + e),
            });
        }
        (flags, from + args)
    }

    /// `ENV`/`LABEL` arguments: `NAME VALUE` (legacy) or `NAME=VALUE ...` (BuildKit `parseNameVal`).
    fn name_values(
        &mut self,
        line: &LogicalLine,
        args_start: usize,
        args: &str,
        keyword: &str,
    ) -> Vec<KeyValue> {
        let words = split_words(args, self.escape);
        let all = self.span(line, args_start, args_start + args.len());
        let Some(&(s0, e0)) = words.first() else {
            self.refuse(all, keyword, "expected NAME=VALUE, found nothing");
            return Vec::new();
        };
        if !args[s0..e0].contains('=') {
            let value = args[e0..].trim();
            if value.is_empty() {
                self.refuse(
                    all,
                    keyword,
                    format!(
                        "expected '{keyword} NAME=VALUE' or '{keyword} NAME VALUE', found only '{}'",
                        shorten(&args[s0..e0])
                    ),
                );
                return Vec::new();
            }
            return vec![KeyValue {
                key: args[s0..e0].to_owned(),
                value: value.to_owned(),
                span: all,
            }];
        }
        let mut out = Vec::new();
        for (s, e) in words {
            let word = &args[s..e];
            let span = self.span(line, args_start + s, args_start + e);
            match word.split_once('=') {
                Some((k, v)) if !k.is_empty() => out.push(KeyValue {
                    key: k.to_owned(),
                    value: v.to_owned(),
                    span,
                }),
                Some(_) => self.refuse(
                    span,
                    keyword,
                    format!("expected a name before '=', found '{}'", shorten(word)),
                ),
                None => self.refuse(
                    span,
                    keyword,
                    format!("expected NAME=VALUE, found '{}'", shorten(word)),
                ),
            }
        }
        out
    }
}

fn words(args: &str, escape: char) -> Vec<String> {
    split_words(args, escape)
        .into_iter()
        .map(|(s, e)| args[s..e].to_owned())
        .collect()
}

/// BuildKit: `^[a-z][a-z0-9-_\.]*$`.
fn valid_stage_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Keeps error messages readable when the input is a 10 MB line.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut cut = MAX;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &s[..cut])
}
