//! Dockerfile rules, judged from the final stage (or `--target`), with line numbers.

use dockerflow_check::{check_dockerfile, DockerfileModel, Options, Outcome, Profile, Verdict};

use crate::{check_dockerfile_rule, check_dockerfile_rule_with, Expect};

const STRICT: Profile = Profile::Strict;
const MOZCLOUD: Profile = Profile::Mozcloud;

pub(crate) const COMPLIANT: &str = r#"FROM rust:1 AS build
WORKDIR /src
COPY . .
RUN cargo build --release

FROM debian:bookworm-slim
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --home /app --no-create-home app
WORKDIR /app
COPY --from=build /src/target/release/server /app/server
COPY version.json /app/version.json
LABEL org.opencontainers.image.source=https://github.com/example/app \
      org.opencontainers.image.revision=0123456 \
      org.opencontainers.image.version=v1
ENV PORT=8000
EXPOSE 8000
USER app
ENTRYPOINT ["/app/server"]
CMD ["serve"]
"#;

/// The Dockerflow reference app's Dockerfile (mozilla-services/Dockerflow, `Dockerfile`).
pub(crate) const REFERENCE_APP: &str = r#"FROM node:12-slim

# add a non-privileged user for installing and running the application
RUN groupadd --gid 10001 app && \
    useradd -g app --uid 10001 --shell /usr/sbin/nologin --create-home --home-dir /app app

WORKDIR /app

# Install node requirements and clean up unneeded cache data
COPY package.json package.json
RUN npm install && \
    npm cache clear --force && \
    rm -rf ~app/.node-gyp

# Finally copy in the app's source file
COPY . /app

ENV PORT=8000
EXPOSE $PORT

USER app
ENTRYPOINT ["npm"]
CMD ["start"]
"#;

/// zero2prod's Dockerfile (LukeMathWalker/zero-to-production): ENTRYPOINT only, no USER.
pub(crate) const ZERO2PROD: &str = r#"FROM lukemathwalker/cargo-chef:latest-rust-1.72.0 as chef
WORKDIR /app
RUN apt update && apt install lld clang -y

FROM chef as planner
COPY . .
RUN cargo chef prepare  --recipe-path recipe.json

FROM chef as builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
ENV SQLX_OFFLINE true
RUN cargo build --release --bin zero2prod

FROM debian:bookworm-slim AS runtime
WORKDIR /app
RUN apt-get update -y \
    && apt-get install -y --no-install-recommends openssl ca-certificates \
    && apt-get autoremove -y \
    && apt-get clean -y \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /app/target/release/zero2prod zero2prod
COPY configuration configuration
ENV APP_ENVIRONMENT production
ENTRYPOINT ["./zero2prod"]
"#;

pub(crate) fn replace(from: &str, to: &str) -> String {
    assert!(COMPLIANT.contains(from), "{from}");
    COMPLIANT.replace(from, to)
}

#[test]
fn compliant_dockerfile() {
    for id in [
        "DF101", "DF201", "DF202", "DF203", "DF301", "DF302", "DF303", "DF401", "DF403", "DF501",
        "DF502", "DF503",
    ] {
        check_dockerfile_rule(id, COMPLIANT, STRICT, Expect::Pass);
    }
    let r = check_dockerfile_rule("DF203", COMPLIANT, STRICT, Expect::Pass);
    assert_eq!(r.verdict(), Verdict::Pass);
    assert_eq!(r.finding("DF203").and_then(|f| f.location.line), Some(17));
    assert_eq!(r.finding("DF201").and_then(|f| f.location.line), Some(7));
    for id in ["DF102", "DF103", "DF104", "DF402", "DF404"] {
        check_dockerfile_rule(id, COMPLIANT, STRICT, Expect::Skipped);
    }
}

