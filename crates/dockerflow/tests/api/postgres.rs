//! A real PostgreSQL behind `SqlCheck`: up, stopped mid-test, back (and SQLite).

use std::time::Duration;

use dockerflow::checks::SqlCheck;
use dockerflow::{Config, Dockerflow};

use crate::helpers::*;

fn config() -> Config {
    let mut config = Config {
        host: Some("127.0.0.1".parse().unwrap()),
        port: 0,
        ..Default::default()
    };
    config.heartbeat.reuse = Duration::ZERO;
    config.heartbeat.check_timeout = Duration::from_millis(1500);
    config
}

#[tokio::test]
async fn heartbeat_follows_a_real_postgres_down_and_up() {
    let Some(pg) = Postgres::start() else { return };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_millis(1000))
        .connect_lazy(&pg.url())
        .unwrap();
    let df = Dockerflow::builder("pg-test", config())
        .version_file(dockerflow::version::VersionFile::from_bytes(
            "v.json",
            VERSION_JSON,
        ))
        .check("database", SqlCheck::new(pool))
        .build();
    let server = df.bind().await.unwrap();
    let address = server.local_addr();
    let task = tokio::spawn(server.serve_without_signals(dockerflow::NotFound));

    let up = get(address, "/__heartbeat__").await;
    assert_eq!(up.status, 200, "{}", up.text());
    assert_eq!(up.json()["checks"]["database"], "ok");

    pg.ctl("stop");
    let down = get(address, "/__heartbeat__").await;
    assert_eq!(down.status, 500, "{}", down.text());
    let body = down.json();
    assert_eq!(body["checks"]["database"], "error");
    let messages = body["details"]["database"]["messages"].as_object().unwrap();
    assert!(
        messages
            .keys()
            .any(|k| k == "dockerflow.health.E001" || k == "dockerflow.health.E008"),
        "{body}"
    );
    assert_eq!(
        get(address, "/__lbheartbeat__").await.status,
        200,
        "lbheartbeat ignores the database"
    );

    pg.ctl("start");
    let mut recovered = false;
    for _ in 0..20 {
        if get(address, "/__heartbeat__").await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the heartbeat recovers once PostgreSQL is back");
    df.shutdown().trigger();
    df.shutdown().trigger();
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
}

#[tokio::test]
async fn sqlite_check() {
    let dir = TempDir::new("sqlite");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("db.sqlite").display()
    );
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect(&url)
        .await
        .unwrap();
    let check = SqlCheck::new(pool.clone());
    use dockerflow::heartbeat::Check;
    assert!(check.check().await.is_empty());
    pool.close().await;
    let messages = check.check().await;
    assert_eq!(messages[0].id, "dockerflow.health.E001");
}
