//! The Dockerfile as a whole: parser directives, global `ARG`s, and build stages with their base
//! image resolved (global `ARG`s and build arguments expanded in `FROM`, as BuildKit does).

use std::collections::HashMap;

use crate::error::{LineIndex, ParseError, Span};
use crate::expand::{expand, unquote, Budget};
use crate::instruction::{Instruction, InstructionKind, Parser};
use crate::lines::{self, Directive};

/// A parsed Dockerfile. Build it with [`parse`] or [`parse_with_args`].
#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// Parser directives from the top of the file, in order.
    pub directives: Vec<Directive>,
    /// The escape character: `\` unless `# escape=`` ` `` chose the backtick.
    pub escape: char,
    /// `ARG` instructions before the first `FROM` (the only instruction allowed there).
    pub global_args: Vec<Instruction>,
    /// The build stages in order; the last one is what `docker build` produces by default.
    pub stages: Vec<Stage>,
    pub(crate) build_args: Vec<(String, String)>,
    /// Values of the global `ARG`s after defaults and build arguments (unset ones absent).
    pub(crate) global_values: HashMap<String, String>,
}

/// One build stage: a `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Position among the stages, from 0 (what `COPY --from=0` refers to).
    pub index: usize,
    /// The name after `AS`, lower case.
    pub name: Option<String>,
    /// The `FROM` instruction.
    pub from: Instruction,
    /// The base image, expanded.
    pub base: BaseImage,
    /// The instructions after `FROM`, in order.
    pub instructions: Vec<Instruction>,
}

/// A stage's base, after expansion of global `ARG`s and build arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// The image reference (`node:12-slim`, `scratch`), or the name of an earlier stage.
    pub reference: String,
    /// The index of the earlier stage it names, if it names one.
    pub stage: Option<usize>,
    /// The `--platform` value, expanded; `None` when absent or when it expands to nothing
    /// (BuildKit's automatic `$BUILDPLATFORM`/`$TARGETPLATFORM` are unknown to a parser).
    pub platform: Option<String>,
    /// The `FROM` instruction.
    pub span: Span,
}

impl BaseImage {
    /// `true` when the base is another stage of this Dockerfile.
    pub fn is_stage(&self) -> bool {
        self.stage.is_some()
    }

    /// `true` for `FROM scratch`, the empty image.
    pub fn is_scratch(&self) -> bool {
        self.stage.is_none() && self.reference.eq_ignore_ascii_case("scratch")
    }
}

