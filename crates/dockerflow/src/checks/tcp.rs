//! `TcpCheck`: a backing service accepts TCP connections.

use crate::heartbeat::{BoxFuture, Check, Message};

/// Checks that `host:port` accepts a TCP connection (no protocol is spoken).
#[derive(Debug, Clone)]
pub struct TcpCheck {
    address: String,
}

impl TcpCheck {
    /// A check of `address` (`host:port`).
    pub fn new(address: impl Into<String>) -> TcpCheck {
        TcpCheck {
            address: address.into(),
        }
    }
}

impl Check for TcpCheck {
    fn check(&self) -> BoxFuture<'_, Vec<Message>> {
        Box::pin(async move {
            match tokio::net::TcpStream::connect(&self.address).await {
                Ok(_) => vec![],
                Err(e) => vec![Message::error(
                    "dockerflow.tcp.E001",
                    format!("Could not connect to {}: {e}", self.address),
                )],
            }
        })
    }
}
