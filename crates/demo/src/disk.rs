//! The `disk` heartbeat check: can the data directory still be written?
//!
//! It writes, syncs and removes a small probe file, which catches a directory that is
//! missing, read-only, on a read-only filesystem, or on a full disk (ENOSPC). It reports at
//! error level; the demo lists it in `DOCKERFLOW_HEARTBEAT_NONCRITICAL` by default, so the
//! library turns that into a warning (reads and redirects still work on a full disk).

use std::path::PathBuf;

use dockerflow::heartbeat::{BoxFuture, Check, Message};
use tokio::io::AsyncWriteExt;

/// The message id of a failed probe.
pub const DISK_E001: &str = "dockerflow_demo.disk.E001";

/// Probes a directory for writability.
#[derive(Debug, Clone)]
pub struct DiskCheck {
    dir: PathBuf,
}

impl DiskCheck {
    /// A check of `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> DiskCheck {
        DiskCheck { dir: dir.into() }
    }

    async fn probe(&self) -> std::io::Result<()> {
        let path = self
            .dir
            .join(format!(".heartbeat-probe-{}", std::process::id()));
        let result = async {
            let mut file = tokio::fs::File::create(&path).await?;
            file.write_all(&[0u8; 4096]).await?;
            file.sync_all().await
        }
        .await;
        let removed = tokio::fs::remove_file(&path).await;
        result?;
        removed
    }
}

impl Check for DiskCheck {
    fn check(&self) -> BoxFuture<'_, Vec<Message>> {
        Box::pin(async move {
            match self.probe().await {
                Ok(()) => vec![],
                Err(e) => vec![Message::error(
                    DISK_E001,
                    format!("data directory {} is not writable: {e}", self.dir.display()),
                )],
            }
        })
    }
}
