//! What CONTRACT.md section 2 calls the application: the program the container starts and the
//! files added for it. DF101 judges where they live, the same way for an image and a
//! Dockerfile: wrappers (`tini`, `dumb-init`, `env`, `gosu`, a `sh -c` line) are looked through;
//! a language runtime (`python`, `node`, `gunicorn`, ...) may live anywhere, and then the program
//! is its script argument, or the working directory it runs from.

use dockerflow_dockerfile::{split_commands, Command, CopyFact};

/// Init systems and privilege droppers that start the real program; their flags and (for the
/// droppers) their user argument are skipped.
const WRAPPERS: &[&str] = &[
    "tini",
    "tini-static",
    "dumb-init",
    "catatonit",
    "env",
    "exec",
    "nice",
    "setpriv",
    "chpst",
];
/// Wrappers whose first operand is a user, not the program.
const USER_WRAPPERS: &[&str] = &["gosu", "su-exec", "s6-setuidgid", "runuser"];

/// Language runtimes and servers: they live with the system; the application is what they run.
const RUNTIMES: &[&str] = &[
    "python",
    "python2",
    "python3",
    "pypy",
    "pypy3",
    "node",
    "nodejs",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "bun",
    "deno",
    "java",
    "ruby",
    "bundle",
    "rails",
    "rackup",
    "puma",
    "php",
    "php-fpm",
    "perl",
    "sh",
    "bash",
    "dash",
    "ash",
    "gunicorn",
    "uvicorn",
    "uwsgi",
    "hypercorn",
    "daphne",
    "granian",
    "celery",
    "flask",
    "django-admin",
    "dotnet",
    "pipenv",
    "poetry",
    "uv",
    "ddtrace-run",
    "newrelic-admin",
    "opentelemetry-instrument",
];

/// File name endings of scripts a runtime is given.
const SCRIPTS: &[&str] = &[
    ".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".php", ".pl", ".jar", ".sh", ".dll", ".wsgi",
];

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn is_runtime(word: &str) -> bool {
    let base = basename(word);
    // `python3.12`, `node18`: a runtime with its version in the name.
    let stem = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    RUNTIMES.contains(&base) || RUNTIMES.contains(&stem)
}

/// What the container starts, before any path is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Program {
    /// The program itself, as written (a path or a name looked up in `PATH`).
    Executable(String),
    /// A runtime (`python`) running this script or jar (as written).
    Script { runtime: String, script: String },
    /// A runtime running code from its working directory (`python -m app`, `npm start`).
    InWorkdir { runtime: String },
}

/// The command line the container runs: `ENTRYPOINT` then `CMD` (or `CMD` alone).
pub(crate) fn argv(entrypoint: Option<&Command>, cmd: Option<&Command>) -> Vec<String> {
    let mut out = Vec::new();
    for c in [entrypoint, cmd].into_iter().flatten() {
        match c {
            Command::Exec(v) => out.extend(v.iter().cloned()),
            Command::Shell(s) => out.extend(["/bin/sh".into(), "-c".into(), s.clone()]),
        }
        // A shell-form ENTRYPOINT ignores CMD.
        if matches!(c, Command::Shell(_)) {
            break;
        }
    }
    out
}

/// The program in a command line, looking through wrappers and `sh -c`.
pub(crate) fn program(argv: &[String]) -> Option<Program> {
    let mut words: Vec<String> = argv.to_vec();
    // Bounded: each round either removes a wrapper or a shell level from the front.
    for _ in 0..16 {
        let first = words.first()?.clone();
        let base = basename(&first);
        if matches!(base, "sh" | "bash" | "dash" | "ash") && words.get(1).is_some_and(|w| w == "-c")
        {
            let script = words.get(2)?;
            let commands = split_commands(script);
            // The command that keeps running: the one `exec`ed, else the last.
            let last = commands
                .iter()
                .find(|c| c.words.first().is_some_and(|w| w == "exec"))
                .or_else(|| commands.last())?;
            words = last.words.clone();
            continue;
        }
        if WRAPPERS.contains(&base) || USER_WRAPPERS.contains(&base) {
            let mut rest = words[1..].iter().skip_while(|w| w.starts_with('-'));
            let mut rest: Vec<String> = if USER_WRAPPERS.contains(&base) {
                rest.by_ref().skip(1).cloned().collect()
            } else {
                rest.cloned().collect()
            };
            if base == "env" {
                rest.retain(|w| !w.contains('='));
            }
            words = rest;
            continue;
        }
        if is_runtime(&first) {
            let script = words[1..].iter().find(|w| {
                !w.starts_with('-')
                    && (SCRIPTS.iter().any(|e| w.ends_with(e)) || w.starts_with('/'))
            });
            return Some(match script {
                Some(s) => Program::Script {
                    runtime: first,
                    script: s.clone(),
                },
                None => Program::InWorkdir { runtime: first },
            });
        }
        return Some(Program::Executable(first));
    }
    None
}

