//! The command line, declared once. clap derives the parser, each command's help, "did you
//! mean" suggestions, the shell completions (`dockerflow completions SHELL`) and the man page
//! (`dockerflow man`) from these types. Every subcommand has one typed argument struct, and
//! `ci` fills the other commands' structs itself.
//!
//! Paths are `PathBuf` (read from the `OsString` argv, so a non-UTF-8 path opens); image
//! references and URLs are text, as their grammars are.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dockerflow_check::Profile;
use dockerflow_oci::Platform;
use dockerflow_report::Format;

pub(crate) use crate::values::{
    parse_chunk_size, parse_commit, parse_key_value, parse_platform, parse_report, parse_secs,
    parse_size, parse_url_path, parse_wait,
};

const AFTER_HELP: &str = "\
Exit status: 0 pass (warnings allowed), 1 a rule failed, 2 could not check or a usage error.
Colour: on a terminal only; set NO_COLOR to turn it off.";

/// Dockerflow tooling for container images.
#[derive(Debug, Parser)]
#[command(
    name = "dockerflow",
    version,
    subcommand_required = true,
    arg_required_else_help = false,
    after_help = "Run `dockerflow COMMAND --help` for a command's options. The contract, and why \
each rule exists:\n\
https://github.com/dockerflow-rs/dockerflow/blob/main/contract/CONTRACT.md\n\
https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check an image, a Dockerfile, a running service's URL or log lines against the
    /// Dockerflow contract
    Check(CheckArgs),
    /// Write version.json from the CI environment and git, or --check one
    Version(VersionArgs),
    /// Build a compliant image without a Docker daemon, reproducibly
    Build(BuildArgs),
    /// Copy an image to a registry and write docker-image-shasum256.txt
    Publish(PublishArgs),
    /// version, build, check, and publish when the check passed, with a log file and secrets
    /// masked
    Ci(CiArgs),
    /// Join the JSON reports `check` wrote in several runs (`report merge`, e.g. a CI
    /// matrix's shards)
    #[command(subcommand)]
    Report(ReportCommand),
    /// Print a shell completion script (e.g. `dockerflow completions bash >
    /// /etc/bash_completion.d/dockerflow`)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff; e.g. `dockerflow man check image | man -l -`)
    Man {
        /// The command whose page to print (e.g. `check dockerfile`) [default: dockerflow]
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
    },
}

/// `dockerflow check TARGET`: the report options apply before or after the target.
#[derive(Debug, Args)]
#[command(
    subcommand_required = true,
    after_help = "The contract: \
https://github.com/dockerflow-rs/dockerflow/blob/main/contract/CONTRACT.md\n\
Its rules, with why and how to fix each: \
https://github.com/dockerflow-rs/dockerflow/blob/main/docs/RULES.md\n\
Exit status: 0 pass (warnings allowed), 1 a rule failed, 2 could not check."
)]
pub(crate) struct CheckArgs {
    #[command(subcommand)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Target {
    /// Check an image statically, or running it (--run)
    #[command(after_help = IMAGE_AFTER_HELP)]
    Image(Box<ImageArgs>),
    /// Check Dockerfiles (each judged; the exit status is the worst)
    #[command(after_help = AFTER_HELP)]
    Dockerfile(DockerfileArgs),
    /// Check the Dockerflow endpoints of a service that is already running
    #[command(after_help = AFTER_HELP)]
    Url(UrlArgs),
    /// Check log lines (each judged as mozlog JSON)
    #[command(after_help = AFTER_HELP)]
    Logs(LogsArgs),
    /// Check Kubernetes manifests (each workload container judged; the exit status is the worst)
    #[command(visible_alias = "k8s", after_help = KUBERNETES_AFTER_HELP)]
    Kubernetes(KubernetesArgs),
}

