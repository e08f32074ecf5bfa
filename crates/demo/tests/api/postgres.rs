//! A real PostgreSQL (started by the test from the Debian binaries): persistence across a
//! restart and a SIGTERM mid-burst, and the heartbeat following the database down and up.

use std::time::Duration;

use crate::helpers::*;
use crate::persistence::{assert_all_present, burst_and_sigterm, stop};

#[tokio::test]
async fn postgres_links_survive_restart_and_sigterm_mid_burst() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url();
    let mut app = spawn_app(&[("DATABASE_URL", &url)]);
    let reply = get(app.address, "/__heartbeat__").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["checks"]["database"], "ok");
    assert!(
        reply.json()["checks"].get("disk").is_none(),
        "no disk check without SQLite"
    );
    let mut links = Vec::new();
    for i in 0..3 {
        let target = format!("https://example.com/pg/{i}");
        links.push((create_link(app.address, &target).await, target));
    }
    stop(&mut app);

    let mut app = spawn_app(&[("DATABASE_URL", &url)]);
    assert_all_present(app.address, &links).await;
    let acknowledged = burst_and_sigterm(&mut app).await;
    drop(app);

    let app = spawn_app(&[("DATABASE_URL", &url)]);
    assert_all_present(app.address, &links).await;
    assert_all_present(app.address, &acknowledged).await;
}

#[tokio::test]
async fn postgres_down_then_up_heartbeat_and_api() {
    let Some(pg) = Postgres::start() else { return };
    // The service starts while the database is down: lbheartbeat answers, heartbeat fails.
    pg.ctl("stop");
    let app = spawn_app(&[("DATABASE_URL", &pg.url())]);
    assert_eq!(get(app.address, "/__lbheartbeat__").await.status, 200);
    let down = get(app.address, "/__heartbeat__").await;
    assert_eq!(down.status, 500, "{}", down.text());
    let body = down.json();
    assert_eq!(body["checks"]["database"], "error", "{body}");
    let post = post_json(
        app.address,
        "/api/links",
        r#"{"url": "https://example.com/"}"#,
    )
    .await;
    assert_eq!(post.status, 503, "{}", post.text());
    assert!(post.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("unavailable"));

    // Up: the heartbeat recovers, and the first request creates the schema.
    pg.ctl("start");
    wait_for_status(app.address, "/__heartbeat__", 200).await;
    let code = create_link(app.address, "https://example.com/after").await;

    // Down mid-test: 5xx heartbeat, lbheartbeat still 200, then recovery.
    pg.ctl("stop");
    let down = get(app.address, "/__heartbeat__").await;
    assert_eq!(down.status, 500, "{}", down.text());
    assert_eq!(get(app.address, "/__lbheartbeat__").await.status, 200);
    assert_eq!(get(app.address, &format!("/{code}")).await.status, 503);
    pg.ctl("start");
    let up = wait_for_status(app.address, "/__heartbeat__", 200).await;
    assert_eq!(up.json()["checks"]["database"], "ok");
    let mut redirected = false;
    for _ in 0..50 {
        if get(app.address, &format!("/{code}")).await.status == 302 {
            redirected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(redirected, "redirects work again once PostgreSQL is back");
}
