//! Where links live: embedded SQLite (the default) or PostgreSQL, behind one type.
//!
//! The schema is a few idempotent `CREATE TABLE IF NOT EXISTS` statements per backend, run
//! before the first query (see [`Store::ensure_schema`]), rather than `sqlx::migrate!`: one
//! table does not need a migration history, and nothing is needed at build time. A later
//! change to the schema appends idempotent statements (`ALTER TABLE ... ADD COLUMN IF NOT
//! EXISTS`) to the lists below.
//!
//! Durability: SQLite runs in WAL mode with `synchronous=FULL`, so the WAL is synced at
//! every commit and a link acknowledged with 201 survives a crash of the process *and* of the
//! machine. (`NORMAL` would survive a process crash or SIGKILL but could lose the last commits
//! on power loss; one fsync per created link is cheap for a link shortener.) PostgreSQL's own
//! commit is durable by default.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::distributions::{Alphanumeric, DistString};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use tokio::sync::OnceCell;

/// Length of a generated code: 62^7 (3.5e12) possibilities.
pub const CODE_LEN: usize = 7;

/// How many fresh codes [`Store::create`] tries before giving up.
const CODE_ATTEMPTS: usize = 8;

const SQLITE_SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS links (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )"];

const POSTGRES_SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS links (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )"];

/// An arbitrary constant: replicas starting together take this advisory lock so only one
/// runs the `CREATE TABLE` (concurrent ones can fail on PostgreSQL's catalog constraints).
const SCHEMA_LOCK: i64 = 0x6466_6465_6d6f;

/// A stored link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The short code.
    pub code: String,
    /// The target URL, as normalised by [`crate::url::validate`].
    pub url: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// Which database, from `DATABASE_URL` (or its absence).
#[derive(Debug, Clone)]
pub enum Database {
    /// An SQLite file.
    Sqlite(SqliteConnectOptions),
    /// A PostgreSQL server.
    Postgres(PgConnectOptions),
}

/// A failed storage operation.
#[derive(Debug)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool timeout, I/O): a 503.
    Unavailable(sqlx::Error),
    /// Anything else the database reported: a 500.
    Database(sqlx::Error),
    /// Every generated code was taken (practically impossible below billions of links).
    NoFreeCode,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            StoreError::Database(e) => write!(f, "database error: {e}"),
            StoreError::NoFreeCode => write!(f, "no free code after {CODE_ATTEMPTS} attempts"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            other => StoreError::Database(other),
        }
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The link store. Cheap to clone (pools are shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    schema: Arc<OnceCell<()>>,
}