const KUBERNETES_AFTER_HELP: &str = "\
PATH: a YAML file of one or more documents, a directory (its *.yaml and *.yml files, not
its subdirectories), or - for stdin (`helm template . | dockerflow check kubernetes -`).
Judged: the containers of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and bare Pods
(and of the items of a List), one report each; other kinds are named on stderr and skipped.

Exit status: 0 pass (warnings allowed), 1 a rule failed, 2 could not check or a usage error.
Colour: on a terminal only; set NO_COLOR to turn it off.";

const IMAGE_AFTER_HELP: &str = "\
REF (containers/image transport syntax):
  docker-archive:FILE[:NAME:TAG|:@N]   a `docker save` tar
  oci:DIR[:TAG]                        an OCI image layout directory
  oci-archive:FILE[:TAG]               a tar of an OCI image layout
  docker-daemon:NAME[:TAG], NAME       an image in the Docker engine (DOCKER_HOST), exported
                                       through the engine's API
  docker://[REGISTRY/]REPO[:TAG|@DIGEST]  an image in a registry (credentials: see
                                       `dockerflow publish --help`)

Several images (REF REF ..., --from FILE): each is read and judged by a pool of --jobs workers;
the reports come in the order of the inputs, then (text format) a table of each image's verdict
and failed rules. An image that cannot be read is named on stderr and in the table, and the
others are still checked.

Exit status: 0 pass (warnings allowed), 1 a rule failed, 2 could not check (any image) or a
usage error.
Colour: on a terminal only; set NO_COLOR to turn it off.";

/// `dockerflow report COMMAND`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Join the JSON reports of several runs (e.g. each shard of a CI matrix) into one summary
    /// and reports in every format; the exit status is the worst
    #[command(after_help = MERGE_AFTER_HELP)]
    Merge(MergeArgs),
}

const MERGE_AFTER_HELP: &str = "\
FILE: a JSON report as `dockerflow check` writes it (`--format json` or `--report json=FILE`):
one input's report, or the array of a fleet's (`check image REF REF ...`, `--shard I/N`), or of
an earlier merge. The reports keep their order (file by file); the text report ends with the
table of each input's verdict and failed rules, as a fleet's does. An input in several files is
counted once (its worst result) and named on stderr; an image a shard could not check stays in
the summary as not checked.

  # each job of a matrix:  dockerflow check image --from images.txt --shard 3/8 --report json=shard-3.json
  dockerflow report merge shard-*.json --report html=fleet.html --report sarif=fleet.sarif

Exit status: 0 every report passes (warnings allowed), 1 a rule failed (or warned, with
--fail-on warn), 2 an input could not be checked, or a FILE is unreadable or not a report.";

/// `report merge FILE...`: the files and the output options of `check` (no profile or ignore:
/// the reports were judged when they were written).
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The JSON reports to join (`-` reads one from stdin)
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Report format
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub(crate) format: FormatArg,
    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (repeatable; e.g. html=fleet.html)
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub(crate) reports: Vec<(Format, PathBuf)>,
    /// Exit 1 when a rule failed (fail), or also when a SHOULD rule warned (warn)
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    pub(crate) fail_on: FailOn,
    /// Print only the verdicts and the table (text format)
    #[arg(short, long, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Print every rule, passes with what they found (text format)
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// `I/N` of `--shard`: 1 <= I <= N.
fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let expected = "expected I/N with 1 <= I <= N, e.g. --shard 2/8";
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} has no '/'; {expected}"))?;
    let number = |x: &str| {
        x.trim()
            .parse::<usize>()
            .map_err(|_| format!("{x:?} in {s:?} is not a number; {expected}"))
    };
    let (i, n) = (number(i)?, number(n)?);
    if n == 0 || i == 0 || i > n {
        return Err(format!("shard {i} of {n} does not exist; {expected}"));
    }
    Ok((i, n))
}

