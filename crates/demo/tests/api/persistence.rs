//! Acknowledged links survive a restart, and a SIGTERM in the middle of a burst of writes
//! (SQLite; the PostgreSQL equivalents are in `postgres.rs`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::helpers::*;

/// Stops the app with SIGTERM and asserts a clean exit.
pub(crate) fn stop(app: &mut TestApp) {
    app.signal("TERM");
    let status = app.wait_exit(Duration::from_secs(15));
    assert!(
        status.success(),
        "exit status {status}; stderr {:?}",
        app.stderr_lines()
    );
}

/// Writes from several clients at once until the server stops answering; returns every
/// `(code, url)` that was acknowledged with 201, counting them in `acknowledged` as they come.
pub(crate) async fn burst_until_stopped(
    address: SocketAddr,
    acknowledged_so_far: Arc<AtomicUsize>,
) -> Vec<(String, String)> {
    let mut tasks = Vec::new();
    for client in 0..6 {
        let acknowledged_so_far = acknowledged_so_far.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..100_000u32 {
                let url = format!("https://example.com/burst/{client}/{i}");
                let body = serde_json::json!({ "url": url }).to_string();
                let reply = send(
                    address,
                    "POST",
                    "/api/links",
                    &[("Content-Type", "application/json")],
                    Some(body.as_bytes()),
                )
                .await;
                match reply {
                    Ok(r) if r.status == 201 => {
                        let code = r.json()["code"].as_str().expect("code").to_owned();
                        acknowledged.push((code, url));
                        acknowledged_so_far.fetch_add(1, Ordering::SeqCst);
                    }
                    // The listener is closed: the server is going away.
                    Err(_) => break,
                    Ok(r) => panic!(
                        "unexpected answer during the burst: {} {}",
                        r.status,
                        r.text()
                    ),
                }
            }
            acknowledged
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    all
}

/// Sends SIGTERM once the burst is under way (50 writes acknowledged), while it goes on.
pub(crate) async fn burst_and_sigterm(app: &mut TestApp) -> Vec<(String, String)> {
    let acknowledged_so_far = Arc::new(AtomicUsize::new(0));
    let burst = tokio::spawn(burst_until_stopped(
        app.address,
        acknowledged_so_far.clone(),
    ));
    dockerflow_testkit::http::until("50 writes acknowledged", || {
        acknowledged_so_far.load(Ordering::SeqCst) >= 50 || burst.is_finished()
    })
    .await;
    app.signal("TERM");
    let acknowledged = tokio::time::timeout(Duration::from_secs(30), burst)
        .await
        .expect("the burst ends when the server stops")
        .expect("burst task");
    let status = app.wait_exit(Duration::from_secs(15));
    assert!(
        status.success(),
        "exit status {status}; stderr {:?}",
        app.stderr_lines()
    );
    assert!(
        acknowledged.len() > 10,
        "only {} writes acknowledged",
        acknowledged.len()
    );
    eprintln!(
        "{} writes acknowledged before the server stopped",
        acknowledged.len()
    );
    acknowledged
}

/// Every acknowledged link redirects to its URL.
pub(crate) async fn assert_all_present(address: SocketAddr, links: &[(String, String)]) {
    for (code, url) in links {
        let reply = get(address, &format!("/{code}")).await;
        assert_eq!(
            reply.status, 302,
            "{code} ({url}) was acknowledged but is gone"
        );
        assert_eq!(reply.header("location"), Some(url.as_str()));
    }
}

#[tokio::test]
async fn links_survive_a_restart() {
    let data = TempDir::new("restart");
    let data_dir = data.path().display().to_string();
    let mut app = spawn_app_with(&[("DATA_DIR", &data_dir)]);
    let mut links = Vec::new();
    for i in 0..3 {
        let url = format!("https://example.com/kept/{i}");
        links.push((create_link(app.address, &url).await, url));
    }
    let listed = all_links(app.address).await;
    stop(&mut app);
    assert!(data.path().join("links.sqlite3").exists());

    let app = spawn_app_with(&[("DATA_DIR", &data_dir)]);
    assert_all_present(app.address, &links).await;
    assert_eq!(
        all_links(app.address).await,
        listed,
        "same links, same order"
    );
}

#[tokio::test]
async fn every_acknowledged_write_survives_sigterm_mid_burst() {
    let data = TempDir::new("burst");
    let data_dir = data.path().display().to_string();
    let mut app = spawn_app_with(&[("DATA_DIR", &data_dir)]);
    let acknowledged = burst_and_sigterm(&mut app).await;
    drop(app);

    let app = spawn_app_with(&[("DATA_DIR", &data_dir)]);
    assert_all_present(app.address, &acknowledged).await;
}
