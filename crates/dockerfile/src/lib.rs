//! Parses Dockerfiles as BuildKit's Dockerfile frontend does and answers what a conformance
//! checker asks about a stage: its user, entrypoint and command, environment, ports, labels,
//! files copied, commands run, and the users and groups those commands create.
//!
//! **Architecture Invariant:** this crate depends on no other workspace crate, and on nothing
//! outside the standard library. It knows nothing of Dockerflow's rules; `dockerflow-check` does.
//!
//! **Architecture Invariant:** parsing never fails: [`parse`] returns
//! `(Dockerfile, Vec<ParseError>)` rather than a `Result`. A malformed or unknown instruction
//! becomes a [`ParseError`] with a [`Span`], and parsing goes on with the next line, so a
//! checker can still judge the rest. No input makes it panic or recurse without bound.
//!
//! ```
//! let src = "\
//! FROM node:12-slim
//! RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --home /app --create-home app
//! USER app
//! ENTRYPOINT [\"npm\"]
//! CMD [\"start\"]
//! ";
//! let (dockerfile, errors) = dockerflow_dockerfile::parse(src);
//! assert!(errors.is_empty());
//! let facts = dockerfile.facts().expect("one stage");
//! let user = facts.user.as_ref().map(|u| u.value.as_str());
//! println!("USER {user:?}");
//! assert_eq!(user, Some("app"));
//! assert_eq!(facts.user_decl("app").and_then(|u| u.uid), Some(10001));
//! ```
//!
//! Where things are: `lines` turns text into logical lines ([`Directive`]s, continuations,
//! heredoc bodies), `instruction` parses one line ([`Instruction`]), `stage`
//! groups them ([`Dockerfile`], [`Stage`]), `expand` does `$VAR` substitution, `facts`
//! evaluates a stage ([`Facts`]), `shell` splits `RUN` commands ([`split_commands`]) and
//! `accounts` finds the users and groups they create ([`find_accounts`]).

//!
//! # Fidelity to BuildKit
//!
//! Followed, from BuildKit's `frontend/dockerfile/parser` and `shell` packages: directives only
//! before the first other line (a blank line, comment or unknown directive ends them); an
//! escape character at the end of a line continues it unless it is itself escaped; comment and
//! empty lines inside a continuation are skipped; heredocs on `RUN`, `COPY`, `ADD` and an
//! `ONBUILD` trigger, with `<<-` tab stripping and quoted delimiters disabling expansion; a JSON
//! array of strings is exec form, text that is not JSON is shell form, and a JSON array holding a
//! non-string is an error; flags are read on every instruction and unknown ones reported; `ENV`
//! pairs of one instruction all see the environment from before it; `ENV` wins over `ARG`; only
//! declared global `ARG`s (and build arguments for them) reach `FROM`; `ENTRYPOINT` resets a
//! `CMD` not set earlier in the same stage.
//!
//! Deliberately different, because a checker wants everything it can get: BuildKit stops at the
//! first error, this parser reports it and goes on; `COPY`, `EXPOSE` and `FROM` arguments are
//! split on unquoted blanks (BuildKit splits on any blank and removes quotes later).
//!
//! The tests under `tests/all/` are the tour: one module per concept, one line per case.

#![deny(missing_docs)]

mod accounts;
mod cursor;
mod error;
mod expand;
mod facts;
mod heredoc;
mod instruction;
mod json;
mod keyword;
mod lines;
mod shell;
mod stage;

pub use accounts::{find_accounts, Accounts, DeclSource, GroupDecl, UserDecl};
pub use error::{ParseError, ParseErrorKind, Span, Spanned};
pub use expand::{MAX_TOTAL_GROWTH, MAX_VALUE_GROWTH};
pub use facts::{AccountFile, AccountFileCopy, CopyFact, Facts, NameValue, RunFact};
pub use heredoc::Heredoc;
pub use instruction::{
    ArgDecl, Command, Flag, Form, FromImage, Healthcheck, Instruction, InstructionKind, KeyValue,
    Keyword, Paths, KEYWORDS,
};
pub use lines::Directive;
pub use shell::{split_commands, split_commands_with_heredocs, Redirect, SimpleCommand};
pub use stage::{parse, parse_with_args, BaseImage, Dockerfile, Stage};