/// How the judgement is reported and which rules count (every `check` target).
#[derive(Debug, Args)]
#[command(next_help_heading = "Report options")]
pub(crate) struct ReportArgs {
    /// Report format
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    pub(crate) format: FormatArg,
    /// Write the report to FILE instead of stdout
    #[arg(short, long, global = true, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (repeatable; e.g. junit=check.xml)
    #[arg(long = "report", global = true, value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub(crate) reports: Vec<(Format, PathBuf)>,
    /// strict: CONTRACT.md as written; mozcloud: what Mozilla's current images do
    #[arg(long, global = true, value_enum, default_value_t = ProfileArg::Strict)]
    pub(crate) profile: ProfileArg,
    /// Exit 1 when a rule fails (fail), or also when a SHOULD rule warns (warn)
    #[arg(long, global = true, value_enum, default_value_t = FailOn::Fail)]
    pub(crate) fail_on: FailOn,
    /// Ignore a rule; the reason is required (repeatable)
    #[arg(long = "ignore", global = true, value_name = "ID=REASON")]
    pub(crate) ignores: Vec<String>,
    /// Print only the verdict (text format)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Print every rule, passes with what they found (text format)
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
    /// Read ignores (lines `ID REASON`) from FILE [default: .dockerflow-check next to the
    /// Dockerfile, or in the current directory, when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) ignore_file: Option<PathBuf>,
}

/// `check image REF`.
#[derive(Debug, Args)]
pub(crate) struct ImageArgs {
    /// The images (see below); several are checked in parallel, with a summary table at the
    /// end of the text report
    #[arg(value_name = "REF", required_unless_present = "from")]
    pub(crate) references: Vec<String>,
    /// Also check the images FILE names, one reference a line (blank lines and `#` comments
    /// skipped; `-` reads stdin)
    #[arg(long, value_name = "FILE")]
    pub(crate) from: Option<PathBuf>,
    /// How many images are checked at once [default: the number of CPUs; 1 with --run]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) jobs: Option<u32>,
    /// Check only shard I of N of the inputs (1-based; the K-th input belongs to shard
    /// ((K-1) mod N)+1), for a CI matrix or a Kubernetes Indexed Job (`dockerflow report
    /// merge` joins the shards' JSON reports)
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub(crate) shard: Option<(usize, usize)>,
    /// The platform to pick from a multi-platform image [default: linux/amd64]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_parser = parse_platform)]
    pub(crate) platform: Option<Platform>,
    /// The memory budget of reading the image (its file tree's entries, names and findings,
    /// the file content kept, an archive's index); an image that needs more is not checked
    /// (exit 2). Bytes, or with a binary suffix: 64MiB, 2GiB (K, M, G for short)
    /// [default: 512MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_memory: Option<u64>,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// How long to wait for a registry, and how often to try again.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Network options")]
pub(crate) struct NetworkArgs {
    /// Deadline of each network request: connecting, and each read or write (with --run, also
    /// of each request to the service and of its heartbeat with a dependency down), in seconds
    /// [default: 60 for a registry, 10 for the service]
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) timeout: Option<Duration>,
    /// How many times a request that failed on the way (a reset, a timeout, a 5xx or 429) is
    /// tried again, with backoff; a host that does not resolve or refuses the connection fails
    /// at once [default: 5]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=20))]
    pub(crate) retries: Option<u32>,
}

impl NetworkArgs {
    /// The registry client's options with these applied.
    pub(crate) fn client_options(&self) -> dockerflow_registry::ClientOptions {
        let mut o = dockerflow_registry::ClientOptions::default();
        if let Some(t) = self.timeout {
            o.timeout = t;
        }
        if let Some(r) = self.retries {
            o.max_attempts = r + 1;
        }
        let attempts = o.max_attempts;
        o.on_retry = Some(dockerflow_registry::RetryHook(std::sync::Arc::new(
            move |what: &str, attempt: u32, e: &dockerflow_registry::Error| {
                crate::say::err(&format!(
                    "dockerflow: {what} failed: {e}; trying again (attempt {attempt} of {attempts})"
                ));
            },
        )));
        o
    }
}