#[test]
fn reference_app_passes_the_user_rules() {
    for id in [
        "DF101", "DF201", "DF202", "DF203", "DF301", "DF302", "DF303",
    ] {
        check_dockerfile_rule(id, REFERENCE_APP, STRICT, Expect::Pass);
    }
}

/// zero2prod runs as root, has no CMD and no version.json.
const ZERO2PROD_FAILS: &[&str] = &["DF203", "DF301", "DF401"];

#[test]
fn zero2prod_fails() {
    let r = check_dockerfile_rule_with("DF203", ZERO2PROD, STRICT, Expect::Fail, ZERO2PROD_FAILS);
    check_dockerfile_rule_with("DF301", ZERO2PROD, STRICT, Expect::Fail, ZERO2PROD_FAILS);
    let f = r.finding("DF301").expect("DF301");
    assert_eq!(f.found, "ENTRYPOINT is set, CMD is not");
    assert_eq!(f.location.line, Some(26));
    // No user is created and the base is not scratch: the base image may define one.
    let f = r.finding("DF202").expect("DF202");
    assert!(
        matches!(&f.outcome, Outcome::Skipped(why) if why.contains("debian:bookworm-slim")),
        "{f:?}"
    );
    // mozcloud: ENTRYPOINT-only warns; USER is unset on a non-scratch base: warns too.
    check_dockerfile_rule_with("DF301", ZERO2PROD, MOZCLOUD, Expect::Warn, &["DF401"]);
}

#[test]
fn df101_nothing_copied_into_app() {
    let src = replace(
        "COPY --from=build /src/target/release/server /app/server",
        "COPY --from=build /src/target/release/server /usr/local/bin/server",
    );
    let src = src.replace("WORKDIR /app\n", "");
    check_dockerfile_rule("DF101", &src, STRICT, Expect::Fail);
    // Relative destinations count from WORKDIR.
    let rel = replace("/app/server\nCOPY version", "server\nCOPY version");
    check_dockerfile_rule("DF101", &rel, STRICT, Expect::Pass);
}

/// FROM scratch without /etc/passwd or /etc/group lines.
const NO_ACCOUNTS: &[&str] = &["DF201", "DF202"];

#[test]
fn df201_df202_scratch_without_accounts() {
    let src = "FROM scratch\nCOPY server version.json /app/\nUSER 10001:10001\nENTRYPOINT [\"/app/server\"]\nCMD [\"serve\"]\n";
    check_dockerfile_rule_with("DF201", src, STRICT, Expect::Fail, NO_ACCOUNTS);
    check_dockerfile_rule_with("DF202", src, STRICT, Expect::Fail, NO_ACCOUNTS);
    check_dockerfile_rule_with("DF201", src, MOZCLOUD, Expect::Warn, &[]);
    check_dockerfile_rule_with("DF203", src, STRICT, Expect::Pass, NO_ACCOUNTS);
    let wrong_gid = replace("groupadd --gid 10001 app", "groupadd --gid 1000 app");
    check_dockerfile_rule("DF201", &wrong_gid, STRICT, Expect::Fail);
    // An /etc/passwd copied in cannot be read here.
    let copied = src.replace("COPY server", "COPY passwd /etc/passwd\nCOPY server");
    // /etc/passwd is copied in, /etc/group is not: only DF201 can fail.
    let r = check_dockerfile_rule_with("DF202", &copied, STRICT, Expect::Skipped, &["DF201"]);
    let f = r.finding("DF202").expect("DF202");
    assert!(
        matches!(&f.outcome, Outcome::Skipped(why) if why.contains("/etc/passwd is copied in at line 2")),
        "{f:?}"
    );
    check_dockerfile_rule("DF201", &copied, STRICT, Expect::Fail);
}

