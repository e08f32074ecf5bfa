//! Whether a Docker engine answers, asked with nothing but std (`GET /_ping` on `DOCKER_HOST`,
//! default `unix:///var/run/docker.sock`), so a bug in the engine client under test fails its
//! tests instead of skipping them.

use std::io::{Read, Write};
use std::time::Duration;

/// `DOCKER_HOST`, or the default socket.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned())
}

/// `Ok` when the engine at [`docker_host`] answers its ping with 200, else what went wrong.
pub fn ping() -> Result<(), String> {
    let host = docker_host();
    let limit = Some(Duration::from_secs(5));
    let answer = if let Some(path) = host.strip_prefix("unix://") {
        std::os::unix::net::UnixStream::connect(path).and_then(|s| {
            s.set_read_timeout(limit)?;
            s.set_write_timeout(limit)?;
            exchange(s)
        })
    } else if let Some(address) = host.strip_prefix("tcp://") {
        std::net::TcpStream::connect(address).and_then(|s| {
            s.set_read_timeout(limit)?;
            s.set_write_timeout(limit)?;
            exchange(s)
        })
    } else {
        return Err(format!(
            "DOCKER_HOST={host:?}: expected unix:///PATH or tcp://HOST:PORT"
        ));
    };
    let answer = answer.map_err(|e| format!("no Docker engine answers at {host}: {e}"))?;
    let status = answer.lines().next().unwrap_or_default();
    if status.split(' ').nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("{host}: GET /_ping answered {status:?}"))
    }
}

fn exchange(mut stream: impl Read + Write) -> std::io::Result<String> {
    stream.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// Whether a Docker engine answers; when none does, [`crate::skip`]s with the reason.
#[track_caller]
pub fn require() -> bool {
    match ping() {
        Ok(()) => true,
        Err(why) => {
            crate::skip(why);
            false
        }
    }
}