/// `check dockerfile PATH...`.
#[derive(Debug, Args)]
pub(crate) struct DockerfileArgs {
    /// The Dockerfiles (`-` reads one from stdin; a directory, its `Dockerfile`, as `docker
    /// build DIR` reads it)
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// The stage to check [default: the last]
    #[arg(long, value_name = "STAGE")]
    pub(crate) target: Option<String>,
    /// A build argument (repeatable)
    #[arg(long = "build-arg", value_name = "K=V", value_parser = parse_key_value)]
    pub(crate) build_args: Vec<(String, String)>,
    /// The build context, read with its .dockerignore for files a COPY would bring in
    /// [default: the Dockerfile's directory; the current directory for `-`]
    #[arg(long, value_name = "DIR")]
    pub(crate) context: Option<PathBuf>,
}

/// `check url URL`.
#[derive(Debug, Args)]
pub(crate) struct UrlArgs {
    /// http://HOST:PORT[/PREFIX]
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// A static file the service serves (e.g. /static/app.css)
    #[arg(long, value_name = "PATH", value_parser = parse_url_path)]
    pub(crate) static_path: Option<String>,
    /// Deadline of each request, in seconds [default: 10]
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) timeout: Option<Duration>,
    /// Verify a deploy instead of judging the rules: poll /__version__ until it answers this
    /// commit (a full SHA, or a prefix of at least 7 hex digits), then require /__heartbeat__
    /// to answer 200. Exit 0 deployed, 1 not within --wait (saying what was seen), 2 nothing
    /// answered
    #[arg(long, value_name = "SHA", value_parser = parse_commit, help_heading = "Deploy verification")]
    pub(crate) expect_commit: Option<String>,
    /// Also require /__version__'s `version` to be exactly V
    #[arg(
        long,
        value_name = "V",
        requires = "expect_commit",
        help_heading = "Deploy verification"
    )]
    pub(crate) expect_version: Option<String>,
    /// How long to keep polling: seconds (90), or with a unit (90s, 10m, 1h30m) [default: 0,
    /// one try]
    #[arg(
        long,
        value_name = "DURATION",
        requires = "expect_commit",
        value_parser = parse_wait,
        help_heading = "Deploy verification"
    )]
    pub(crate) wait: Option<Duration>,
}

/// `check logs FILE`.
#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// The log file (`-` for stdin), read as it streams
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// The longest line read; a longer one stops the check (exit 2). Bytes, or with a binary
    /// suffix: 64KiB, 16MiB [default: 1MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_line: Option<u64>,
}

/// `check kubernetes PATH...`.
#[derive(Debug, Args)]
pub(crate) struct KubernetesArgs {
    /// Manifest files, directories of them, or `-` for stdin
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,
}

/// The runtime options of `check image REF --run`.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Runtime options (with --run)")]
pub(crate) struct RunArgs {
    /// Run the image on the Docker engine (DOCKER_HOST; host network, a free loopback port in
    /// PORT) and check CONTRACT.md section 1
    #[arg(long)]
    pub(crate) run: bool,
    /// Environment for the container (repeatable)
    #[arg(short, long, value_name = "K=V", requires = "run", value_parser = parse_key_value)]
    pub(crate) env: Vec<(String, String)>,
    /// Environment from FILE (K=V lines, # comments)
    #[arg(long, value_name = "FILE", requires = "run")]
    pub(crate) env_file: Vec<PathBuf>,
    /// VAR points at a backing service: one more run with its host and port on a closed port;
    /// the heartbeat must answer 5xx (repeatable)
    #[arg(long, value_name = "VAR", requires = "run")]
    pub(crate) dependency_env: Vec<String>,
    /// A static file the service serves (e.g. /static/app.css)
    #[arg(long, value_name = "PATH", requires = "run", value_parser = parse_url_path)]
    pub(crate) static_path: Option<String>,
    /// Also run with a read-only root filesystem and a tmpfs /tmp
    #[arg(long, requires = "run")]
    pub(crate) read_only: bool,
    /// How long the service has to listen, in seconds [default: 30]
    #[arg(long, value_name = "SECS", requires = "run", value_parser = parse_secs)]
    pub(crate) ready_timeout: Option<Duration>,
    /// How long it has to exit after SIGTERM, in seconds [default: 10]
    #[arg(long, value_name = "SECS", requires = "run", value_parser = parse_secs)]
    pub(crate) grace: Option<Duration>,
    /// Print how long each phase of the run took (stderr)
    #[arg(long, requires = "run")]
    pub(crate) timings: bool,
}