#[test]
fn df202_user_without_uid() {
    let no_uid = replace("useradd --uid 10001 --gid 10001", "useradd --gid 10001");
    check_dockerfile_rule("DF202", &no_uid, STRICT, Expect::Fail);
    let other = replace("useradd --uid 10001", "useradd --uid 1000");
    // USER app is then uid 1000: DF203 fails with it.
    check_dockerfile_rule_with("DF202", &other, STRICT, Expect::Fail, &["DF202", "DF203"]);
    check_dockerfile_rule_with("DF202", &other, MOZCLOUD, Expect::Warn, &[]);
    let by_name = replace("--gid 10001 --home", "--gid app --home");
    check_dockerfile_rule("DF202", &by_name, STRICT, Expect::Pass);
}

#[test]
fn df203_user() {
    for ok in ["app", "10001", "app:app", "10001:10001"] {
        check_dockerfile_rule(
            "DF203",
            &replace("USER app", &format!("USER {ok}")),
            STRICT,
            Expect::Pass,
        );
    }
    for root in ["root", "0", "0:0", "root:root", "app:root"] {
        let src = replace("USER app", &format!("USER {root}"));
        check_dockerfile_rule("DF203", &src, STRICT, Expect::Fail);
        check_dockerfile_rule("DF203", &src, MOZCLOUD, Expect::Fail);
    }
    let none = replace("USER app\n", "");
    check_dockerfile_rule("DF203", &none, STRICT, Expect::Fail);
    check_dockerfile_rule("DF203", &none, MOZCLOUD, Expect::Warn);
    let nonroot = replace("USER app", "USER nonroot");
    check_dockerfile_rule("DF203", &nonroot, STRICT, Expect::Fail);
    check_dockerfile_rule("DF203", &nonroot, MOZCLOUD, Expect::Warn);
    // USER app with the user from the base image: judged by name.
    let base = "FROM example/base\nCOPY . /app\nUSER app\nENTRYPOINT [\"a\"]\nCMD [\"b\"]\n";
    check_dockerfile_rule("DF203", base, STRICT, Expect::Pass);
    check_dockerfile_rule("DF202", base, STRICT, Expect::Skipped);
}

#[test]
fn df302_shell_form() {
    let src = replace("ENTRYPOINT [\"/app/server\"]", "ENTRYPOINT /app/server");
    let r = check_dockerfile_rule("DF302", &src, STRICT, Expect::Warn);
    assert_eq!(r.finding("DF302").and_then(|f| f.location.line), Some(18));
}

#[test]
fn df303_port() {
    check_dockerfile_rule(
        "DF303",
        &replace("ENV PORT=8000\n", ""),
        STRICT,
        Expect::Warn,
    );
    check_dockerfile_rule(
        "DF303",
        &replace("EXPOSE 8000", "EXPOSE 9000"),
        STRICT,
        Expect::Warn,
    );
    check_dockerfile_rule(
        "DF303",
        &replace("EXPOSE 8000", "EXPOSE $PORT/tcp"),
        STRICT,
        Expect::Pass,
    );
}

#[test]
fn df304_healthcheck_program_exists() {
    let scratch = |healthcheck: &str| {
        format!(
            "FROM scratch\nCOPY passwd group /etc/\nCOPY server /app/bin/server\n\
             COPY version.json /app/\nUSER app\n{healthcheck}\n\
             ENTRYPOINT [\"/app/bin/server\"]\nCMD [\"serve\"]\n"
        )
    };
    let probe = scratch("HEALTHCHECK CMD [\"/app/bin/server\", \"healthcheck\"]");
    let f = df304(&probe, Expect::Pass);
    assert_eq!(f.location.line, Some(6));
    let wget = scratch("HEALTHCHECK CMD [\"/bin/wget\", \"-q\", \"http://localhost/\"]");
    let f = df304(&wget, Expect::Fail);
    assert_eq!(
        f.found,
        "HEALTHCHECK runs /bin/wget, which nothing copies into this scratch image"
    );
    df304(
        &scratch("HEALTHCHECK CMD /app/bin/server healthcheck"),
        Expect::Fail,
    );
    df304(&scratch("HEALTHCHECK NONE"), Expect::Pass);
    let distroless = "FROM gcr.io/distroless/cc-debian12\nCOPY server /app/bin/server\n\
        HEALTHCHECK CMD curl -f http://localhost:8000/__lbheartbeat__\n";
    df304(distroless, Expect::Fail);
    let debian = "FROM debian:bookworm-slim\nHEALTHCHECK CMD curl -f http://localhost/\n";
    df304(debian, Expect::Skipped);
    check_dockerfile_rule("DF304", COMPLIANT, STRICT, Expect::Pass);
}

