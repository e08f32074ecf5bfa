//! What the checker says about each rule: findings, the report and the verdict.

use std::fmt;

use crate::rule::{Level, Profile, Rule};

/// The outcome of one rule on one input (CONTRACT.md section 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The rule holds.
    Pass,
    /// A MUST rule is broken.
    Fail,
    /// A SHOULD rule is broken, or a profile accepts what the strict reading would not.
    Warn,
    /// The input does not allow judging the rule; the reason says why.
    Skipped(String),
}

impl Outcome {
    /// `pass`, `fail`, `warn` or `skipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Warn => "warn",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

/// Where a finding points. Every part is optional: an image finding may name a file and a
/// layer, a Dockerfile finding a file and a line, a config finding the config key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// A path inside the image (`/app/version.json`) or the Dockerfile's path as given.
    pub path: Option<String>,
    /// The image layer (0 is the lowest) that last wrote `path`.
    pub layer: Option<usize>,
    /// The Dockerfile line (1-based) of the instruction.
    pub line: Option<u32>,
    /// The image configuration key (`User`, `Env`, `Labels`, ...).
    pub field: Option<String>,
}

impl Location {
    /// A key of the image configuration.
    pub fn field(name: &str) -> Location {
        Location {
            field: Some(name.to_string()),
            ..Location::default()
        }
    }

    /// A path in the image, written by `layer`.
    pub fn file(path: &str, layer: Option<usize>) -> Location {
        Location {
            path: Some(path.to_string()),
            layer,
            ..Location::default()
        }
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self == &Location::default()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match (&self.path, self.line) {
            (Some(p), Some(l)) => parts.push(format!("{p}:{l}")),
            (Some(p), None) => parts.push(p.clone()),
            (None, Some(l)) => parts.push(format!("line {l}")),
            (None, None) => {}
        }
        if let Some(l) = self.layer {
            parts.push(format!("layer {l}"));
        }
        if let Some(k) = &self.field {
            parts.push(format!("image config {k}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// What a rule's judge returns: the finding without the rule and the ignore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// [`Verdict`]-relevant outcome before the rule's level is applied.
    pub outcome: Judged,
    /// What was found, in words. Never contains a secret value.
    pub found: String,
    /// What the rule expects, in words.
    pub expected: String,
    /// Where.
    pub location: Location,
}

/// A judge's outcome, before the rule's level turns "broken" into fail or warn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// The rule holds.
    Pass,
    /// The rule is broken: fail for MUST, warn for SHOULD.
    Broken,
    /// Accepted with a warning (a profile's relaxation).
    Warn,
    /// Not judged, with the reason.
    Skipped(String),
}

impl Judgement {
    /// A pass.
    pub fn pass(found: impl Into<String>, expected: &str, location: Location) -> Judgement {
        Judgement::new(Judged::Pass, found, expected, location)
    }

    /// A broken rule.
    pub fn broken(found: impl Into<String>, expected: &str, location: Location) -> Judgement {
        Judgement::new(Judged::Broken, found, expected, location)
    }

    /// Accepted with a warning.
    pub fn warn(found: impl Into<String>, expected: &str, location: Location) -> Judgement {
        Judgement::new(Judged::Warn, found, expected, location)
    }

    /// Not judged.
    pub fn skipped(reason: impl Into<String>, expected: &str) -> Judgement {
        Judgement::new(
            Judged::Skipped(reason.into()),
            "",
            expected,
            Location::default(),
        )
    }

    fn new(
        outcome: Judged,
        found: impl Into<String>,
        expected: &str,
        location: Location,
    ) -> Judgement {
        Judgement {
            outcome,
            found: found.into(),
            expected: expected.to_string(),
            location,
        }
    }
}

/// One rule's result on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule, from [`crate::RULES`].
    pub rule: &'static Rule,
    /// Pass, fail, warn or skipped.
    pub outcome: Outcome,
    /// What was found. Never contains a secret value.
    pub found: String,
    /// What was expected.
    pub expected: String,
    /// Where.
    pub location: Location,
    /// The reason given for ignoring this rule, when it is ignored: the outcome is still
    /// reported but does not count towards the verdict.
    pub ignored: Option<String>,
}

impl Finding {
    pub(crate) fn from_judgement(rule: &'static Rule, j: Judgement) -> Finding {
        let outcome = match j.outcome {
            Judged::Pass => Outcome::Pass,
            Judged::Broken if rule.level == Level::Must => Outcome::Fail,
            Judged::Broken | Judged::Warn => Outcome::Warn,
            Judged::Skipped(r) => Outcome::Skipped(r),
        };
        Finding {
            rule,
            outcome,
            found: j.found,
            expected: j.expected,
            location: j.location,
            ignored: None,
        }
    }

    /// Whether this finding makes the verdict fail.
    pub fn fails(&self) -> bool {
        self.outcome == Outcome::Fail && self.ignored.is_none()
    }
}

/// What was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A built image.
    Image,
    /// A Dockerfile stage.
    Dockerfile,
    /// A running service at a URL.
    Url,
    /// Log lines.
    Logs,
    /// One workload container in Kubernetes manifests.
    Kubernetes,
}

impl InputKind {
    /// `image`, `dockerfile`, `url`, `logs` or `kubernetes`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Image => "image",
            InputKind::Dockerfile => "dockerfile",
            InputKind::Url => "url",
            InputKind::Logs => "logs",
            InputKind::Kubernetes => "kubernetes",
        }
    }
}

/// The overall result (CONTRACT.md section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No MUST rule failed (warnings allowed).
    Pass,
    /// At least one MUST rule failed and was not ignored.
    Fail,
}

impl Verdict {
    /// `pass` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

/// Counts of findings by outcome; ignored findings are counted only as ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Rules that hold.
    pub pass: usize,
    /// MUST rules broken.
    pub fail: usize,
    /// SHOULD rules broken, and profile relaxations.
    pub warn: usize,
    /// Rules not judged.
    pub skipped: usize,
    /// Rules ignored with a reason.
    pub ignored: usize,
}

/// All findings for one input, one per rule in catalogue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Image or Dockerfile.
    pub kind: InputKind,
    /// The input as the user named it (`oci:dir`, `path/Dockerfile`).
    pub subject: String,
    /// The profile used.
    pub profile: Profile,
    /// One finding per rule in the profile.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Fail when any MUST rule failed and is not ignored.
    pub fn verdict(&self) -> Verdict {
        if self.findings.iter().any(Finding::fails) {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    /// Counts by outcome.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.findings {
            if f.ignored.is_some() {
                s.ignored += 1;
                continue;
            }
            match f.outcome {
                Outcome::Pass => s.pass += 1,
                Outcome::Fail => s.fail += 1,
                Outcome::Warn => s.warn += 1,
                Outcome::Skipped(_) => s.skipped += 1,
            }
        }
        s
    }

    /// The finding for a rule id.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.rule.id == id)
    }

    /// The ids of the rules that fail the verdict (failed MUST rules not ignored), in the
    /// findings' order.
    pub fn failing(&self) -> Vec<&'static str> {
        self.findings
            .iter()
            .filter(|f| f.fails())
            .map(|f| f.rule.id)
            .collect()
    }
}