/// `dockerflow version`.
#[derive(Debug, Default, Args)]
#[command(
    about = "Write version.json (contract section 1.3: source, version, commit, build) for this build, \
or check one",
    long_about = "Write version.json (contract section 1.3: source, version, commit, build) for this \
build, or check one.\n\nValues come from GitHub Actions, CircleCI, GitLab CI or Taskcluster \
variables, and from the git checkout for what the CI does not set. `version` is the tag on tag \
builds, else --version-string, else empty (never a branch name).",
    after_help = "Exit status: 0 written (or valid), 1 --check found a contract violation, 2 \
error."
)]
pub(crate) struct VersionArgs {
    /// Write to FILE; `-` writes to stdout [default: version.json]
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Same as --output -
    #[arg(long, conflicts_with = "output")]
    pub(crate) stdout: bool,
    /// `version` on non-tag builds
    #[arg(long, value_name = "TEXT")]
    pub(crate) version_string: Option<String>,
    /// Override `source`
    #[arg(long, value_name = "URL")]
    pub(crate) source: Option<String>,
    /// Override `commit`
    #[arg(long, value_name = "SHA")]
    pub(crate) commit: Option<String>,
    /// Override `build` (else the CI's job URL, else $BUILD_URL)
    #[arg(long, value_name = "URL")]
    pub(crate) build_url: Option<String>,
    /// The git checkout to read [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub(crate) git_dir: Option<PathBuf>,
    /// Validate FILE with the contract's rules instead of writing one
    #[arg(long, value_name = "FILE", conflicts_with_all = ["output", "stdout"])]
    pub(crate) check: Option<PathBuf>,
}

/// `dockerflow build`.
#[derive(Debug, Default, Args)]
#[command(
    about = "Build a Dockerflow-compliant image without a Docker daemon, reproducibly",
    long_about = BUILD_ABOUT,
    after_help = "Prints the manifest digest (sha256:...) on stdout. Exit status: 0 built, 2 \
error."
)]
pub(crate) struct BuildArgs {
    /// Build the cargo binary target NAME (cargo build --release)
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    pub(crate) bin: Option<String>,
    /// The package of --bin, in a workspace
    #[arg(short, long, value_name = "PKG", help_heading = "Input")]
    pub(crate) package: Option<String>,
    /// A prebuilt executable instead of --bin
    #[arg(long, value_name = "PATH", help_heading = "Input")]
    pub(crate) binary: Option<PathBuf>,
    /// Its name in /app/bin/ [default: the binary's file name]
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    pub(crate) name: Option<String>,
    /// Copy DIR to /app/static/
    #[arg(long = "static", value_name = "DIR", help_heading = "Input")]
    pub(crate) static_dir: Option<PathBuf>,
    /// /app/version.json [default: ./version.json, else generated as `dockerflow version`
    /// does]
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub(crate) version_json: Option<PathBuf>,
    /// Cmd: a JSON array ('["serve"]') or words (serve)
    #[arg(long, value_name = "CMD", help_heading = "Input")]
    pub(crate) cmd: Option<String>,
    /// An environment variable (repeatable)
    #[arg(long, value_name = "KEY=VALUE", help_heading = "Input", value_parser = parse_key_value)]
    pub(crate) env: Vec<(String, String)>,
    /// Set the image's Healthcheck to the binary's self-probe (`CMD /app/bin/NAME
    /// healthcheck`, exec form: no shell needed)
    #[arg(long, help_heading = "Input")]
    pub(crate) healthcheck: bool,
    /// Build on REF (`oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
    /// `docker-archive:FILE[:NAME:TAG]`, `docker-daemon:NAME[:TAG]` or a bare engine name,
    /// `docker://REGISTRY/REPO[:TAG|@DIGEST]`; from an index, the platform of the binary's
    /// architecture); pinned by digest in the org.opencontainers.image.base.* annotations
    #[arg(long, value_name = "REF", help_heading = "Input")]
    pub(crate) base: Option<String>,
    /// `oci:DIR[:TAG]` | `oci-archive:FILE[:TAG]` | `docker-archive:FILE[:NAME:TAG]` |
    /// `docker-daemon:NAME[:TAG]` (loaded into the Docker engine) |
    /// `docker://REGISTRY/REPO[:TAG]` (pushed as `dockerflow publish` does); repeatable, at
    /// least one
    #[arg(short, long = "output", value_name = "DEST", help_heading = "Output")]
    pub(crate) outputs: Vec<String>,
    /// For a docker:// output.
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
}

