//! `SqlCheck`: a sqlx pool can hand out a connection that answers a ping.

use crate::heartbeat::{BoxFuture, Check, Message};
use sqlx::Connection;

/// Checks a sqlx pool (SQLite or PostgreSQL): acquires a connection and pings it.
///
/// Build the pool with `connect_lazy` so the service starts, and `/__lbheartbeat__` answers,
/// while the database is down; this check is then what reports the outage.
#[derive(Debug, Clone)]
pub struct SqlCheck<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
}

impl<DB: sqlx::Database> SqlCheck<DB> {
    /// A check of `pool`.
    pub fn new(pool: sqlx::Pool<DB>) -> Self {
        SqlCheck { pool }
    }
}

impl<DB: sqlx::Database> Check for SqlCheck<DB> {
    fn check(&self) -> BoxFuture<'_, Vec<Message>> {
        Box::pin(async move {
            let mut conn = match self.pool.acquire().await {
                Ok(conn) => conn,
                Err(e) => {
                    return vec![Message::error(
                        "dockerflow.health.E001",
                        format!("Could not connect to database: {e}"),
                    )]
                }
            };
            match conn.ping().await {
                Ok(()) => vec![],
                Err(e) => vec![Message::error(
                    "dockerflow.health.E008",
                    format!("Database ping failed: {e}"),
                )],
            }
        })
    }
}
