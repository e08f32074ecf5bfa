//! `check image --run`: the up run, one run per dependency taken down, and the read-only run,
//! each in its own container on the host network with a fresh loopback port in `PORT`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use dockerflow_check::{
    Answer, DependencyDown, Endpoint, ImageModel, Logs, Mode, RequestIdProbe, RuntimeModel,
    Sigterm, VERSION_JSON,
};
use dockerflow_engine::{ContainerSpec, Engine};
use dockerflow_http::{fetch, Exchange, FetchError, HttpUrl};

use crate::interrupt::Container;
use crate::{Error, LABEL};

/// What the probe needs from the image itself (read through `dockerflow-oci`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// The bytes of `/app/version.json`, if the image has it.
    pub version_json: Option<Vec<u8>>,
    /// The image's `Env` (`K=V`).
    pub env: Vec<String>,
    /// The entrypoint (or, without one, the command) runs through `/bin/sh -c`.
    pub shell_form: bool,
}

impl ImageFacts {
    /// Reads the facts from an image model.
    pub fn from_model(m: &ImageModel) -> ImageFacts {
        let c = m.container();
        let first = c.and_then(|c| {
            c.entrypoint
                .value()
                .filter(|e| !e.is_empty())
                .or_else(|| c.cmd.value())
                .cloned()
        });
        ImageFacts {
            version_json: m.vfs.read(VERSION_JSON).ok().map(<[u8]>::to_vec),
            env: c.and_then(|c| c.env.value().cloned()).unwrap_or_default(),
            shell_form: first.is_some_and(|a| {
                a.len() >= 2
                    && (a[0] == "/bin/sh" || a[0] == "sh" || a[0] == "/bin/bash")
                    && a[1] == "-c"
            }),
        }
    }
}

/// How to run the image.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `K=V` for every run (from `--env` and `--env-file`).
    pub env: Vec<(String, String)>,
    /// Variables that point at backing services: one extra run per variable, with its host
    /// and port rewritten to a closed loopback port.
    pub dependency_env: Vec<String>,
    /// A static file path to ask for (`/static/app.css`).
    pub static_path: Option<String>,
    /// Also run with a read-only root filesystem and a tmpfs `/tmp`.
    pub read_only: bool,
    /// How long a container has to start listening on `$PORT`.
    pub ready_timeout: Duration,
    /// How long the process has to exit after SIGTERM.
    pub grace: Duration,
    /// How long the heartbeat has to answer while a dependency is down.
    pub heartbeat_deadline: Duration,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            env: Vec::new(),
            dependency_env: Vec::new(),
            static_path: None,
            read_only: false,
            ready_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(10),
            heartbeat_deadline: Duration::from_secs(10),
        }
    }
}

pub(crate) const BODY_LIMIT: usize = 1 << 20;

/// A free loopback port that is not 8000 (so a service that hard-codes 8000 fails).
fn free_port() -> Result<u16, Error> {
    port_other_than_8000(|| {
        let l = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::NoFreePort(format!("cannot find a free loopback port: {e}")))?;
        Ok(l.local_addr()
            .map_err(|e| Error::NoFreePort(e.to_string()))?
            .port())
    })
}

/// The first port `next` gives that is not 8000, within 20 tries.
fn port_other_than_8000(mut next: impl FnMut() -> Result<u16, Error>) -> Result<u16, Error> {
    for _ in 0..20 {
        let port = next()?;
        if port != 8000 {
            return Ok(port);
        }
    }
    Err(Error::NoFreePort(
        "cannot find a free loopback port other than 8000".into(),
    ))
}

/// Rewrites the host and port in `value` (a URL such as `postgres://u:p@db:5432/x`, or a bare
/// `host:port`) to `127.0.0.1:port`, keeping the scheme, credentials and path.
pub fn rewrite_host_port(value: &str, port: u16) -> Option<String> {
    let target = format!("127.0.0.1:{port}");
    if let Some(i) = value.find("://") {
        let start = i + 3;
        let rest = &value[start..];
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let host_start = authority.rfind('@').map_or(0, |a| a + 1);
        if authority[host_start..].is_empty() {
            return None;
        }
        Some(format!(
            "{}{}{target}{}",
            &value[..start],
            &authority[..host_start],
            &rest[end..]
        ))
    } else {
        let (host, p) = value.rsplit_once(':')?;
        (!host.is_empty() && !host.contains('/') && p.parse::<u16>().is_ok()).then_some(target)
    }
}

