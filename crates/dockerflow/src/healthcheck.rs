//! The self-probe (CONTRACT 2): `SERVICE healthcheck` GETs `/__lbheartbeat__` on `$PORT` over
//! loopback and exits 0 when it answers 200, 1 otherwise, within a second. It is what a Docker
//! `HEALTHCHECK` runs in an image without a shell, `curl` or `wget` (distroless, scratch).
//!
//! One request over a plain `std::net::TcpStream`, blocking, with no runtime and no HTTP client:
//! the status line is all it reads.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::config::{Config, ConfigError};

/// How long the probe may take, connection included.
pub const HEALTHCHECK_DEADLINE: Duration = Duration::from_secs(1);

/// Why the self-probe failed.
#[derive(Debug)]
pub enum HealthcheckError {
    /// `PORT` or `HOST` (or another setting) cannot be used.
    Config(ConfigError),
    /// No connection, or no complete status line, within the deadline.
    Io(SocketAddr, std::io::Error),
    /// `/__lbheartbeat__` answered this status line (503 while draining, for example).
    Status(SocketAddr, String),
}

impl fmt::Display for HealthcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HealthcheckError::Config(e) => write!(f, "healthcheck: {e}"),
            HealthcheckError::Io(address, e) => {
                write!(f, "healthcheck: GET http://{address}/__lbheartbeat__: {e}")
            }
            HealthcheckError::Status(address, line) => write!(
                f,
                "healthcheck: GET http://{address}/__lbheartbeat__ answered {line:?}, expected 200"
            ),
        }
    }
}

impl std::error::Error for HealthcheckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HealthcheckError::Config(e) => Some(e),
            HealthcheckError::Io(_, e) => Some(e),
            HealthcheckError::Status(..) => None,
        }
    }
}

/// Probes the service configured by the environment (`PORT`, `HOST`): exit status 0 when its
/// `/__lbheartbeat__` answers 200 within [`HEALTHCHECK_DEADLINE`], else 1 with a one-line
/// reason on stderr (which Docker keeps in the container's health log).
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     if std::env::args().nth(1).as_deref() == Some("healthcheck") {
///         return dockerflow::healthcheck();
///     }
///     dockerflow::main("my-service", |builder| async move {
///         builder.serve(dockerflow::NotFound).await
///     })
///     .await
/// }
/// ```
#[allow(clippy::print_stderr)] // A probe's reason is for the person reading the health log.
pub fn healthcheck() -> ExitCode {
    match probe_lbheartbeat() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// [`healthcheck`] without the printing: `Ok` when `/__lbheartbeat__` answered 200.
pub fn probe_lbheartbeat() -> Result<(), HealthcheckError> {
    let config = Config::from_env().map_err(HealthcheckError::Config)?;
    let deadline = Instant::now() + HEALTHCHECK_DEADLINE;
    let mut last = None;
    for address in addresses(config.host, config.port) {
        match probe(address, deadline) {
            Ok(()) => return Ok(()),
            // A refused loopback address may be the other family: try the next.
            Err(HealthcheckError::Io(a, e))
                if e.kind() == std::io::ErrorKind::ConnectionRefused =>
            {
                last = Some(HealthcheckError::Io(a, e));
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        HealthcheckError::Io(address, std::io::ErrorKind::NotFound.into())
    }))
}

/// Where the service listens, as seen from inside its container: loopback when it binds every
/// interface (the default), else the address it binds.
fn addresses(host: Option<IpAddr>, port: u16) -> Vec<SocketAddr> {
    match host {
        Some(ip) if !ip.is_unspecified() => vec![SocketAddr::new(ip, port)],
        Some(IpAddr::V4(_)) => vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))],
        _ => vec![
            SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
        ],
    }
}

fn probe(address: SocketAddr, deadline: Instant) -> Result<(), HealthcheckError> {
    let io = |e: std::io::Error| HealthcheckError::Io(address, e);
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io(std::io::ErrorKind::TimedOut.into()))
    };
    let mut stream = TcpStream::connect_timeout(&address, remaining()?).map_err(io)?;
    stream.set_write_timeout(Some(remaining()?)).map_err(io)?;
    stream
        .write_all(
            b"GET /__lbheartbeat__ HTTP/1.1\r\nHost: localhost\r\n\
              User-Agent: dockerflow-healthcheck\r\nConnection: close\r\n\r\n",
        )
        .map_err(io)?;
    let mut head = Vec::with_capacity(64);
    let mut chunk = [0u8; 64];
    while !head.contains(&b'\n') && head.len() < 1024 {
        stream.set_read_timeout(Some(remaining()?)).map_err(io)?;
        match stream.read(&mut chunk).map_err(io)? {
            0 => break,
            n => head.extend_from_slice(&chunk[..n]),
        }
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line).trim_end().to_owned();
    let mut words = line.split(' ');
    match (words.next(), words.next()) {
        (Some("HTTP/1.1" | "HTTP/1.0"), Some("200")) => Ok(()),
        _ => Err(HealthcheckError::Status(address, line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_unless_a_specific_address() {
        let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, 80));
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, 80));
        assert_eq!(addresses(None, 80), [v4, v6]);
        assert_eq!(addresses(Some(Ipv6Addr::UNSPECIFIED.into()), 80), [v4, v6]);
        assert_eq!(addresses(Some(Ipv4Addr::UNSPECIFIED.into()), 80), [v4]);
        let specific: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(
            addresses(Some(specific), 80),
            [SocketAddr::new(specific, 80)]
        );
    }
}