/// DF304's finding for `src`, whatever the other rules say of it.
fn df304(src: &str, expect: Expect) -> dockerflow_check::Finding {
    let (model, _) = DockerfileModel::parse("Dockerfile", src, None, &[]).expect("a stage");
    let report = check_dockerfile(&model, &Options::default());
    let f = report.finding("DF304").expect("DF304").clone();
    let outcome = matches!(
        (&f.outcome, expect),
        (Outcome::Pass, Expect::Pass)
            | (Outcome::Fail, Expect::Fail)
            | (Outcome::Skipped(_), Expect::Skipped)
    );
    assert!(outcome, "{src}\nexpected {expect:?}, got {f:?}");
    f
}

#[test]
fn df501_secrets() {
    let src = replace("ENV PORT=8000", "ENV PORT=8000 API_TOKEN=abc123");
    let r = check_dockerfile_rule("DF501", &src, STRICT, Expect::Fail);
    let f = r.finding("DF501").expect("DF501");
    assert!(
        f.found.contains("ENV API_TOKEN=**** at line 15"),
        "{}",
        f.found
    );
    assert!(!f.found.contains("abc123"));
    // A build argument with a secret value is kept in the history: it fails too, in both
    // profiles; one without a value (passed as a build secret) does not.
    let arg = replace(
        "ENV PORT=8000",
        "ARG NPM_TOKEN=npm_0123456789\nENV PORT=8000",
    );
    let r = check_dockerfile_rule("DF501", &arg, STRICT, Expect::Fail);
    let f = r.finding("DF501").expect("DF501");
    assert_eq!(
        f.found,
        "values masked: ARG NPM_TOKEN=**** at line 15 (a secret's name)"
    );
    check_dockerfile_rule("DF501", &arg, MOZCLOUD, Expect::Fail);
    let unset = replace("ENV PORT=8000", "ARG NPM_TOKEN\nENV PORT=8000");
    check_dockerfile_rule("DF501", &unset, STRICT, Expect::Pass);
}

#[test]
fn df502_df503_credential_files_from_instructions() {
    // Copied in and never removed: in the image (DF502), not a hidden one (DF503).
    let src = replace(
        "WORKDIR /app\n",
        "WORKDIR /app\nCOPY .npmrc id_rsa ./\nRUN echo \"$TOKEN\" > /root/.aws/credentials\n",
    );
    let r = check_dockerfile_rule("DF502", &src, STRICT, Expect::Fail);
    let f = r.finding("DF502").expect("DF502");
    assert_eq!(
        f.found,
        "3 found: .npmrc by COPY at line 10, id_rsa by COPY at line 10, \
         /root/.aws/credentials by RUN at line 11"
    );
    assert_eq!(f.location.line, Some(10));
    check_dockerfile_rule_with("DF503", &src, STRICT, Expect::Pass, &["DF502"]);

    // Removed by a later RUN: no longer in the image (DF502 passes), still in its layer.
    let src = replace(
        "WORKDIR /app\n",
        "WORKDIR /app\nCOPY deploy/tls.key /app/tls.key\nRUN echo x | tee -a .netrc\n\
         RUN make && rm -f /app/tls.key\nRUN rm .netrc\n",
    );
    check_dockerfile_rule_with("DF502", &src, STRICT, Expect::Pass, &["DF503"]);
    let r = check_dockerfile_rule("DF503", &src, STRICT, Expect::Fail);
    let f = r.finding("DF503").expect("DF503");
    assert_eq!(
        f.found,
        "2 found: deploy/tls.key by COPY at line 10, removed at line 12 but still in the layer \
         of line 10, .netrc by RUN at line 11, removed at line 13 but still in the layer of line 11"
    );

    // Written and removed in the same RUN, or only in a build stage: in no layer of the image.
    let src = replace("COPY . .\n", "COPY . .\nCOPY .npmrc .npmrc\n").replace(
        "WORKDIR /app\n",
        "WORKDIR /app\nRUN echo \"$T\" > .npmrc && npm ci && rm .npmrc\n\
         COPY --from=build /src/id_rsa.pub /app/\n",
    );
    check_dockerfile_rule("DF502", &src, STRICT, Expect::Pass);
    check_dockerfile_rule("DF503", &src, STRICT, Expect::Pass);
}