const BUILD_ABOUT: &str = "\
Build a Dockerflow-compliant image without a Docker daemon, reproducibly.

The image: the base's layers (or, without --base, the binary's interpreter, shared libraries
and CA certificates from this machine); /etc/passwd and /etc/group with app 10001; /app/bin/NAME,
/app/static/ and /app/version.json owned by root, read-only for app. User app, Entrypoint
[\"/app/bin/NAME\"], the given Cmd, PORT=8000, EXPOSE 8000/tcp, WorkingDir /app, OCI labels.
Same inputs and SOURCE_DATE_EPOCH (unset: 0) give the same digest.";

/// `dockerflow publish SRC DEST`.
#[derive(Debug, Args)]
#[command(
    about = "Copy an image to a registry, and write the pushed manifest digest to a file",
    long_about = "Copy an image to a registry, and write the pushed manifest digest to a file.",
    after_long_help = crate::publish::LONG_HELP
)]
pub(crate) struct PublishArgs {
    /// Any image reference of `dockerflow check image`
    #[arg(value_name = "SRC")]
    pub(crate) src: String,
    /// `docker://REGISTRY/REPO[:TAG]` (the tag defaults to latest)
    #[arg(value_name = "DEST")]
    pub(crate) dest: String,
    /// Where to write the digest; it holds `sha256:<hex>` and a newline, nothing else
    #[arg(
        long,
        value_name = "FILE",
        default_value = "docker-image-shasum256.txt"
    )]
    pub(crate) digest_file: PathBuf,
    /// Copy only this platform's image from a multi-platform SRC [default: the whole index]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_parser = parse_platform)]
    pub(crate) platform: Option<Platform>,
    /// Speak plain HTTP to HOST (repeatable; loopback always is)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub(crate) insecure: Vec<String>,
    /// Bytes per upload request [default: 16 MiB]
    #[arg(long, value_name = "BYTES", value_parser = parse_chunk_size)]
    pub(crate) chunk_size: Option<usize>,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
}

