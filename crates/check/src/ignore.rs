//! Per-rule ignores. Each one must say why: what hadolint leaves to convention, we enforce.

use std::fmt;

use crate::catalogue::rule;
use crate::rule::Rule;

/// One ignored rule and the reason given for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The rule.
    pub rule: &'static Rule,
    /// Why it does not apply (never empty).
    pub reason: String,
    /// Where it was given: `--ignore` or `FILE:LINE`.
    pub origin: String,
}

/// A rejected ignore: what was given, where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreError {
    /// `--ignore` or `FILE:LINE`.
    pub origin: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for IgnoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

impl std::error::Error for IgnoreError {}

/// The ignores of one run, from `--ignore ID=REASON` flags and `.dockerflow-check` files.
///
/// ```
/// let mut ignores = dockerflow_check::Ignores::default();
/// ignores.add_flag("DF303=the port comes from the Helm chart").unwrap();
/// let err = ignores.add_flag("DF201").unwrap_err();
/// assert!(err.to_string().contains("needs a reason"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ignores {
    items: Vec<Ignore>,
}

impl Ignores {
    /// Adds `ID=REASON` from a command-line flag.
    pub fn add_flag(&mut self, arg: &str) -> Result<(), IgnoreError> {
        let (id, reason) = match arg.split_once('=') {
            Some((id, reason)) => (id.trim(), reason.trim()),
            None => (arg.trim(), ""),
        };
        self.add(id, reason, "--ignore")
    }

    /// Adds every line of a `.dockerflow-check` file: `ID REASON...`; blank lines and lines
    /// starting with `#` are skipped. `file` names the file in errors.
    pub fn add_file(&mut self, text: &str, file: &str) -> Result<(), IgnoreError> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, reason) = match line.split_once(|c: char| c.is_whitespace() || c == '=') {
                Some((id, reason)) => (id, reason.trim()),
                None => (line, ""),
            };
            self.add(id, reason, &format!("{file}:{}", n + 1))?;
        }
        Ok(())
    }

    /// Adds an inline ignore, `DF802[,DF810]` and its reason, given at `origin` (`FILE:LINE`):
    /// a Dockerfile pragma or a Kubernetes annotation.
    pub fn add_inline(&mut self, ids: &str, reason: &str, origin: &str) -> Result<(), IgnoreError> {
        let mut any = false;
        for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            self.add(id, reason, origin)?;
            any = true;
        }
        if any {
            Ok(())
        } else {
            Err(IgnoreError {
                origin: origin.to_string(),
                message: "no rule id; expected `DF802[,DF810] why it does not apply here`".into(),
            })
        }
    }

    /// Adds every ignore of `other`; for a rule in both, `other`'s reason wins.
    pub fn extend(&mut self, other: &Ignores) {
        for i in &other.items {
            self.items.retain(|mine| mine.rule.id != i.rule.id);
            self.items.push(i.clone());
        }
    }

    fn add(&mut self, id: &str, reason: &str, origin: &str) -> Result<(), IgnoreError> {
        let err = |message: String| IgnoreError {
            origin: origin.to_string(),
            message,
        };
        let Some(rule) = rule(id) else {
            let ids: Vec<&str> = crate::RULES.iter().map(|r| r.id).collect();
            return Err(err(format!(
                "unknown rule id {id:?}; expected one of {}",
                ids.join(", ")
            )));
        };
        if reason.is_empty() {
            let example = if origin == "--ignore" {
                format!("--ignore '{}=why it does not apply here'", rule.id)
            } else {
                format!("{} why it does not apply here", rule.id)
            };
            return Err(err(format!(
                "ignoring {} needs a reason; expected `{example}`",
                rule.id
            )));
        }
        self.items.retain(|i| i.rule.id != rule.id);
        self.items.push(Ignore {
            rule,
            reason: reason.to_string(),
            origin: origin.to_string(),
        });
        Ok(())
    }

    /// The ignore for a rule id, if any.
    pub fn get(&self, id: &str) -> Option<&Ignore> {
        self.items.iter().find(|i| i.rule.id == id)
    }

    /// Every ignore, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &Ignore> {
        self.items.iter()
    }
}
