//! The `dockerflow` command: a thin shell over `dockerflow-check`, `dockerflow-report`,
//! `dockerflow-build`, `dockerflow-registry` and `dockerflow-image` (which opens every image
//! reference). The command line is declared in `cli` (clap); each subcommand has a module that
//! takes its typed arguments. Exit status: 0 pass, 1 a rule failed, 2 could not check or a
//! usage error (the reason on stderr, one line: a `Fatal`, worded in `fatal.rs`).
//!
//! The command is a library function, [`main`], so that two binaries run the same code: the
//! crate's `dockerflow` and the repository root's `dockerflow-pre-commit`, which pre-commit's
//! `language: rust` installs (it can only install the package at a repository's root). It is
//! not an API: the command line is.

#![deny(missing_docs)]

mod build;
mod check;
mod ci;
mod cli;
mod deploy;
mod fatal;
mod fleet;
mod kubernetes;
mod logs;
mod mask;
mod merge;
mod pragma;
mod publish;
mod run;
mod say;
mod url;
mod values;
mod version;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::fatal::{refused, Fatal};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The bytes of the file at `path`, or of stdin for `-`.
fn read_input(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// A clap usage error in the command's one wording, on one line: `WHAT; TIP (see
/// `dockerflow COMMAND --help`)`, COMMAND being the subcommands `args` named.
fn usage_error(e: &clap::Error, args: &[OsString]) -> String {
    let mut what = String::new();
    for line in e.render().to_string().lines().map(str::trim) {
        if line.is_empty()
            || line.starts_with("Usage: ")
            || line.starts_with("For more information")
            // clap's "to pass '--run' as a value, use '-- --run'" misleads for a flag that
            // belongs to another command.
            || line.starts_with("tip: to pass ")
        {
            continue;
        }
        let line = line.strip_prefix("error: ").unwrap_or(line);
        let line = line.strip_prefix("tip: ").unwrap_or(line);
        if !what.is_empty() {
            what.push_str(if line.starts_with('[') || what.ends_with(':') {
                " "
            } else {
                "; "
            });
        }
        what.push_str(line);
    }
    let mut command = Cli::command();
    let mut path = vec!["dockerflow".to_string()];
    for arg in args.iter().skip(1).filter_map(|a| a.to_str()) {
        match command.find_subcommand(arg) {
            Some(sub) => {
                path.push(arg.to_string());
                command = sub.clone();
            }
            None if arg.starts_with('-') => {}
            None => break,
        }
    }
    format!("{what} (see `{} --help`)", path.join(" "))
}

/// `dockerflow man [COMMAND...]`: the page of `dockerflow` or of one of its commands, named
/// `dockerflow-check-image` and so on.
fn man(path: &[String]) -> Result<ExitCode, Fatal> {
    let mut command = Cli::command();
    command.build();
    let mut name = String::from("dockerflow");
    for word in path {
        let sub = command.find_subcommand(word).cloned().ok_or_else(|| {
            refused(format!(
                "`dockerflow {}` is not a command; expected one of: {}",
                path.join(" "),
                command
                    .get_subcommands()
                    .map(|c| c.get_name().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        name = format!("{name}-{word}");
        command = sub;
    }
    // clap names are `&'static str` (without its `string` feature); one small leak at exit.
    let command = command.name(&*Box::leak(name.into_boxed_str()));
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .and_then(|()| out.flush())
        .or_else(|e| match e.kind() {
            // A closed pipe (`| head`) is not worth an error.
            std::io::ErrorKind::BrokenPipe => Ok(()),
            _ => Err(Fatal::io("cannot write the man page", e)),
        })
        .map(|()| ExitCode::SUCCESS)
}

/// Runs the command with the process's arguments; the binaries' `main`.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: to stdout, exit 0.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("dockerflow: error: {}", usage_error(&e, &args));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Check(c) => check::run(&c),
        Command::Version(a) => version::run(&a),
        Command::Build(a) => build::run(&a),
        Command::Publish(a) => publish::run(&a),
        Command::Ci(a) => ci::run(&a),
        Command::Report(cli::ReportCommand::Merge(a)) => merge::run(&a),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "dockerflow",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { command } => man(&command),
    };
    match result {
        Ok(code) => code,
        Err(fatal) => {
            eprintln!("dockerflow: error: {fatal}");
            ExitCode::from(2)
        }
    }
}
