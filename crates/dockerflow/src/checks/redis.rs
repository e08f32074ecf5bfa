//! `RedisCheck`: connect, authenticate, select the database and `PING` over plain RESP.
//!
//! A few dozen lines of RESP instead of a Redis client crate: the check needs one round trip,
//! and the dependency would cost more compile time than the whole library.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::heartbeat::{BoxFuture, Check, Message};
use crate::redact::redact;

/// Checks a Redis server given by a `redis://[user:password@]host[:port][/db]` URL.
#[derive(Debug, Clone)]
pub struct RedisCheck {
    url: String,
}

#[derive(Debug, PartialEq, Eq)]
struct Target {
    address: String,
    username: Option<String>,
    password: Option<String>,
    db: Option<u32>,
}

impl RedisCheck {
    /// A check of the server at `url`.
    pub fn new(url: impl Into<String>) -> RedisCheck {
        RedisCheck { url: url.into() }
    }

    async fn run(&self) -> Result<(), Message> {
        let target = parse_url(&self.url).map_err(|why| {
            Message::error(
                "dockerflow.health.E006",
                format!("Redis URL {} is misconfigured: {why}", redact(&self.url)),
            )
        })?;
        let connect_error = |e: std::io::Error| {
            Message::error(
                "dockerflow.health.E004",
                format!("Could not connect to redis: {e}"),
            )
        };
        let stream = TcpStream::connect(&target.address)
            .await
            .map_err(connect_error)?;
        let mut stream = BufReader::new(stream);
        if let Some(password) = &target.password {
            let mut args = vec!["AUTH"];
            if let Some(user) = &target.username {
                args.push(user);
            }
            args.push(password);
            expect_ok(&mut stream, &args, "+OK").await?;
        }
        if let Some(db) = target.db {
            expect_ok(&mut stream, &["SELECT", &db.to_string()], "+OK").await?;
        }
        expect_ok(&mut stream, &["PING"], "+PONG").await
    }
}

async fn expect_ok(
    stream: &mut BufReader<TcpStream>,
    args: &[&str],
    want: &str,
) -> Result<(), Message> {
    let mut command = format!("*{}\r\n", args.len());
    for a in args {
        command.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    let io_error = |e: std::io::Error| {
        Message::error(
            "dockerflow.health.E004",
            format!("Could not connect to redis: {e}"),
        )
    };
    stream
        .get_mut()
        .write_all(command.as_bytes())
        .await
        .map_err(io_error)?;
    let mut line = String::new();
    // A reply line is short; cap it so a hostile peer cannot make us buffer without end.
    let n = (&mut *stream)
        .take(4096)
        .read_line(&mut line)
        .await
        .map_err(io_error)?;
    if n == 0 {
        return Err(Message::error(
            "dockerflow.health.E004",
            "Could not connect to redis: connection closed by server",
        ));
    }
    let reply = line.trim_end();
    if reply == want {
        Ok(())
    } else {
        Err(Message::error(
            "dockerflow.health.E007",
            format!(
                "Redis answered {} with {:?}, expected {want}",
                args[0],
                truncate(reply, 200)
            ),
        ))
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn parse_url(url: &str) -> Result<Target, String> {
    let rest = match url.split_once("://") {
        Some(("redis", rest)) => rest,
        Some(("rediss", _)) => {
            return Err("TLS (rediss://) is not supported by RedisCheck".to_owned())
        }
        _ => return Err("expected redis://[user:password@]host[:port][/db]".to_owned()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let (username, password) = match userinfo {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((user, pass)) => (
                (!user.is_empty()).then(|| user.to_owned()),
                Some(pass.to_owned()),
            ),
            None => (None, Some(u.to_owned())),
        },
    };
    if hostport.is_empty() {
        return Err("the host is missing".to_owned());
    }
    let has_port = if hostport.starts_with('[') {
        hostport.contains("]:")
    } else {
        hostport.contains(':')
    };
    let address = if has_port {
        hostport.to_owned()
    } else {
        format!("{hostport}:6379")
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let db = match path {
        "" => None,
        p => Some(
            p.parse::<u32>()
                .map_err(|_| format!("the database {p:?} is not a number"))?,
        ),
    };
    Ok(Target {
        address,
        username,
        password,
        db,
    })
}

impl Check for RedisCheck {
    fn check(&self) -> BoxFuture<'_, Vec<Message>> {
        Box::pin(async move { self.run().await.err().into_iter().collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = parse_url("redis://localhost").unwrap();
        assert_eq!(t.address, "localhost:6379");
        let t = parse_url("redis://:pw@127.0.0.1:7000/2").unwrap();
        assert_eq!(
            (t.address.as_str(), t.password.as_deref(), t.db),
            ("127.0.0.1:7000", Some("pw"), Some(2))
        );
        let t = parse_url("redis://user:p@ss@h:1").unwrap();
        assert_eq!(
            (t.username.as_deref(), t.password.as_deref()),
            (Some("user"), Some("p@ss"))
        );
        assert!(parse_url("rediss://h").unwrap_err().contains("TLS"));
        assert!(parse_url("http://h").is_err());
        assert!(parse_url("redis://h/x").is_err());
        assert_eq!(
            parse_url("redis://[::1]:6380").unwrap().address,
            "[::1]:6380"
        );
    }

    #[tokio::test]
    async fn misconfigured_url_is_redacted() {
        let m = RedisCheck::new("rediss://:topsecret@h").check().await;
        assert_eq!(m[0].id, "dockerflow.health.E006");
        assert!(!m[0].text.contains("topsecret"), "{}", m[0].text);
    }
}
