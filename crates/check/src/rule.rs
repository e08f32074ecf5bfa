//! What a rule is: its [`Level`], the [`Profile`]s that run it, its life cycle ([`Status`]),
//! and the [`Rule`] record that holds its words beside its four judges. The rules themselves
//! are the catalogue's data (`catalogue.rs`).

use std::fmt;

use crate::kubernetes::Container;
use crate::model::{DockerfileModel, ImageModel};
use crate::runtime::RuntimeModel;
use crate::Judgement;

/// How binding a rule is (CONTRACT.md's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Broken means the check fails.
    Must,
    /// Broken means a warning.
    Should,
}

impl Level {
    /// `MUST` or `SHOULD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }
}

/// A reading of the contract (CONTRACT.md section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// CONTRACT.md as written. The default.
    #[default]
    Strict,
    /// What Mozilla's current images do: a non-root user other than 10001 and images with only
    /// one of `Entrypoint`/`Cmd` warn instead of failing.
    Mozcloud,
}

impl Profile {
    /// Every profile.
    pub const ALL: &'static [Profile] = &[Profile::Strict, Profile::Mozcloud];

    /// `strict` or `mozcloud`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Strict => "strict",
            Profile::Mozcloud => "mozcloud",
        }
    }

    /// Parses `strict` or `mozcloud`.
    pub fn parse(s: &str) -> Option<Profile> {
        Profile::ALL.iter().copied().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a rule is in its life. Retired ids stay in the catalogue so they are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Run and reported.
    Stable,
    /// Run and reported; its wording or logic may still change.
    Preview,
    /// No longer run; the id stays reserved.
    Removed,
}

impl Status {
    /// `stable`, `preview` or `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Stable => "stable",
            Status::Preview => "preview",
            Status::Removed => "removed",
        }
    }
}

/// Judges a rule from an image.
pub type ImageRule = fn(&ImageModel, Profile) -> Judgement;
/// Judges a rule from a Dockerfile stage.
pub type DockerfileRule = fn(&DockerfileModel, Profile) -> Judgement;
/// Judges a rule from observations of a running service.
pub type RuntimeRule = fn(&RuntimeModel, Profile) -> Judgement;
/// Judges a rule from one container of a workload in Kubernetes manifests.
pub type KubernetesRule = fn(&Container, Profile) -> Judgement;

/// One rule: its identity and words (data) and its four judges (code), side by side. Static
/// rules (areas 1-5) skip in the runtime judge; runtime rules (areas 6-7) skip in the image
/// and Dockerfile judges, so every report has one finding per rule. Kubernetes rules (area 8)
/// judge manifests only: a manifests report has those, the other reports the others
/// ([`Rule::judges_manifests`]).
#[derive(Debug)]
pub struct Rule {
    /// Stable id: `DF`, an area digit, a number. Never reused.
    pub id: &'static str,
    /// MUST (fails) or SHOULD (warns).
    pub level: Level,
    /// The profiles that run it.
    pub profiles: &'static [Profile],
    /// How the `mozcloud` profile reads it differently, if it does.
    pub mozcloud: Option<&'static str>,
    /// One line: what a compliant image does.
    pub statement: &'static str,
    /// Why the rule exists.
    pub why: &'static str,
    /// The compliant form, briefly.
    pub fix: &'static str,
    /// The sections of the project's `contract/CONTRACT.md` (`CONTRACT.md §2`, `§1.1 and §2`)
    /// and the Dockerflow spec anchor; [`Rule::contract_sections`] reads the sections.
    pub source: &'static str,
    /// The version that introduced it.
    pub since: &'static str,
    /// Its life cycle.
    pub status: Status,
    /// The judge for images.
    pub image: ImageRule,
    /// The judge for Dockerfiles.
    pub dockerfile: DockerfileRule,
    /// The judge for a running service.
    pub runtime: RuntimeRule,
    /// The judge for a workload container in Kubernetes manifests.
    pub kubernetes: KubernetesRule,
}

/// Rules are equal when their ids are: an id names one rule forever.
impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

impl Rule {
    /// The rule's area: the digit after `DF` (`DF203` is in area 2).
    pub fn area(&self) -> u8 {
        self.id
            .as_bytes()
            .get(2)
            .map_or(0, |b| b.wrapping_sub(b'0'))
    }

    /// Whether the rule is judged from a running service (areas 6 and 7) rather than from an
    /// image or a Dockerfile.
    pub fn is_runtime(&self) -> bool {
        matches!(self.area(), 6 | 7)
    }

    /// Whether the rule is judged from Kubernetes manifests (area 8): such rules are in a
    /// manifests report only, and only they are.
    pub fn judges_manifests(&self) -> bool {
        self.area() == 8
    }

    /// Where the rule is documented: its section of `docs/RULES.md` on the main branch.
    pub fn help_uri(&self) -> String {
        format!("{DOCS_URL}#{}", self.id.to_ascii_lowercase())
    }

    /// The contract sections [`Rule::source`] cites (`"2"`, `"1.4"`), in order, with the URL
    /// of each on the main branch; a section the contract does not have has no URL (the
    /// catalogue's tests forbid that).
    pub fn contract_sections(&self) -> Vec<(&'static str, Option<String>)> {
        contract_sections(self.source)
            .into_iter()
            .map(|s| (s, dockerflow_contract::section_url(s)))
            .collect()
    }
}

/// The section numbers cited as `§N` or `§N.M` in `text`.
pub(crate) fn contract_sections(text: &str) -> Vec<&str> {
    text.split('§')
        .skip(1)
        .map(|rest| {
            let end = rest
                .find(|c: char| !c.is_ascii_digit() && c != '.')
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches('.')
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The published rule documentation (generated from [`crate::RULES`] by [`crate::rules_markdown`]).
pub const DOCS_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/RULES.md");