/// `dockerflow ci`.
#[derive(Debug, Default, Args)]
#[command(
    about = "Run the Dockerflow pipeline: version.json, the image, its check, and its \
publication",
    long_about = None,
    after_help = crate::ci::AFTER_HELP
)]
pub(crate) struct CiArgs {
    /// Build the cargo binary target NAME
    #[arg(long, value_name = "NAME")]
    pub(crate) bin: Option<String>,
    /// The package of --bin
    #[arg(short, long, value_name = "PKG")]
    pub(crate) package: Option<String>,
    /// Use a prebuilt executable
    #[arg(long, value_name = "PATH")]
    pub(crate) binary: Option<PathBuf>,
    /// The image's Cmd for a daemonless build (required there: words, or a JSON array)
    #[arg(long, value_name = "CMD")]
    pub(crate) cmd: Option<String>,
    /// Static files for /app/static/ (daemonless build)
    #[arg(long = "static", value_name = "DIR")]
    pub(crate) static_dir: Option<PathBuf>,
    /// An environment variable in the image's config (daemonless build; repeatable)
    #[arg(long, value_name = "K=V", value_parser = parse_key_value)]
    pub(crate) image_env: Vec<(String, String)>,
    /// The image's Healthcheck runs the binary's self-probe (daemonless build)
    #[arg(long)]
    pub(crate) healthcheck: bool,
    /// Build with `docker build -f PATH` instead
    #[arg(long, value_name = "PATH")]
    pub(crate) dockerfile: Option<PathBuf>,
    /// The docker build context [default: the Dockerfile's directory]
    #[arg(long, value_name = "DIR")]
    pub(crate) context: Option<PathBuf>,
    /// Use this version.json instead of generating one
    #[arg(long, value_name = "FILE")]
    pub(crate) version_json: Option<PathBuf>,
    /// Where to publish (docker://REGISTRY/REPO); without it nothing is published
    #[arg(long, value_name = "docker://REGISTRY/REPO")]
    pub(crate) registry_image: Option<String>,
    /// A tag to publish (repeatable) [default: the version on tag builds, else latest]
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// The check's profile
    #[arg(long, value_enum, default_value_t = ProfileArg::Strict)]
    pub(crate) profile: ProfileArg,
    /// The memory budget of the check's image read (as `check image --max-memory`): bytes,
    /// or with a binary suffix: 64MiB, 2GiB [default: 512MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_memory: Option<u64>,
    /// Do not run the image, even with an engine
    #[arg(long)]
    pub(crate) no_run: bool,
    /// Passed to the runtime check (repeatable)
    #[arg(long, value_name = "VAR")]
    pub(crate) dependency_env: Vec<String>,
    /// Passed to the runtime check (repeatable)
    #[arg(short, long, value_name = "K=V", value_parser = parse_key_value)]
    pub(crate) env: Vec<(String, String)>,
    /// Also write the check's report as JUnit XML
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Where images are written
    #[arg(long, value_name = "DIR", default_value = "target/dockerflow-ci")]
    pub(crate) work_dir: PathBuf,
    /// The build and test log
    #[arg(long, value_name = "FILE", default_value = "dockerflow-ci.log")]
    pub(crate) log: PathBuf,
    /// Mask VALUE too (repeatable)
    #[arg(long = "mask", value_name = "VALUE")]
    pub(crate) masks: Vec<String>,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
}

/// The report formats, as clap lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// For people
    Text,
    /// Versioned JSON
    Json,
    /// JUnit XML
    Junit,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// One line per broken rule: FILE:LINE: LEVEL DFNNN message (editors, problem matchers)
    Gnu,
    /// One self-contained HTML page (no script, no external asset)
    Html,
    /// An SVG badge: "dockerflow | compliant" or "dockerflow | 3 failed"
    Badge,
}

impl FormatArg {
    pub(crate) fn format(self) -> Format {
        match self {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Junit => Format::Junit,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Gnu => Format::Gnu,
            FormatArg::Html => Format::Html,
            FormatArg::Badge => Format::Badge,
        }
    }
}

/// What makes the exit status 1 (as hadolint's `--failure-threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum FailOn {
    /// A rule failed (a MUST broken)
    #[default]
    Fail,
    /// A rule failed or warned (a SHOULD broken too)
    Warn,
}

/// The contract's readings, as clap lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum ProfileArg {
    /// CONTRACT.md as written
    #[default]
    Strict,
    /// What Mozilla's current images do
    Mozcloud,
}

impl ProfileArg {
    pub(crate) fn profile(self) -> Profile {
        match self {
            ProfileArg::Strict => Profile::Strict,
            ProfileArg::Mozcloud => Profile::Mozcloud,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
