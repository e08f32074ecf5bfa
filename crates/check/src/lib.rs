//! The Dockerflow conformance checker: one catalogue of rules ([`RULES`]), pure judges over an
//! image (its config and files after all layers), a Dockerfile stage, or observations of a
//! running service ([`RuntimeModel`], made by `dockerflow-probe`), the `strict` and
//! `mozcloud` profiles, ignores that must give a reason, and the verdict.
//!
//! **Architecture Invariant:** this crate depends on `dockerflow-oci`, `dockerflow-dockerfile`
//! and `dockerflow-contract` only. It never depends on `dockerflow` or `dockerflow-mozlog`: the
//! checker judges from the contract (`contract/CONTRACT.md` and the JSON Schemas of
//! `dockerflow-contract`), never from the library it checks.
//!
//! **Architecture Invariant:** no type here derives `Serialize` and nothing here prints.
//! `dockerflow-report` owns the wire formats.
//!
//! ```
//! use dockerflow_check::{check_dockerfile, DockerfileModel, Options, Outcome, Verdict};
//! let src = "\
//! FROM debian:bookworm-slim
//! RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --home /app app
//! WORKDIR /app
//! COPY server /app/server
//! COPY version.json /app/version.json
//! ENV PORT=8000
//! EXPOSE 8000
//! USER app
//! ENTRYPOINT [\"/app/server\"]
//! CMD [\"serve\"]
//! ";
//! let (model, errors) = DockerfileModel::parse("Dockerfile", src, None, &[]).unwrap();
//! assert!(errors.is_empty());
//! let report = check_dockerfile(&model, &Options::default());
//! assert_eq!(report.verdict(), Verdict::Pass);
//! assert_eq!(report.finding("DF203").unwrap().outcome, Outcome::Pass);
//! // A rule the Dockerfile cannot show is skipped, with the reason.
//! assert!(matches!(report.finding("DF102").unwrap().outcome, Outcome::Skipped(_)));
//! ```
//!
//! # Design
//!
//! - **Checks are data.** A [`Rule`] holds its id (`DF` + area digit + number, never reused),
//!   level, profiles, statement, why, fix, source and life cycle, *and* its two judges (image
//!   and Dockerfile), so no rule lacks an implementation and no implementation lacks words.
//!   Reports and `docs/RULES.md` ([`rules_markdown`]) read the same entries.
//! - **One finding per rule per input**, in catalogue order: a rule that the input cannot
//!   show is [`Outcome::Skipped`] with the reason, never silently absent. The Kubernetes
//!   rules (area 8) and the others judge different inputs: a report of one workload container
//!   ([`check_kubernetes`]) has the area 8 rules, every other report the rest. That keeps JUnit's
//!   "one testcase per rule" and SARIF's `rules[]` exact.
//! - **Judges are pure** functions of a model. Reading the image (verified, confined,
//!   bounded) happens once in [`ImageModel::read`], through `dockerflow-oci`.
//! - **Levels are the rule's, not the judge's.** A judge says the rule holds, is broken, is
//!   accepted with a warning (a profile's relaxation) or cannot be judged; the catalogue's
//!   MUST/SHOULD turns "broken" into fail or warn.
//! - **Ignores need a reason** ([`Ignores`]); an ignored finding is still reported, with its
//!   reason, and does not count towards the verdict.
//! - **Secrets are never copied** into a finding: judges name the variable and mask the value.
//! - **Profiles relax, rule by rule.** `mozcloud` turns some MUST failures into warnings; each
//!   rule says which in [`Rule::mozcloud`], and `docs/RULES.md` prints it.
//!
//! Where things are: `catalogue` ([`RULES`]), `rule` (what a [`Rule`] is: level, profiles,
//! status, judges),
//! `rules/{files,user,process,metadata,secrets,endpoints,service}` (the judges, by area),
//! `model` (what static rules judge), `runtime` (what runtime rules judge), `logs` (log
//! lines read once as they stream, into what the log rules need), [`kubernetes`]
//! (what the DF8xx rules judge: workload containers read from manifests), `schema` (the
//! contract's JSON Schemas), `finding` (outcomes and the verdict),
//! `ignore`, `docs`. The tests under `tests/all/` are the tour: every rule through one
//! `check_rule` helper, on images written in three forms (OCI layout, oci-archive,
//! docker-archive) and on Dockerfiles.
#![deny(missing_docs)]