/// A loopback port where nothing listens (bound, then released).
fn closed_port() -> Result<u16, Error> {
    free_port()
}

/// How a start ended: listening, or why it never did (an observation, not an error).
enum Start<'a> {
    Listening(Started<'a>),
    NeverListened(String),
}

struct Started<'a> {
    container: Container<'a>,
    port: u16,
    /// From create to started.
    started_after: Duration,
    /// From started to accepting connections.
    ready_after: Duration,
}

fn env_list(base: &[(String, String)], port: u16) -> Vec<String> {
    let mut env: Vec<String> = base.iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.push(format!("PORT={port}"));
    env
}

/// The last lines of a container's output, for messages.
fn tail(engine: &Engine, id: &str) -> String {
    match engine.logs(id) {
        Ok(l) => {
            let mut all = l.stdout;
            all.extend_from_slice(&l.stderr);
            let text = String::from_utf8_lossy(&all);
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            if lines.is_empty() {
                "no output".to_string()
            } else {
                let last: Vec<&str> = lines[lines.len().saturating_sub(3)..].to_vec();
                format!("last output: {}", last.join(" | "))
            }
        }
        Err(e) => format!("no logs: {e}"),
    }
}

/// Creates and starts a container, then waits until something accepts connections on its
/// port, or until it is clear it never will (and the container is removed on drop).
fn start<'a>(
    engine: &'a Engine,
    image: &str,
    env: &[(String, String)],
    read_only: bool,
    timeout: Duration,
) -> Result<Start<'a>, Error> {
    let port = free_port()?;
    let spec = ContainerSpec {
        image: image.to_string(),
        env: env_list(env, port),
        labels: BTreeMap::from([(LABEL.to_string(), "1".to_string())]),
        user: None,
        host_network: true,
        read_only,
        tmpfs: if read_only {
            vec!["/tmp".to_string()]
        } else {
            Vec::new()
        },
    };
    let created = Instant::now();
    let container = Container::create(engine, &spec)?;
    engine.start(&container.id)?;
    let started_after = created.elapsed();
    let t0 = Instant::now();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(Start::Listening(Started {
                container,
                port,
                started_after,
                ready_after: t0.elapsed(),
            }));
        }
        let state = engine.inspect(&container.id)?;
        if !state.running {
            return Ok(Start::NeverListened(format!(
                "the container exited with code {} before listening on $PORT={port}; {}",
                state.exit_code,
                tail(engine, &container.id)
            )));
        }
        if t0.elapsed() >= timeout {
            return Ok(Start::NeverListened(format!(
                "nothing listened on 127.0.0.1:{port} ($PORT) within {} s; {}",
                timeout.as_secs_f64(),
                tail(engine, &container.id)
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get(url: &HttpUrl, method: &str, path: &str, timeout: Duration) -> Answer {
    answer(
        method,
        path,
        fetch(url, method, path, &[], timeout, BODY_LIMIT),
    )
}

/// A request's outcome as the model holds it.
pub(crate) fn answer(method: &str, path: &str, fetched: Result<Exchange, FetchError>) -> Answer {
    fetched.map_err(|e| format!("{method} {path}: {}", e.io()))
}

fn endpoint(url: &HttpUrl, path: &str, timeout: Duration) -> Endpoint {
    Endpoint {
        path: path.to_string(),
        get: get(url, "GET", path, timeout),
        head: get(url, "HEAD", path, timeout),
    }
}

/// Probes the endpoints of a service at `url` into `m`; `first` is the answer to
/// `GET /__lbheartbeat__` when it was already asked.
pub(crate) fn probe_endpoints(
    m: &mut RuntimeModel,
    url: &HttpUrl,
    static_path: Option<&str>,
    timeout: Duration,
    first: Option<Answer>,
) {
    m.lbheartbeat = Some(match first {
        Some(get) => Endpoint {
            path: "/__lbheartbeat__".to_string(),
            get,
            head: self::get(url, "HEAD", "/__lbheartbeat__", timeout),
        },
        None => endpoint(url, "/__lbheartbeat__", timeout),
    });
    m.version = Some(endpoint(url, "/__version__", timeout));
    m.heartbeat = Some(endpoint(url, "/__heartbeat__", timeout));
    if let Some(p) = static_path {
        m.static_file = Some((p.to_string(), get(url, "GET", p, timeout)));
    }
    // A request id unique to this probe, valid under CONTRACT.md 1.9 ([A-Za-z0-9._:-]{1,128}).
    let sent_at = std::time::SystemTime::now();
    let nanos = sent_at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let sent = format!("dockerflow-check-{:x}-{nanos:x}", std::process::id());
    let path = "/__version__";
    let answer = self::answer(
        "GET",
        path,
        fetch(
            url,
            "GET",
            path,
            &[("X-Request-ID", &sent)],
            timeout,
            BODY_LIMIT,
        ),
    );
    m.request_id = Some(RequestIdProbe {
        path: path.to_string(),
        sent,
        sent_at: Some(sent_at),
        answer,
    });
}

fn read_uid(pid: u32) -> Result<u32, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{path} has no Uid line"))
}

fn loopback(port: u16) -> HttpUrl {
    HttpUrl {
        authority: format!("127.0.0.1:{port}"),
        base: String::new(),
    }
}

/// Runs `image` (a reference the engine knows) and observes it: see the crate docs. An
/// `Err` means the check could not be made at all (no engine, a bad `--dependency-env`);
/// a misbehaving service is an `Ok` model with the failures in it.
pub fn run_image(
    engine: &Engine,
    image: &str,
    subject: &str,
    facts: &ImageFacts,
    options: &RunOptions,
) -> Result<RuntimeModel, Error> {
    let result = run_image_inner(engine, image, subject, facts, options);
    if result.is_err() && crate::interrupt::interrupted() {
        // Ctrl-C: the watcher removed the containers under us and is about to exit with
        // status 130; give it time rather than report the error it caused.
        std::thread::sleep(Duration::from_secs(30));
    }
    result
}

fn run_image_inner(
    engine: &Engine,
    image: &str,
    subject: &str,
    facts: &ImageFacts,
    options: &RunOptions,
) -> Result<RuntimeModel, Error> {
    let mut m = RuntimeModel::new(Mode::Container, subject);
    m.image_version_json = Some(facts.version_json.clone());
    m.heartbeat_deadline = options.heartbeat_deadline;
    // Every dependency must have a value to rewrite before anything starts.
    let mut down_envs = Vec::new();
    for var in &options.dependency_env {
        let value = options
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == var)
            .map(|(_, v)| v.clone())
            .or_else(|| {
                facts
                    .env
                    .iter()
                    .filter_map(|e| e.split_once('='))
                    .find(|(k, _)| k == var)
                    .map(|(_, v)| v.to_string())
            })
            .ok_or_else(|| Error::DependencyEnv {
                var: var.clone(),
                why: format!(
                    "{var} is set neither by --env/--env-file nor in the image's Env; expected a variable holding a backing service's address"
                ),
            })?;
        let closed = closed_port()?;
        let rewritten = rewrite_host_port(&value, closed).ok_or_else(|| Error::DependencyEnv {
            var: var.clone(),
            why: "its value has no host:port to rewrite; expected a URL (scheme://[user@]host:port/...) or host:port".to_string(),
        })?;
        let mut env = options.env.clone();
        env.retain(|(k, _)| k != var);
        env.push((var.clone(), rewritten));
        down_envs.push((var.clone(), env));
    }

    let timeout = options.heartbeat_deadline + Duration::from_secs(2);
    let phase = |m: &mut RuntimeModel, name: String, t: Duration| {
        m.phases.push((name, t));
    };
    match start(engine, image, &options.env, false, options.ready_timeout)? {
        Start::NeverListened(why) => {
            m.listening = Some(Err(why.clone()));
            m.start_failure = Some(format!("the service never listened on $PORT ({why})"));
            return Ok(m);
        }
        Start::Listening(s) => {
            m.listening = Some(Ok(format!(
                "listening on 127.0.0.1:{} ($PORT) after {} ms",
                s.port,
                s.ready_after.as_millis()
            )));
            phase(
                &mut m,
                "container create+start (up run)".into(),
                s.started_after,
            );
            phase(
                &mut m,
                "until listening on $PORT (up run)".into(),
                s.ready_after,
            );
            let url = loopback(s.port);
            let t = Instant::now();
            probe_endpoints(&mut m, &url, options.static_path.as_deref(), timeout, None);
            let state = engine.inspect(&s.container.id)?;
            m.uid = Some(if state.running && state.pid > 0 {
                read_uid(state.pid)
            } else {
                Err("the process is not running".into())
            });
            phase(&mut m, "endpoints and uid (up run)".into(), t.elapsed());
            let t = Instant::now();
            m.sigterm = Some(sigterm(
                engine,
                &s.container.id,
                options.grace,
                facts.shell_form,
            )?);
            phase(&mut m, "SIGTERM until exit (up run)".into(), t.elapsed());
            let t = Instant::now();
            let logs = engine.logs(&s.container.id)?;
            // Read as one stream, stdout then stderr; the text is dropped here.
            m.logs = Some(Logs::read_parts(&[&logs.stdout, &logs.stderr]));
            drop(s);
            phase(&mut m, "logs and removal (up run)".into(), t.elapsed());
        }
    }

    for (var, env) in down_envs {
        let (heartbeat, lbheartbeat) =
            match start(engine, image, &env, false, options.ready_timeout)? {
                Start::Listening(s) => {
                    let down = format!("({var} down)");
                    phase(
                        &mut m,
                        format!("container create+start {down}"),
                        s.started_after,
                    );
                    phase(
                        &mut m,
                        format!("until listening on $PORT {down}"),
                        s.ready_after,
                    );
                    let t = Instant::now();
                    let url = loopback(s.port);
                    let answers = (
                        get(&url, "GET", "/__heartbeat__", timeout),
                        get(&url, "GET", "/__lbheartbeat__", timeout),
                    );
                    drop(s);
                    phase(&mut m, format!("endpoints and removal {down}"), t.elapsed());
                    answers
                }
                Start::NeverListened(why) => (Err(why.clone()), Err(why)),
            };
        m.dependencies_down.push(DependencyDown {
            var,
            heartbeat,
            lbheartbeat,
        });
    }

    if options.read_only {
        m.read_only = Some(
            match start(engine, image, &options.env, true, options.ready_timeout)? {
                Start::Listening(s) => {
                    match get(&loopback(s.port), "GET", "/__lbheartbeat__", timeout) {
                        Ok(x) if x.status == 200 => Ok(()),
                        Ok(x) => Err(format!("/__lbheartbeat__ answered {}", x.status)),
                        Err(e) => Err(e),
                    }
                }
                Start::NeverListened(why) => Err(why),
            },
        );
    }
    Ok(m)
}

/// Sends SIGTERM and waits up to `grace` for the container to stop; kills it after that.
fn sigterm(engine: &Engine, id: &str, grace: Duration, shell_form: bool) -> Result<Sigterm, Error> {
    engine.kill(id, "SIGTERM")?;
    let t0 = Instant::now();
    loop {
        let state = engine.inspect(id)?;
        if !state.running {
            return Ok(Sigterm {
                grace,
                exited_after: Some(t0.elapsed()),
                exit_code: Some(state.exit_code),
                shell_form,
            });
        }
        if t0.elapsed() >= grace {
            let _ = engine.kill(id, "SIGKILL");
            return Ok(Sigterm {
                grace,
                exited_after: None,
                exit_code: None,
                shell_form,
            });
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_are_rewritten_in_urls_and_pairs() {
        assert_eq!(
            rewrite_host_port("postgres://u:p@db.internal:5432/app?sslmode=off", 9).as_deref(),
            Some("postgres://u:p@127.0.0.1:9/app?sslmode=off")
        );
        assert_eq!(
            rewrite_host_port("redis://cache", 9).as_deref(),
            Some("redis://127.0.0.1:9")
        );
        assert_eq!(
            rewrite_host_port("db:5432", 9).as_deref(),
            Some("127.0.0.1:9")
        );
        assert_eq!(rewrite_host_port("sqlite:///data/app.db", 9), None);
        assert_eq!(rewrite_host_port("just-a-name", 9), None);
    }

    /// The kernel rarely hands out 8000 (it is below the ephemeral range), so the choice is
    /// tested with a port source that does.
    #[test]
    fn ports_are_never_8000() {
        let mut ports = [8000, 8000, 8001].into_iter();
        let port = port_other_than_8000(|| Ok(ports.next().unwrap_or(9)));
        assert_eq!(port.ok(), Some(8001));
        let e = port_other_than_8000(|| Ok(8000))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("cannot find a free loopback port other than 8000")
        );
        assert_ne!(free_port().ok(), Some(8000));
    }
}