impl Store {
    /// Opens the database. SQLite is opened (and its file created) now, and its schema
    /// created now: a data directory that cannot be written is a start-up error. PostgreSQL is
    /// connected lazily, so the service starts while it is down; its schema is created by
    /// the first operation that reaches it (and tried once in the background at start).
    pub async fn open(database: &Database) -> Result<Store, sqlx::Error> {
        match database {
            Database::Sqlite(options) => {
                let options = options
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await?;
                let store = Store::new(Pool::Sqlite(pool));
                store.ensure_schema().await?;
                Ok(store)
            }
            Database::Postgres(options) => {
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(2))
                    .connect_lazy_with(options.clone());
                let store = Store::new(Pool::Postgres(pool));
                let background = store.clone();
                tokio::spawn(async move {
                    if let Err(e) = background.ensure_schema().await {
                        tracing::warn!(
                            target: "dockerflow_demo.store",
                            error = %dockerflow::redact::redact(&e.to_string()),
                            "cannot create the schema yet; retrying at the first request"
                        );
                    }
                });
                Ok(store)
            }
        }
    }

    fn new(pool: Pool) -> Store {
        Store {
            pool,
            schema: Arc::new(OnceCell::new()),
        }
    }

    /// The SQLite pool, when that is the backend (for the heartbeat check).
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p),
            Pool::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, when that is the backend (for the heartbeat check).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// Creates the tables if they do not exist; once per process after the first success.
    pub async fn ensure_schema(&self) -> Result<(), sqlx::Error> {
        self.schema
            .get_or_try_init(|| async {
                match &self.pool {
                    Pool::Sqlite(pool) => {
                        for statement in SQLITE_SCHEMA {
                            sqlx::query(statement).execute(pool).await?;
                        }
                    }
                    Pool::Postgres(pool) => {
                        let mut tx = pool.begin().await?;
                        sqlx::query("SELECT pg_advisory_xact_lock($1)")
                            .bind(SCHEMA_LOCK)
                            .execute(&mut *tx)
                            .await?;
                        for statement in POSTGRES_SCHEMA {
                            sqlx::query(statement).execute(&mut *tx).await?;
                        }
                        tx.commit().await?;
                    }
                }
                tracing::info!(target: "dockerflow_demo.store", "schema ready");
                Ok(())
            })
            .await
            .map(|_| ())
    }

    /// Stores `url` under a new random code, retrying on the (rare) collision.
    pub async fn create(&self, url: &str) -> Result<Link, StoreError> {
        self.ensure_schema().await?;
        let created_at = now_ms();
        for _ in 0..CODE_ATTEMPTS {
            let code = random_code();
            let inserted = match &self.pool {
                Pool::Sqlite(pool) => sqlx::query(
                    "INSERT INTO links (code, url, created_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (code) DO NOTHING",
                )
                .bind(&code)
                .bind(url)
                .bind(created_at)
                .execute(pool)
                .await?
                .rows_affected(),
                Pool::Postgres(pool) => sqlx::query(
                    "INSERT INTO links (code, url, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (code) DO NOTHING",
                )
                .bind(&code)
                .bind(url)
                .bind(created_at)
                .execute(pool)
                .await?
                .rows_affected(),
            };
            if inserted == 1 {
                return Ok(Link {
                    code,
                    url: url.to_owned(),
                    created_at,
                });
            }
        }
        Err(StoreError::NoFreeCode)
    }

    /// The URL stored under `code`.
    pub async fn find(&self, code: &str) -> Result<Option<String>, StoreError> {
        self.ensure_schema().await?;
        let row = match &self.pool {
            Pool::Sqlite(pool) => sqlx::query("SELECT url FROM links WHERE code = ?1")
                .bind(code)
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get::<String, _>("url"))
                .transpose()?,
            Pool::Postgres(pool) => sqlx::query("SELECT url FROM links WHERE code = $1")
                .bind(code)
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get::<String, _>("url"))
                .transpose()?,
        };
        Ok(row)
    }

    /// The `limit` most recent links, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<Link>, StoreError> {
        self.ensure_schema().await?;
        let limit = i64::from(limit);
        let links = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query("SELECT code, url, created_at FROM links ORDER BY id DESC LIMIT ?1")
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(link)
                    .collect::<Result<_, _>>()?
            }
            Pool::Postgres(pool) => {
                sqlx::query("SELECT code, url, created_at FROM links ORDER BY id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(link)
                    .collect::<Result<_, _>>()?
            }
        };
        Ok(links)
    }

    /// Closes the pool (SQLite checkpoints its WAL when the last connection closes).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

fn link<'r, R>(row: &'r R) -> Result<Link, sqlx::Error>
where
    R: Row,
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Link {
        code: row.try_get("code")?,
        url: row.try_get("url")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A random base62 code of [`CODE_LEN`] characters.
pub fn random_code() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), CODE_LEN)
}

/// Whether `code` could be one of ours (so other paths never reach the database).
pub fn is_code(code: &str) -> bool {
    code.len() == CODE_LEN && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_base62_and_vary() {
        let a = random_code();
        let b = random_code();
        assert!(is_code(&a) && is_code(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_code("abc"));
        assert!(!is_code("abc-def"));
        assert!(!is_code("abcdefgh"));
    }
}