#[test]
fn target_and_build_args() {
    let (m, _) =
        DockerfileModel::parse("Dockerfile", ZERO2PROD, Some("builder"), &[]).expect("target");
    assert_eq!(m.facts.stage_name.as_deref(), Some("builder"));
    let err = DockerfileModel::parse("Dockerfile", ZERO2PROD, Some("nope"), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no stage named \"nope\"; expected one of: chef, planner, builder, runtime"
    );
    let src = "ARG RUNAS=root\nFROM scratch\nARG RUNAS\nCOPY x /app/x\nUSER $RUNAS\nENTRYPOINT [\"/x\"]\nCMD [\"y\"]\n";
    let (m, _) =
        DockerfileModel::parse("Dockerfile", src, None, &[("RUNAS", "10001")]).expect("stage");
    let r = check_dockerfile(&m, &Options::default());
    assert_eq!(r.finding("DF203").map(|f| &f.outcome), Some(&Outcome::Pass));
}

/// Shaped like mozilla/cicd-demos' go-demo: distroless `nonroot`, no USER, CMD only.
pub(crate) const DISTROLESS_CMD_ONLY: &str = r#"FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /go-demo

FROM gcr.io/distroless/static:nonroot
COPY --from=build /go-demo /app/go-demo
COPY version.json /app/version.json
ENV PORT=8000
EXPOSE 8000
CMD ["/app/go-demo"]
"#;

#[test]
fn mozcloud_reads_current_mozilla_images() {
    const STRICT_FAILS: &[&str] = &["DF203", "DF301"];
    check_dockerfile_rule_with(
        "DF203",
        DISTROLESS_CMD_ONLY,
        STRICT,
        Expect::Fail,
        STRICT_FAILS,
    );
    let r = check_dockerfile_rule_with("DF203", DISTROLESS_CMD_ONLY, MOZCLOUD, Expect::Warn, &[]);
    check_dockerfile_rule_with("DF301", DISTROLESS_CMD_ONLY, MOZCLOUD, Expect::Warn, &[]);
    let f = r.finding("DF201").expect("DF201");
    assert!(
        matches!(&f.outcome, Outcome::Skipped(why) if why.contains("gcr.io/distroless/static:nonroot")),
        "{f:?}"
    );
}