mod catalogue;
mod context;
mod docs;
mod finding;
mod ignore;
pub mod kubernetes;
mod logs;
mod model;
mod rule;
mod rules;
mod runtime;
mod schema;

pub use catalogue::{rule, RULES};
pub use context::{BuildContext, ContextError, ContextSecret, Dockerignore, PatternError};
pub use docs::rules_markdown;
pub use finding::{
    Finding, InputKind, Judged, Judgement, Location, Outcome, Report, Summary, Verdict,
};
pub use ignore::{Ignore, IgnoreError, Ignores};
pub use logs::{BadLine, LineTooLong, LogReader, Logs, ReadError, DEFAULT_MAX_LINE, KEPT};
pub use model::{ContextState, DockerfileError, DockerfileModel, ImageModel, VERSION_JSON};
pub use rule::{
    DockerfileRule, ImageRule, KubernetesRule, Level, Profile, Rule, RuntimeRule, Status, DOCS_URL,
};
pub use rules::service::mozlog_problems;
pub use runtime::{
    Answer, DependencyDown, Endpoint, Exchange, Mode, RequestIdProbe, RuntimeModel, Sigterm,
};
pub use schema::mozlog_line_errors;

/// How to judge: the profile and the ignores.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `strict` (default) or `mozcloud`.
    pub profile: Profile,
    /// Rules ignored, each with a reason.
    pub ignores: Ignores,
}

fn run(
    kind: InputKind,
    subject: &str,
    options: &Options,
    judge: impl Fn(&'static Rule) -> Judgement,
) -> Report {
    let manifests = kind == InputKind::Kubernetes;
    let findings = RULES
        .iter()
        .filter(|r| r.status != Status::Removed && r.profiles.contains(&options.profile))
        .filter(|r| r.judges_manifests() == manifests)
        .map(|r| {
            let mut f = Finding::from_judgement(r, judge(r));
            f.ignored = options.ignores.get(r.id).map(|i| i.reason.clone());
            f
        })
        .collect();
    Report {
        kind,
        subject: subject.to_string(),
        profile: options.profile,
        findings,
    }
}

/// Judges every rule of the profile against an image.
pub fn check_image(model: &ImageModel, options: &Options) -> Report {
    run(InputKind::Image, &model.origin, options, |r| {
        (r.image)(model, options.profile)
    })
}

/// Judges every rule of the profile against an image and observations of it running
/// (`check image --run`): static rules from the image, runtime rules from the observations.
pub fn check_image_run(image: &ImageModel, observed: &RuntimeModel, options: &Options) -> Report {
    run(InputKind::Image, &image.origin, options, |r| {
        if r.is_runtime() {
            (r.runtime)(observed, options.profile)
        } else {
            (r.image)(image, options.profile)
        }
    })
}

/// Judges every rule of the profile against observations alone (`check url`, `check logs`):
/// static rules are skipped with the reason.
pub fn check_runtime(observed: &RuntimeModel, options: &Options) -> Report {
    let kind = match observed.mode {
        Mode::Logs => InputKind::Logs,
        Mode::Url | Mode::Container => InputKind::Url,
    };
    run(kind, &observed.subject, options, |r| {
        (r.runtime)(observed, options.profile)
    })
}

/// Judges the Kubernetes rules (area 8) of the profile against each workload container of the
/// manifests: one report per container, in file order.
pub fn check_kubernetes(model: &kubernetes::KubernetesModel, options: &Options) -> Vec<Report> {
    model
        .containers
        .iter()
        .map(|c| {
            let mut options = options.clone();
            options.ignores.extend(&c.ignores);
            run(InputKind::Kubernetes, &c.subject(), &options, |r| {
                (r.kubernetes)(c, options.profile)
            })
        })
        .collect()
}

/// Judges every rule of the profile against a Dockerfile stage.
pub fn check_dockerfile(model: &DockerfileModel, options: &Options) -> Report {
    run(InputKind::Dockerfile, &model.path, options, |r| {
        (r.dockerfile)(model, options.profile)
    })
}