impl Dockerfile {
    /// The last stage: what a build without `--target` produces.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The stage named `target` (case-insensitive, as `--target` does) or, failing that, the
    /// stage with that index.
    pub fn stage(&self, target: &str) -> Option<&Stage> {
        let lower = target.to_ascii_lowercase();
        self.stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
            .or_else(|| {
                target
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| self.stages.get(i))
            })
    }

    /// The stages from the first ancestor to `index` through `FROM <stage>` links, in build
    /// order. Empty when `index` is out of range.
    pub fn lineage(&self, index: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut at = Some(index).filter(|&i| i < self.stages.len());
        while let Some(i) = at {
            chain.push(i);
            // A base stage always has a smaller index, so this terminates.
            at = self.stages[i].base.stage.filter(|&p| p < i);
        }
        chain.reverse();
        chain
    }

    /// Build arguments this Dockerfile was parsed with.
    pub fn build_args(&self) -> &[(String, String)] {
        &self.build_args
    }

    /// The value of a global `ARG` (declared before the first `FROM`) after its default and the
    /// build arguments; `None` when undeclared or declared without a value.
    pub fn global_arg(&self, name: &str) -> Option<&str> {
        self.global_values.get(name).map(String::as_str)
    }

    pub(crate) fn build_arg(&self, name: &str) -> Option<&str> {
        self.build_args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a Dockerfile. Never fails and never panics: problems come back as errors, each with a
/// span, and the instructions around them are still parsed.
pub fn parse(src: &str) -> (Dockerfile, Vec<ParseError>) {
    parse_with_args(src, &[])
}

/// [`parse`] with build arguments (`docker build --build-arg NAME=VALUE`), which override the
/// defaults of declared `ARG`s, in `FROM` lines and in stages.
pub fn parse_with_args(src: &str, build_args: &[(&str, &str)]) -> (Dockerfile, Vec<ParseError>) {
    let index = LineIndex::new(src);
    let mut errors = Vec::new();
    let mut split = lines::split(src, &index, &mut errors);
    let escape = split.escape;
    let mut df = Dockerfile {
        directives: split.directives,
        escape,
        global_args: Vec::new(),
        stages: Vec::new(),
        build_args: build_args
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        global_values: HashMap::new(),
    };
    let mut parser = Parser {
        index: &index,
        escape,
        errors: &mut errors,
    };
    let mut instructions = Vec::new();
    let mut stage_names: HashMap<String, usize> = HashMap::new();
    for line in &mut split.lines {
        if let Some(inst) = parser.line(line) {
            instructions.push(inst);
        }
    }

    let budget = Budget::new();
    for inst in instructions {
        let (span, keyword) = (inst.span, inst.keyword());
        match &inst.kind {
            InstructionKind::From(from) => {
                let lookup = |n: &str| df.global_values.get(n).cloned();
                let mut expand_from = |raw: &str| match expand(raw, escape, &lookup, &budget) {
                    Ok(v) => v,
                    Err(e) => {
                        if let Some(e) = e.syntax() {
                            errors.push(ParseError::new(inst.span, Some("FROM"), e));
                        }
                        unquote(raw, escape)
                    }
                };
                let reference = expand_from(&from.image);
                let platform = inst
                    .flag("platform")
                    .and_then(|f| f.value.as_deref())
                    .map(&mut expand_from)
                    // `$BUILDPLATFORM` and friends are BuildKit's to fill in: unknown here.
                    .filter(|p| !p.is_empty());
                if reference.is_empty() {
                    errors.push(ParseError::new(
                        inst.span,
                        Some("FROM"),
                        format!(
                            "expected an image name, found '{}' expanding to nothing",
                            from.image
                        ),
                    ));
                }
                let stage = stage_names.get(&reference.to_ascii_lowercase()).copied();
                if let Some(name) = &from.stage_name {
                    if stage_names.contains_key(name) {
                        errors.push(ParseError::new(
                            inst.span,
                            Some("FROM"),
                            format!("expected a stage name not used before, found '{name}' again"),
                        ));
                    } else {
                        stage_names.insert(name.clone(), df.stages.len());
                    }
                }
                df.stages.push(Stage {
                    index: df.stages.len(),
                    name: from.stage_name.clone(),
                    base: BaseImage {
                        reference,
                        stage,
                        platform,
                        span: inst.span,
                    },
                    from: inst,
                    instructions: Vec::new(),
                });
            }
            _ => match df.stages.last_mut() {
                Some(stage) => stage.instructions.push(inst),
                None => {
                    if let InstructionKind::Arg(decls) = &inst.kind {
                        for d in decls {
                            let value = match df.build_arg(&d.name) {
                                Some(v) => Some(v.to_owned()),
                                None => d.default.as_deref().map(|raw| {
                                    let lookup = |n: &str| df.global_values.get(n).cloned();
                                    expand(raw, escape, &lookup, &budget).unwrap_or_else(|e| {
                                        if let Some(e) = e.syntax() {
                                            errors.push(ParseError::new(d.span, Some("ARG"), e));
                                        }
                                        unquote(raw, escape)
                                    })
                                }),
                            };
                            match value {
                                Some(v) => df.global_values.insert(d.name.clone(), v),
                                None => df.global_values.remove(&d.name),
                            };
                        }
                        df.global_args.push(inst);
                    } else {
                        errors.push(ParseError::new(
                            inst.keyword_span,
                            Some(inst.keyword()),
                            format!(
                                "expected FROM (or ARG) before any other instruction, found {}",
                                inst.keyword()
                            ),
                        ));
                    }
                }
            },
        }
        if let Some(message) = budget.take_failure() {
            errors.push(ParseError::budget(span, Some(keyword), message));
        }
    }
    if df.stages.is_empty() {
        let end = src.len();
        errors.push(ParseError::new(
            index.span(end, end),
            None,
            "expected at least one FROM instruction, found none",
        ));
    }
    (df, errors)
}