#[test]
fn df201_df202_implicit_groups_agree() {
    // Debian's USERGROUPS_ENAB: both rules name the same group, created the same way.
    let src = replace(
        "RUN groupadd --gid 10001 app \\\n && useradd --uid 10001 --gid 10001 --home /app --no-create-home app",
        "RUN useradd --uid 10001 --home /app --no-create-home app",
    );
    let r = check_dockerfile_rule("DF202", &src, STRICT, Expect::Pass);
    let how = "useradd at line 7 (USERGROUPS_ENAB yes in debian:bookworm-slim's /etc/login.defs)";
    assert_eq!(
        r.finding("DF201").map(|f| f.found.clone()),
        Some(format!("group app (GID 10001) is created by {how}"))
    );
    assert_eq!(
        r.finding("DF202").map(|f| f.found.clone()),
        Some(format!(
            "user app is created with UID 10001 and its own group app (GID 10001, by {how})"
        ))
    );
    // GID 10001 taken first: the group app that useradd makes gets another GID; both fail.
    let taken = src.replace("RUN useradd", "RUN groupadd -g 10001 web && useradd");
    let r = check_dockerfile_rule_with("DF201", &taken, STRICT, Expect::Fail, &["DF201", "DF202"]);
    assert_eq!(
        r.finding("DF201").map(|f| f.found.as_str()),
        Some("GID 10001 is group web (line 7), so no group app can have it")
    );
    // The fix offered creates the group before the user that names it.
    let f = r.finding("DF202").expect("DF202");
    assert!(
        f.expected
            .contains("groupadd --gid 10001 app && useradd --uid 10001 --gid app app"),
        "{}",
        f.expected
    );
    assert!(f
        .rule
        .fix
        .starts_with("RUN groupadd --gid 10001 app && useradd"));
}

/// Writes `files` (path, content) under a fresh directory: a build context.
fn context(files: &[(&str, &str)]) -> dockerflow_testkit::TempDir {
    let dir = dockerflow_testkit::TempDir::new("context");
    for (path, content) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write");
    }
    dir
}

fn judge_with_context(src: &str, dir: Option<&std::path::Path>) -> dockerflow_check::Report {
    let (model, _) = DockerfileModel::parse("Dockerfile", src, None, &[]).expect("a stage");
    let model = match dir {
        Some(d) => model.with_context(d, None),
        None => model,
    };
    check_dockerfile(&model, &Options::default())
}

const KEY: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";

#[test]
fn df502_the_build_context_counts() {
    let src = "FROM debian:bookworm-slim\nRUN groupadd -g 10001 app && useradd -u 10001 -g app app\nWORKDIR /app\nCOPY . /app\nUSER app\nENTRYPOINT [\"/app/server\"]\nCMD [\"serve\"]\n";
    let files = [
        ("server", "#!/bin/false\n"),
        ("version.json", "{}"),
        (".env", "DB_PASSWORD=hunter2"),
        (".env.example", "DB_PASSWORD="),
        (".ssh/id_rsa", KEY),
        (".npmrc", "registry=https://registry.npmjs.org/\n"),
        ("deploy/tls.key", KEY),
        ("node_modules/pkg/.npmrc", "//r/:_authToken=npm_x\n"),
    ];
    let dir = context(&files);
    let r = judge_with_context(src, Some(dir.path()));
    let f = r.finding("DF502").expect("DF502");
    assert_eq!(f.outcome, Outcome::Fail, "{}", f.found);
    assert_eq!(
        f.found,
        "4 found: .env by COPY . from the build context (an environment file) at line 4, \
         .ssh/id_rsa by COPY . from the build context (an SSH private key) at line 4, \
         deploy/tls.key by COPY . from the build context (a private key) at line 4, \
         node_modules/pkg/.npmrc by COPY . from the build context (a registry token) at line 4"
    );
    assert!(!f.found.contains("hunter2") && !f.found.contains("not-a-real-key"));
    // The context holds version.json, and COPY . /app brings it: DF401 is judged too.
    let f = r.finding("DF401").expect("DF401");
    assert_eq!(
        f.found,
        "COPY at line 4 copies the build context's version.json to /app/version.json"
    );
    assert_eq!(r.verdict(), Verdict::Fail);
    // The .dockerignore leaves them out, with Docker's rules (`**`, `!` exceptions).
    std::fs::write(
        dir.path().join(".dockerignore"),
        "# secrets\n**/.env*\n!.env.example\n.ssh\ndeploy/*.key\nnode_modules\n",
    )
    .expect("write");
    let r = judge_with_context(src, Some(dir.path()));
    let f = r.finding("DF502").expect("DF502");
    assert_eq!(f.outcome, Outcome::Pass, "{}", f.found);
    // A COPY of one file brings only that file.
    std::fs::remove_file(dir.path().join(".dockerignore")).expect("rm");
    let one = src.replace("COPY . /app", "COPY server version.json /app/");
    let r = judge_with_context(&one, Some(dir.path()));
    assert_eq!(r.finding("DF502").map(|f| &f.outcome), Some(&Outcome::Pass));
    // No context read, or one that cannot be read: it says it could not tell.
    let r = judge_with_context(src, None);
    let f = r.finding("DF502").expect("DF502");
    assert!(
        matches!(&f.outcome, Outcome::Skipped(why) if why == "could not tell what COPY at line 4 brings from the build context: it was not read"),
        "{f:?}"
    );
    let gone = dir.path().join("nope");
    let r = judge_with_context(src, Some(&gone));
    let f = r.finding("DF502").expect("DF502");
    assert!(
        matches!(&f.outcome, Outcome::Skipped(why) if why.contains("it could not be read") && why.contains("nope")),
        "{f:?}"
    );
    // A Dockerfile-specific ignore file wins over the context's.
    std::fs::write(dir.path().join(".dockerignore"), "server\n").expect("write");
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(
        dir.path().join("Dockerfile.dockerignore"),
        ".env\n.ssh\ndeploy\nnode_modules\n",
    )
    .expect("write");
    let (model, _) = DockerfileModel::parse("Dockerfile", src, None, &[]).expect("a stage");
    let model = model.with_context(dir.path(), Some(&dockerfile));
    let r = check_dockerfile(&model, &Options::default());
    assert_eq!(r.finding("DF502").map(|f| &f.outcome), Some(&Outcome::Pass));
}