/// Where each source of a `COPY`/`ADD` lands.
pub(crate) fn landings(c: &CopyFact) -> Vec<String> {
    let into_dir = c.dest.ends_with('/') || c.sources.len() > 1;
    c.sources
        .iter()
        .map(|s| {
            let name = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
            if into_dir && !matches!(name, "" | "." | "*") {
                absolute(&c.path, name)
            } else {
                absolute("/", &c.path)
            }
        })
        .collect()
}

/// Directories where the system and the language runtimes live, not the application.
const SYSTEM: &[&str] = &[
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/usr",
    "/etc",
    "/var",
    "/tmp",
    "/root",
    "/opt",
    "/run",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/mnt",
    "/media",
    "/nix",
    "/lost+found",
    "/home",
    "/busybox",
    "/docker-entrypoint.d",
];

/// Where the application's own files go when not under /app: a place outside the system
/// directories (`/srv/svc`, `/fxa`, `/code`), or `/usr/src/...` (the node images' habit).
pub(crate) fn is_app_location(path: &str) -> bool {
    if under(path, "/usr/src") && path != "/usr/src" {
        return true;
    }
    !under(path, "/app") && !SYSTEM.iter().any(|s| under(path, s)) && path != "/"
}

/// `path` is `dir` or below it.
pub(crate) fn under(path: &str, dir: &str) -> bool {
    path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// Joins `path` onto `base` and normalises `.` and `..` (never above `/`).
pub(crate) fn absolute(base: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{}/{path}", base.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Option<Program> {
        program(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn exe(s: &str) -> Option<Program> {
        Some(Program::Executable(s.into()))
    }

    #[test]
    fn wrappers_and_shells_are_looked_through() {
        assert_eq!(p(&["/app/server", "serve"]), exe("/app/server"));
        assert_eq!(p(&["tini", "--", "/app/server"]), exe("/app/server"));
        assert_eq!(p(&["/usr/bin/dumb-init", "-c", "svc"]), exe("svc"));
        assert_eq!(p(&["gosu", "app", "/srv/x"]), exe("/srv/x"));
        assert_eq!(p(&["env", "A=1", "B=2", "run"]), exe("run"));
        assert_eq!(
            p(&["/bin/sh", "-c", "migrate && exec /srv/svc/bin --port $PORT"]),
            exe("/srv/svc/bin")
        );
        assert_eq!(p(&["sh", "-c", "cd /x; ./run"]), exe("./run"));
        assert_eq!(p(&[]), None);
    }

    #[test]
    fn runtimes_run_a_script_or_their_workdir() {
        assert_eq!(
            p(&["python3.12", "-u", "/srv/main.py"]),
            Some(Program::Script {
                runtime: "python3.12".into(),
                script: "/srv/main.py".into()
            })
        );
        assert_eq!(
            p(&["npm", "start"]),
            Some(Program::InWorkdir {
                runtime: "npm".into()
            })
        );
        assert_eq!(
            p(&["gunicorn", "app:wsgi", "-b", "0.0.0.0:8000"]),
            Some(Program::InWorkdir {
                runtime: "gunicorn".into()
            })
        );
    }

    #[test]
    fn locations() {
        assert!(is_app_location("/srv/svc/main.py"));
        assert!(is_app_location("/fxa/server.js"));
        assert!(is_app_location("/usr/src/app/index.js"));
        assert!(!is_app_location("/usr/src"));
        assert!(!is_app_location("/app/x"));
        assert!(!is_app_location("/etc/nginx/nginx.conf"));
        assert!(!is_app_location("/usr/local/bin/python"));
        assert!(is_app_location("/application"));
        assert_eq!(absolute("/app", "./bin/../server"), "/app/server");
        assert_eq!(absolute("/", "../../x"), "/x");
    }
}
