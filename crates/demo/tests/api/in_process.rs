//! `Application::build` in the test process on port 0, as zero2prod's `spawn_app` does: the
//! same service without a child process, stopped through its shutdown handle.

use std::time::Duration;

use dockerflow::{Config, Dockerflow};
use dockerflow_demo::settings::Settings;
use dockerflow_demo::Application;

use crate::helpers::*;

#[tokio::test]
async fn application_build_binds_port_zero_and_serves() {
    let data = TempDir::new("in-process");
    let mut config = Config {
        host: Some([127, 0, 0, 1].into()),
        port: 0,
        ..Default::default()
    };
    config.shutdown.drain_delay = Duration::ZERO;
    let data_dir = data.path().display().to_string();
    let settings = Settings::from_lookup(|name| (name == "DATA_DIR").then(|| data_dir.clone()))
        .expect("settings");
    let app = Application::build(Dockerflow::builder("demo-in-process", config), settings)
        .await
        .expect("build");
    let address = app.address();
    assert_ne!(address.port(), 0, "the real port is known before serving");
    let shutdown = app.dockerflow().shutdown().clone();
    let task = tokio::spawn(app.run_without_signals());

    let code = create_link(address, "https://example.com/in-process").await;
    let reply = get(address, &format!("/{code}")).await;
    assert_eq!(reply.status, 302);
    assert_eq!(get(address, "/__lbheartbeat__").await.status, 200);

    shutdown.trigger();
    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops when triggered")
        .expect("server task");
    assert!(data.path().join("links.sqlite3").exists());
}
