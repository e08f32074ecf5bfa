//! A small, quote-aware reader of shell command lines (what a checker wants from them, the
//! users and groups a `RUN` creates, is `accounts.rs`).
//!
//! Not a shell: it splits on `&&`, `||`, `;`, `|`, `&` and newlines, handles quotes, backslash
//! escapes, redirections and heredocs, and leaves `$(...)`, backticks and `$VAR` in the words as
//! written. That is enough to recognise `groupadd`, `useradd`, BusyBox and Debian
//! `addgroup`/`adduser`, and `echo`/`printf`/`cat`/`tee` writing to `/etc/passwd` or `/etc/group`.

use crate::cursor::Cursor;

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
    at: Cursor<'a>,
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
            at: Cursor::new(s),
            external,
            next_external: 0,
            commands: Vec::new(),
            cur: SimpleCommand::default(),
            word: None,
            redirect: None,
            pending: Vec::new(),
        }
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
            while !self.at.rest().is_empty() {
                let rest = self.at.rest();
                let (line, len) = match rest.find('\n') {
                    Some(n) => (&rest[..n], n + 1),
                    None => (rest, rest.len()),
                };
                self.at.skip(len);
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
        while let Some(c) = self.at.bump() {
            match c {
                ' ' | '\t' | '\r' => self.finish_word(),
                '\n' => {
                    self.finish_command(false);
                    self.read_heredoc_bodies();
                }
                ';' | '(' | ')' => self.finish_command(false),
                '&' => {
                    if self.at.peek() == Some('>') {
                        self.at.bump();
                        self.finish_word();
                        let op = if self.at.peek() == Some('>') {
                            self.at.bump();
                            "&>>"
                        } else {
                            "&>"
                        };
                        self.redirect = Some((None, op.to_owned()));
                    } else {
                        if self.at.peek() == Some('&') {
                            self.at.bump();
                        }
                        self.finish_command(false);
                    }
                }
                '|' => {
                    if self.at.peek() == Some('|') {
                        self.at.bump();
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
                    match (c, self.at.peek()) {
                        ('>', Some(n @ ('>' | '&' | '|'))) => {
                            self.at.bump();
                            op.push(n);
                        }
                        ('<', Some(n @ ('&' | '>'))) => {
                            self.at.bump();
                            op.push(n);
                        }
                        ('<', Some('<')) => {
                            self.at.bump();
                            op.push('<');
                            if let Some(n @ ('<' | '-')) = self.at.peek() {
                                self.at.bump();
                                op.push(n);
                            }
                        }
                        _ => {}
                    }
                    self.redirect = Some((fd, op));
                }
                '#' if self.word.is_none() => {
                    while let Some(n) = self.at.peek() {
                        if n == '\n' {
                            break;
                        }
                        self.at.bump();
                    }
                }
                '\'' => {
                    let w = self.word.get_or_insert_with(String::new);
                    let rest = self.at.rest();
                    let n = rest.find('\'').unwrap_or(rest.len());
                    w.push_str(&rest[..n]);
                    self.at.skip(n + 1);
                }
                '"' => {
                    self.word.get_or_insert_with(String::new);
                    while let Some(n) = self.at.bump() {
                        match n {
                            '"' => break,
                            '\\' => match self.at.bump() {
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
                '\\' => match self.at.bump() {
                    Some('\n') => {}
                    Some(n) => self.push(n),
                    None => self.push('\\'),
                },
                '$' if matches!(self.at.peek(), Some('(' | '{')) => {
                    let open = self.at.bump().unwrap_or('(');
                    let close = if open == '(' { ')' } else { '}' };
                    self.push('$');
                    self.push(open);
                    let mut depth = 1usize;
                    while let Some(n) = self.at.bump() {
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
                    while let Some(n) = self.at.bump() {
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