#[test]
fn messages_fit_the_finding() {
    // A variable that expanded to nothing is named.
    let src = replace("USER app", "USER $USERNAME");
    let r = check_dockerfile_rule("DF203", &src, STRICT, Expect::Fail);
    assert_eq!(
        r.finding("DF203").map(|f| f.found.as_str()),
        Some(
            "USER at line 17 expands to \"\": $USERNAME is not set by any ARG or ENV before it, \
             so the container runs as root (uid 0)"
        )
    );
    // DF302 names the instruction in shell form, not ENTRYPOINT for a CMD.
    let src = replace("CMD [\"serve\"]", "CMD serve --port 8000");
    let r = check_dockerfile_rule("DF302", &src, STRICT, Expect::Warn);
    let f = r.finding("DF302").expect("DF302");
    assert_eq!(f.found, "CMD in shell form");
    assert!(f.expected.starts_with("exec form: CMD ["), "{}", f.expected);
    // DF301 proposes what is missing beside what is there.
    let src = replace("CMD [\"serve\"]\n", "");
    let r = check_dockerfile_rule("DF301", &src, STRICT, Expect::Fail);
    let f = r.finding("DF301").expect("DF301");
    assert!(
        f.expected.contains("keep the ENTRYPOINT and add CMD"),
        "{}",
        f.expected
    );
    let src = replace("ENTRYPOINT [\"/app/server\"]\n", "");
    let r = check_dockerfile_rule("DF301", &src, STRICT, Expect::Fail);
    let f = r.finding("DF301").expect("DF301");
    assert!(
        f.expected.contains("split the CMD into ENTRYPOINT"),
        "{}",
        f.expected
    );
}

