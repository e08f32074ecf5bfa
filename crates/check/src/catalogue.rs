//! The rule catalogue: every rule's identity, level, profiles and words, written once and read
//! by the checker, the reports and `docs/RULES.md`.

use std::fmt;

use crate::kubernetes::Container;
use crate::model::{DockerfileModel, ImageModel};
use crate::rules;
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

/// The published rule documentation (generated from [`RULES`] by [`crate::rules_markdown`]).
pub const DOCS_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/RULES.md");

const BOTH: &[Profile] = Profile::ALL;

/// Every rule, in id order. Area 1: files; 2: user; 3: process; 4: metadata; 5: secrets;
/// runtime: 6: endpoints; 7: logs and the running process; 8: Kubernetes manifests.
pub static RULES: &[Rule] = &[
    Rule {
        id: "DF101",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The application's sources are under /app",
        why: "Dockerflow tooling and operators look for the application, and /app/version.json, in /app.",
        fix: "WORKDIR /app, then COPY the application into it",
        source: "CONTRACT.md §2; https://github.com/mozilla-services/Dockerflow#dockerfile-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::files::app_sources_image,
        dockerfile: rules::files::app_sources_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF102",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "Files under /app are not writable by uid 10001",
        why: "A read-only application cannot be modified by an attacker who gets code execution as the app user (docs/building-container.md).",
        fix: "COPY without --chown (files stay owned by root), or chmod a-w; write to /tmp instead",
        source: "CONTRACT.md §2; https://github.com/mozilla-services/Dockerflow/blob/main/docs/building-container.md",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::files::app_read_only_image,
        dockerfile: rules::files::image_only,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF103",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "No world-writable files outside /tmp, /var/tmp and sticky directories",
        why: "World-writable files can be changed by any process in the container.",
        fix: "chmod o-w the files, or keep writable state under /tmp",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::files::world_writable_image,
        dockerfile: rules::files::image_only,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF104",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "No setuid or setgid files",
        why: "A setuid or setgid binary lets the non-root app user gain another user's privileges.",
        fix: "RUN chmod a-s on the files (or find / -perm /6000 -type f -exec chmod a-s {} +)",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::files::setuid_image,
        dockerfile: rules::files::image_only,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF105",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "Every layer entry stays inside the image root",
        why: "Entries named ../x, absolute names, links out of the root or under a symlinked parent are the tar-slip pattern: another extractor may write them outside the container's filesystem.",
        fix: "Build with a standard builder (BuildKit, buildah, ko, jib); do not hand-craft layer tars",
        source: "CONTRACT.md §2; https://github.com/opencontainers/image-spec/blob/main/layer.md",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::files::confined_image,
        dockerfile: rules::files::image_only,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF201",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: Some("a missing or different group warns"),
        statement: "Group app has GID 10001",
        why: "Deployments (runAsGroup, volume ownership) assume gid 10001 for every Dockerflow service.",
        fix: "RUN groupadd --gid 10001 app",
        source: "CONTRACT.md §2; https://github.com/mozilla-services/Dockerflow#dockerfile-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::user::group_image,
        dockerfile: rules::user::group_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF202",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: Some("a missing or different user warns"),
        statement: "User app has UID 10001 and primary group app (GID 10001)",
        why: "Deployments set runAsUser: 10001; the image's own passwd must agree.",
        fix: "RUN groupadd --gid 10001 app && useradd --uid 10001 --gid app --home /app --no-create-home app",
        source: "CONTRACT.md §2; https://github.com/mozilla-services/Dockerflow#dockerfile-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::user::user_image,
        dockerfile: rules::user::user_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF203",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: Some("any non-root user passes with a warning"),
        statement: "The image runs as uid 10001 (User app, 10001, app:app or 10001:10001)",
        why: "Running as root turns any code execution into root in the container; the spec requires USER app.",
        fix: "USER app (or USER 10001:10001, which Kubernetes runAsNonRoot can verify)",
        source: "CONTRACT.md §2; https://github.com/mozilla-services/Dockerflow#dockerfile-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::user::runs_as_image,
        dockerfile: rules::user::runs_as_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF301",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: Some("only one of ENTRYPOINT and CMD set warns"),
        statement: "Both ENTRYPOINT and CMD are set and non-empty",
        why: "The spec splits the program (ENTRYPOINT) from its default arguments (CMD), so operators can run other commands with the same entrypoint.",
        fix: "Set the one missing: ENTRYPOINT [\"/app/bin/server\"] for the program, CMD [\"serve\"] for its default arguments",
        source: "CONTRACT.md §2; https://github.com/mozilla-services/Dockerflow#dockerfile-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::process::entrypoint_cmd_image,
        dockerfile: rules::process::entrypoint_cmd_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF302",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "ENTRYPOINT and CMD use the exec form (JSON arrays)",
        why: "The shell form runs the app under /bin/sh -c, which does not forward SIGTERM: no graceful shutdown.",
        fix: "Write it as a JSON array: CMD [\"/app/bin/server\", \"serve\"] rather than CMD /app/bin/server serve (the same for ENTRYPOINT)",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::process::exec_form_image,
        dockerfile: rules::process::exec_form_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF303",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "ENV PORT is set and EXPOSE names the same port",
        why: "The app listens on $PORT (CONTRACT.md §1.1); EXPOSE documents it for operators and tools.",
        fix: "ENV PORT=8000 and EXPOSE 8000",
        source: "CONTRACT.md §1.1 and §2; https://github.com/mozilla-services/Dockerflow#dockerfile-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::process::port_image,
        dockerfile: rules::process::port_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF304",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The HEALTHCHECK runs an executable that exists in the image",
        why: "A health check whose program is missing (CMD-SHELL without /bin/sh, curl or wget in a distroless image) fails forever: the container is never healthy.",
        fix: "HEALTHCHECK CMD [\"/app/bin/server\", \"healthcheck\"] (the service's self-probe, no shell), or install what the check runs",
        source: "CONTRACT.md §2; https://docs.docker.com/reference/dockerfile/#healthcheck",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::healthcheck::image,
        dockerfile: rules::healthcheck::dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF401",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "/app/version.json exists and is a valid version object",
        why: "/__version__ serves it; operators use it to tell which build runs (four string keys, commit 7-64 hex).",
        fix: "Write version.json in CI (source, version, commit, build) and COPY it to /app/version.json",
        source: "CONTRACT.md §1.3; https://github.com/mozilla-services/Dockerflow/blob/main/docs/version_object.md",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::metadata::version_json_image,
        dockerfile: rules::metadata::version_json_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF402",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "version.json's source and build are absolute URLs",
        why: "They link a running service to its repository and to the CI job that built it.",
        fix: "\"source\": \"https://github.com/ORG/REPO\", \"build\": \"https://github.com/ORG/REPO/actions/runs/ID\"",
        source: "CONTRACT.md §1.3; https://github.com/mozilla-services/Dockerflow/blob/main/docs/version_object.md",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::metadata::version_urls_image,
        dockerfile: rules::metadata::built_image_only,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF403",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "OCI labels org.opencontainers.image.source, .revision and .version are set",
        why: "Registries and scanners link an image to its source and commit through these labels.",
        fix: "docker build --label org.opencontainers.image.revision=$GIT_SHA ... (or LABEL in the Dockerfile)",
        source: "CONTRACT.md §2; https://github.com/opencontainers/image-spec/blob/main/annotations.md",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::metadata::labels_image,
        dockerfile: rules::metadata::labels_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF404",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "Label org.opencontainers.image.revision equals version.json's commit",
        why: "Two records of the same build that disagree mean one of them is wrong.",
        fix: "Set both from the same commit hash in CI",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::metadata::revision_image,
        dockerfile: rules::metadata::built_image_only,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF501",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "No secrets in environment variables, labels, kept build arguments or the build history",
        why: "Image configs are readable by anyone who can pull the image; secrets belong in the runtime environment.",
        fix: "Pass secrets at run time (Kubernetes secrets, --env), never ENV or LABEL; use build secrets (RUN --mount=type=secret) while building",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::secrets::secrets_image,
        dockerfile: rules::secrets::secrets_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF502",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "No credential files in the image",
        why: "Files such as .env, .npmrc, .netrc, SSH private keys or cloud credentials copied in by COPY . . are readable by anyone who can pull the image.",
        fix: "List them in .dockerignore; pass credentials at build time with RUN --mount=type=secret",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::secrets::credential_files_image,
        dockerfile: rules::secrets::credential_files_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF503",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "No credential files or private keys in any layer, deleted ones included",
        why: "A file deleted or overwritten by a later layer is still in the layer that added it: anyone who can pull the image can extract it (docker save, skopeo copy, then tar).",
        fix: "Keep it out of every layer: .dockerignore, a multi-stage build that copies only the artefact, RUN --mount=type=secret; deleting it in a later RUN does not remove it",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::secrets::hidden_secrets_image,
        dockerfile: rules::secrets::hidden_secrets_dockerfile,
        runtime: rules::endpoints::static_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF601",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The service listens for HTTP on $PORT",
        why: "Platforms choose the port; a service that hard-codes one (often 8000) is unreachable when given another.",
        fix: "Read PORT from the environment and bind 0.0.0.0:$PORT (default 8000 when unset)",
        source: "CONTRACT.md §1.1; https://github.com/mozilla-services/Dockerflow#containerized-app-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::listens_on_port,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF602",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "GET /__lbheartbeat__ answers 200",
        why: "Load balancers probe it to decide where to send traffic; AWS ELB treats 204 as unhealthy.",
        fix: "Answer 200 with an empty body, checking nothing",
        source: "CONTRACT.md §1.5; https://github.com/mozilla-services/Dockerflow#containerized-app-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::lbheartbeat,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF603",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "GET /__version__ answers 200 with /app/version.json, a valid version object",
        why: "Operators ask a running service which build it is; the answer must be the file CI wrote into the image.",
        fix: "Serve the bytes of /app/version.json with Content-Type application/json",
        source: "CONTRACT.md §1.2 and §1.3; https://github.com/mozilla-services/Dockerflow/blob/main/docs/version_object.md",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::version,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF604",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "GET /__heartbeat__ answers 200 while every backing service is up",
        why: "Monitoring reads the heartbeat; a healthy service reporting failure pages people for nothing.",
        fix: "Answer 200 when every check is below level 40 (error); warnings keep 200",
        source: "CONTRACT.md §1.4; https://github.com/mozilla-services/Dockerflow#containerized-app-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::heartbeat_up,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF605",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "The heartbeat body has the contract's shape (status, checks, details)",
        why: "Dashboards written for python-dockerflow read these keys; a drop-in shape keeps them working.",
        fix: "{\"status\": \"ok\", \"checks\": {...}, \"details\": {...}} as crates/contract/schemas/heartbeat.schema.json",
        source: "CONTRACT.md §1.4",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::heartbeat_shape,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF606",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "With a backing service down, /__heartbeat__ answers 5xx within a deadline",
        why: "A heartbeat that says 200 (or 4xx) while the database is down hides the outage; one that hangs blocks its monitor.",
        fix: "Check every backing service with a timeout; answer 500 (or 503) when a check is at level error",
        source: "CONTRACT.md §1.4; https://github.com/mozilla-services/Dockerflow#containerized-app-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::heartbeat_down,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF607",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "With a backing service down, /__lbheartbeat__ still answers 200",
        why: "If the load balancer probe touches the database, a database outage takes every instance out of the pool and restarts them.",
        fix: "Never check backing services in /__lbheartbeat__",
        source: "CONTRACT.md §1.5; https://github.com/mozilla-services/Dockerflow#containerized-app-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::lbheartbeat_down,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF608",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "HEAD on the Dockerflow endpoints answers the GET's status without a body",
        why: "Some probes and load balancers use HEAD.",
        fix: "Route HEAD to the same handler and drop the body",
        source: "CONTRACT.md §1.6",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::head,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF609",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "The Dockerflow endpoints send Cache-Control: no-store",
        why: "A cached heartbeat or version answer tells monitoring what was true earlier (lando-ui #51).",
        fix: "Add Cache-Control: no-store to their responses",
        source: "CONTRACT.md §1.6",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::no_store,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF610",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The service serves its own static files",
        why: "Dockerflow services do not rely on a separate web server or CDN origin for their assets.",
        fix: "Serve files from under /app (checked with --static-path PATH)",
        source: "CONTRACT.md §1.10; https://github.com/mozilla-services/Dockerflow/blob/main/docs/serving-static-content.md",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::endpoints::static_file,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF701",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The service writes its logs to stdout or stderr",
        why: "The platform collects stdout and stderr; logs written to files inside the container are lost.",
        fix: "Log to stdout (mozlog JSON) instead of files",
        source: "CONTRACT.md §1.8; https://github.com/mozilla-services/Dockerflow#containerized-app-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::service::writes_logs,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF702",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "Every log line is mozlog JSON",
        why: "Mozilla's log pipeline parses mozlog; other lines arrive as unstructured text.",
        fix: "One JSON object per line with Timestamp, Type, Logger, Hostname, EnvVersion 2.0, Severity, Pid and Fields",
        source: "CONTRACT.md §1.8; https://github.com/mozilla-services/Dockerflow#containerized-app-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::service::mozlog,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF703",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: Some("any non-root uid passes with a warning"),
        statement: "The running process has uid 10001",
        why: "The image config can say one thing and the entrypoint another (su-exec, gosu); only the running process tells.",
        fix: "USER app in the image, and no entrypoint that switches back to root",
        source: "CONTRACT.md §2; https://github.com/mozilla-services/Dockerflow#dockerfile-requirements",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::service::runs_as,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF704",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "After SIGTERM the process exits with code 0 within the grace period",
        why: "Orchestrators send SIGTERM then SIGKILL; a process that ignores SIGTERM loses in-flight requests on every deploy.",
        fix: "Exec-form ENTRYPOINT; handle SIGTERM: drain, finish in-flight requests, exit 0",
        source: "CONTRACT.md §1.9 and §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::service::sigterm,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF705",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "The service runs with a read-only root filesystem and a writable /tmp",
        why: "A read-only root stops an attacker, or a bug, from changing the application.",
        fix: "Write only to /tmp (or a volume); run with --read-only --tmpfs /tmp",
        source: "CONTRACT.md §2",
        since: "0.1.0",
        status: Status::Stable,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::service::read_only,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF706",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "One request.summary record per request, with the contract's fields and severity",
        why: "Dashboards and alerts read request.summary (agent, path, method, code, errno, lang, t, rid); a 5xx logged at info never pages anyone.",
        fix: "Log one mozlog record of Type request.summary per request with Fields agent, path, method, code, errno, lang, t, rid and uid; Severity 3 for a 5xx, else 6",
        source: "CONTRACT.md §1.9; contract/request-summary.schema.json",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::requests::request_summary,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF707",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "A valid incoming X-Request-ID is echoed in the response",
        why: "A request id that comes back lets a client, a load balancer and the service's logs name the same request.",
        fix: "Take X-Request-ID when it is 1-128 characters of [A-Za-z0-9._:-] (else traceparent's trace id, else a new UUID) and set it on the response",
        source: "CONTRACT.md §1.9",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::requests::request_id_echo,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF708",
        level: Level::Should,
        profiles: BOTH,
        mozcloud: None,
        statement: "The request id appears as rid on the records written while handling the request",
        why: "Without rid, the lines one request wrote cannot be found among thousands.",
        fix: "Carry the request id in the request's context and add it as Fields.rid to every record written while handling it, request.summary included",
        source: "CONTRACT.md §1.9",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::endpoints::needs_run_image,
        dockerfile: rules::endpoints::needs_run_dockerfile,
        runtime: rules::requests::request_id_in_logs,
        kubernetes: rules::kubernetes::not_manifests,
    },
    Rule {
        id: "DF801",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "No liveness or readiness probe requests /__heartbeat__",
        why: "/__heartbeat__ fails when a backing service is down: as a liveness probe a database outage restarts every pod at once, as a readiness probe it takes every pod out of the Service at once (mozilla/addons-server PR #25074, mozilla/addons #15500). It is for monitoring.",
        fix: "readinessProbe.httpGet.path: /__lbheartbeat__; livenessProbe a tcpSocket on the service port (or the self-probe); leave /__heartbeat__ to monitoring",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::heartbeat_probe,
    },
    Rule {
        id: "DF802",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The readiness probe is an HTTP GET of /__lbheartbeat__",
        why: "/__lbheartbeat__ answers 200 without touching backing services and 503 while the service drains after SIGTERM, which takes the pod out of the Service before its listener closes. Pods of a Job or CronJob serve no traffic: skipped.",
        fix: "readinessProbe: {httpGet: {path: /__lbheartbeat__, port: http}}",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::readiness,
    },
    Rule {
        id: "DF803",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "A liveness probe, when set, differs from the readiness probe",
        why: "A liveness probe identical to the readiness probe restarts a pod that is only draining or busy, when taking it out of the Service was enough (kube-score rates identical probes critical, kube-score #339); liveness must not depend on backing services. Pods of a Job or CronJob serve no traffic: skipped.",
        fix: "livenessProbe: {tcpSocket: {port: http}} (or exec of the service's self-probe), or no livenessProbe",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::liveness,
    },
    Rule {
        id: "DF804",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: Some("any non-root uid warns"),
        statement: "The container runs as uid 10001 (securityContext.runAsUser, the container's or the pod's)",
        why: "Dockerflow images have the user app with uid 10001 (DF202); a numeric runAsUser lets runAsNonRoot verify it, and volumes and fsGroup assume it.",
        fix: "securityContext: {runAsUser: 10001, runAsGroup: 10001} in the pod spec or the container",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::run_as_user,
    },
    Rule {
        id: "DF805",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "runAsNonRoot is true (the container's or the pod's securityContext)",
        why: "The kubelet then refuses to start the container as root, whatever the image says (and refuses a non-numeric image USER it cannot verify).",
        fix: "securityContext: {runAsNonRoot: true}",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::run_as_non_root,
    },
    Rule {
        id: "DF806",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The container's securityContext sets readOnlyRootFilesystem: true",
        why: "A read-only root stops an attacker, or a bug, from changing the application (the manifest side of DF705). It is a container setting: in the pod's securityContext Kubernetes ignores it.",
        fix: "containers[].securityContext.readOnlyRootFilesystem: true, with an emptyDir at /tmp (DF807)",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::read_only_root,
    },
    Rule {
        id: "DF807",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "/tmp is writable: an emptyDir volume mounted at /tmp",
        why: "Services and their libraries write temporary files under /tmp; on a read-only root filesystem without a volume there they fail at the first upload or cache write.",
        fix: "volumes: [{name: tmp, emptyDir: {}}] in the pod spec and volumeMounts: [{name: tmp, mountPath: /tmp}] in the container",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::writable_tmp,
    },
    Rule {
        id: "DF808",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "The container's securityContext sets allowPrivilegeEscalation: false",
        why: "Without it a setuid binary or file capability in the image can give the process more privileges than its user has. It is a container setting: in the pod's securityContext Kubernetes ignores it.",
        fix: "containers[].securityContext.allowPrivilegeEscalation: false",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::no_privilege_escalation,
    },
    Rule {
        id: "DF809",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "terminationGracePeriodSeconds covers the drain delay plus the grace period",
        why: "After SIGTERM a Dockerflow service keeps serving for DOCKERFLOW_DRAIN_DELAY_MS (while /__lbheartbeat__ answers 503), then gives in-flight requests DOCKERFLOW_GRACE_PERIOD_MS; the kubelet sends SIGKILL after terminationGracePeriodSeconds (30 when unset). The values come from the container's env, else the library's defaults: 3000 ms and 25000 ms (docs/CONFIGURATION.md), 28 s in all.",
        fix: "terminationGracePeriodSeconds: 35 for the defaults (3 s + 25 s and a margin for the exit); change it with the env values",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::termination_grace,
    },
    Rule {
        id: "DF810",
        level: Level::Must,
        profiles: BOTH,
        mozcloud: None,
        statement: "PORT equals the containerPort and the probes' port",
        why: "The service listens on $PORT (8000 when unset, CONTRACT.md §1.1); a containerPort or a probe on another port sends traffic and probes where nothing listens, and the probes fail on every pod. Named probe ports are resolved through the container's ports. Pods of a Job or CronJob serve no traffic: skipped.",
        fix: "env PORT \"8000\", ports: [{name: http, containerPort: 8000}], and the probes on port: http",
        source: "CONTRACT.md §2.1",
        since: "0.1.0",
        status: Status::Preview,
        image: rules::kubernetes::manifests_only_image,
        dockerfile: rules::kubernetes::manifests_only_dockerfile,
        runtime: rules::kubernetes::manifests_only_runtime,
        kubernetes: rules::kubernetes::port,
    },
];

/// The rule with this id (case-insensitive), if the catalogue has it.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}
