//! The data-driven helpers: render a parse as compact text and compare.

use dockerflow_dockerfile::{
    parse, Command, Dockerfile, Facts, Healthcheck, Instruction, InstructionKind, ParseError,
};

fn command(c: &Command) -> String {
    match c {
        Command::Exec(v) => format!("exec{v:?}"),
        Command::Shell(s) => format!("shell[{s}]"),
    }
}

/// One instruction per line: `KEYWORD --flag=value body <<heredoc[...]`.
pub(crate) fn instruction(i: &Instruction) -> String {
    let mut out = i.keyword().to_owned();
    for f in &i.flags {
        match &f.value {
            Some(v) => out.push_str(&format!(" --{}={v}", f.name)),
            None => out.push_str(&format!(" --{}", f.name)),
        }
    }
    let body = match &i.kind {
        InstructionKind::From(f) => match &f.stage_name {
            Some(n) => format!("{} AS {n}", f.image),
            None => f.image.clone(),
        },
        InstructionKind::Run(c) | InstructionKind::Cmd(c) | InstructionKind::Entrypoint(c) => {
            command(c)
        }
        InstructionKind::Label(kv) | InstructionKind::Env(kv) => kv
            .iter()
            .map(|p| format!("{}=[{}]", p.key, p.value))
            .collect::<Vec<_>>()
            .join(" "),
        InstructionKind::Expose(v) | InstructionKind::Volume(v) => format!("{v:?}"),
        InstructionKind::Add(p) | InstructionKind::Copy(p) => format!(
            "{:?} -> {}{}",
            p.sources,
            p.dest,
            if p.json { " (json)" } else { "" }
        ),
        InstructionKind::User(s)
        | InstructionKind::Workdir(s)
        | InstructionKind::Stopsignal(s)
        | InstructionKind::Maintainer(s) => format!("[{s}]"),
        InstructionKind::Arg(decls) => decls
            .iter()
            .map(|d| match &d.default {
                Some(v) => format!("{}=[{v}]", d.name),
                None => d.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        InstructionKind::Onbuild(inner) => instruction(inner),
        InstructionKind::Healthcheck(Healthcheck::None) => "NONE".into(),
        InstructionKind::Healthcheck(Healthcheck::Cmd(c)) => format!("CMD {}", command(c)),
        InstructionKind::Shell(v) => format!("{v:?}"),
    };
    out.push(' ');
    out.push_str(&body);
    for h in &i.heredocs {
        let mut attrs = Vec::new();
        if h.strip_tabs {
            attrs.push("strip".to_owned());
        }
        if !h.expand {
            attrs.push("literal".to_owned());
        }
        if let Some(fd) = h.fd {
            attrs.push(format!("fd={fd}"));
        }
        out.push_str(&format!(" <<{}({}){:?}", h.name, attrs.join(","), h.body));
    }
    out
}

pub(crate) fn error(e: &ParseError) -> String {
    format!("error {e}")
}

/// Everything a parse says: errors first, then every instruction, stages marked by their FROM.
pub(crate) fn render(df: &Dockerfile, errors: &[ParseError]) -> String {
    let mut out: Vec<String> = errors.iter().map(error).collect();
    for d in &df.directives {
        out.push(format!("directive {}={}", d.name, d.value));
    }
    for i in &df.global_args {
        out.push(instruction(i));
    }
    for s in &df.stages {
        out.push(instruction(&s.from));
        for i in &s.instructions {
            out.push(instruction(i));
        }
    }
    out.join("\n")
}

/// Parses `src` and compares the rendering with `expect` (lines trimmed).
#[track_caller]
pub(crate) fn check(src: &str, expect: &str) {
    let (df, errors) = parse(src);
    let got = render(&df, &errors);
    let want: Vec<&str> = expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(got, want.join("\n"), "\nsource:\n{src}\n");
}

/// Parses `FROM x\n` + `line` and compares the one instruction after FROM with `expect`.
#[track_caller]
pub(crate) fn check_one(line: &str, expect: &str) {
    check(&format!("FROM x\n{line}\n"), &format!("FROM x\n{expect}"));
}

/// Facts of the final stage; panics with the errors when parsing reported any.
#[track_caller]
pub(crate) fn facts(src: &str) -> Facts {
    let (df, errors) = parse(src);
    assert!(errors.is_empty(), "unexpected errors: {errors:#?}");
    df.facts().expect("a final stage")
}

pub(crate) fn cmd_text(c: &Option<dockerflow_dockerfile::Spanned<Command>>) -> String {
    match c {
        Some(c) => command(&c.value),
        None => "none".into(),
    }
}