#[test]
fn df401_the_build_context_decides_for_copy_dot() {
    let src = "FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nUSER 10001\nENTRYPOINT [\"/app/server\"]\nCMD [\"serve\"]\n";
    let dir = context(&[("server", "")]);
    let f = judge_with_context(src, Some(dir.path()));
    let f = f.finding("DF401").expect("DF401");
    assert_eq!(f.outcome, Outcome::Fail, "{}", f.found);
    assert!(
        f.found.starts_with("no COPY, ADD or RUN puts /app/version.json in the image (COPY at line 3 copies the build context "),
        "{}",
        f.found
    );
    // Without the context it cannot tell; with version.json in it, it passes; .dockerignore'd,
    // it fails again.
    let f = judge_with_context(src, None);
    assert!(matches!(
        f.finding("DF401").map(|f| &f.outcome),
        Some(Outcome::Skipped(_))
    ));
    std::fs::write(dir.path().join("version.json"), "{}").expect("write");
    let f = judge_with_context(src, Some(dir.path()));
    assert_eq!(f.finding("DF401").map(|f| &f.outcome), Some(&Outcome::Pass));
    std::fs::write(dir.path().join(".dockerignore"), "*.json\n").expect("write");
    let f = judge_with_context(src, Some(dir.path()));
    assert_eq!(f.finding("DF401").map(|f| &f.outcome), Some(&Outcome::Fail));
}

/// Runs `RUN`'s commands (joined by `&&`) with shadow-utils' `--prefix DIR`, so they change
/// `DIR/etc/*` only; `Err` with the failing command's stderr.
fn run_with_prefix(run: &str, prefix: &std::path::Path) -> Result<(), String> {
    for command in run.split("&&") {
        let mut words = command.split_whitespace();
        let program = words.next().ok_or("an empty command")?;
        let o = std::process::Command::new(program)
            .arg("--prefix")
            .arg(prefix)
            .args(words)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "{}: {}",
                command.trim(),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
    }
    Ok(())
}

/// The `/etc` of a Debian base before the Dockerfile's RUN: root, and group users (100).
fn debian_etc() -> dockerflow_testkit::TempDir {
    context(&[
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("etc/group", "root:x:0:\nusers:x:100:\n"),
        ("etc/shadow", "root:*:19000:0:99999:7:::\n"),
        ("etc/gshadow", "root:*::\nusers:*::\n"),
    ])
}

/// The fix DF202 offers is pasted into the file in place of its user creation: run with the
/// real groupadd and useradd (on a copy of a base's /etc), it makes group app and user app
/// with 10001; the fix it used to offer (`useradd --gid 10001` alone) fails there.
#[test]
fn df202_fix_works_when_pasted() {
    let available = std::process::Command::new("useradd")
        .arg("--help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--prefix"));
    // The effective uid, from the second column of /proc/self/status's Uid line.
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().nth(1))
            == Some("0")
    });
    if !available || !root {
        dockerflow_testkit::skip("needs root and shadow-utils' useradd/groupadd with --prefix");
        return;
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/patterns/useradd-no-user-group.Dockerfile"
    );
    let src = std::fs::read_to_string(path).expect("the pattern");
    let r = check_dockerfile_rule_with("DF202", &src, STRICT, Expect::Fail, &["DF202"]);
    let expected = &r.finding("DF202").expect("DF202").expected;
    let run = expected
        .split_once("RUN ")
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("no RUN in the fix: {expected}"));
    let etc = debian_etc();
    run_with_prefix(run, etc.path()).unwrap_or_else(|e| panic!("the fix {run:?} fails: {e}"));
    let passwd = std::fs::read_to_string(etc.path().join("etc/passwd")).expect("passwd");
    let group = std::fs::read_to_string(etc.path().join("etc/group")).expect("group");
    assert!(passwd.contains("\napp:x:10001:10001:"), "{passwd}");
    assert!(group.contains("\napp:x:10001:"), "{group}");
    // The old proposal on the same base: GID 10001 does not exist yet.
    let etc = debian_etc();
    let old = run_with_prefix("useradd --uid 10001 --gid 10001 app", etc.path());
    assert!(old.as_ref().is_err_and(|e| e.contains("10001")), "{old:?}");
}
