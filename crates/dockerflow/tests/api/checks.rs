//! The built-in checks against real servers: Redis (from the Debian package) and an HTTP
//! upstream (a loopback server inside the test).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dockerflow::checks::{HttpCheck, RedisCheck, TcpCheck};
use dockerflow::heartbeat::Check;

use crate::helpers::*;

/// A private redis-server on a free loopback port; killed on drop.
struct Redis {
    port: u16,
    child: Child,
}

impl Redis {
    fn start(password: Option<&str>) -> Option<Redis> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok();
        if !require("Redis (Debian package redis-server)", installed) {
            return None;
        }
        let port = free_port();
        let mut command = Command::new("redis-server");
        command.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        if let Some(pw) = password {
            command.args(["--requirepass", pw]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Redis { port, child })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ids(messages: &[dockerflow::heartbeat::Message]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}

#[tokio::test]
async fn redis_check_against_a_real_server() {
    let Some(mut redis) = Redis::start(Some("pa55word")) else {
        return;
    };
    let good = RedisCheck::new(format!("redis://:pa55word@127.0.0.1:{}/1", redis.port));
    assert!(good.check().await.is_empty(), "{:?}", good.check().await);

    let wrong = RedisCheck::new(format!("redis://:nope@127.0.0.1:{}", redis.port))
        .check()
        .await;
    assert_eq!(ids(&wrong), ["dockerflow.health.E007"], "{wrong:?}");
    assert!(!wrong[0].text.contains("nope"));

    let no_auth = RedisCheck::new(format!("redis://127.0.0.1:{}", redis.port))
        .check()
        .await;
    assert_eq!(
        ids(&no_auth),
        ["dockerflow.health.E007"],
        "PING without AUTH is refused: {no_auth:?}"
    );

    redis.stop();
    let down = good.check().await;
    assert_eq!(ids(&down), ["dockerflow.health.E004"], "{down:?}");
}

#[tokio::test]
async fn http_check_against_a_loopback_upstream() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let status = if request.starts_with("GET /ok ") {
                "200 OK"
            } else {
                "503 Service Unavailable"
            };
            let _ = stream
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    assert!(HttpCheck::new(format!("http://{address}/ok"))
        .check()
        .await
        .is_empty());
    let bad = HttpCheck::new(format!("http://{address}/down"))
        .check()
        .await;
    assert_eq!(ids(&bad), ["dockerflow.http.E002"]);
    assert!(bad[0].text.contains("503"));
    let accepted = HttpCheck::new(format!("http://{address}/down"))
        .expect_status([http::StatusCode::SERVICE_UNAVAILABLE])
        .check()
        .await;
    assert!(accepted.is_empty());
    let tls = HttpCheck::new("https://127.0.0.1:1/").check().await;
    assert_eq!(ids(&tls), ["dockerflow.http.E001"]);
    server.abort();
    let closed = free_port();
    let refused = HttpCheck::new(format!("http://127.0.0.1:{closed}/"))
        .check()
        .await;
    assert_eq!(ids(&refused), ["dockerflow.http.E001"]);
}

#[tokio::test]
async fn tcp_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    assert!(TcpCheck::new(&address).check().await.is_empty());
    drop(listener);
    assert_eq!(
        ids(&TcpCheck::new(&address).check().await),
        ["dockerflow.tcp.E001"]
    );
}
