//! `dockerflow-demo`: the reference application of the `dockerflow` library, a small link
//! shortener that is Dockerflow-compliant by construction.
//!
//! It exists to show, in a real service, what the library gives (`/__version__`,
//! `/__heartbeat__`, `/__lbheartbeat__`, mozlog, `request.summary`, graceful shutdown,
//! static files) and what an application adds (its routes, its storage, its checks).
//! `cargo run -p dockerflow-demo` works on a machine with only a Rust toolchain: SQLite is
//! embedded and the page's files are in the crate.
//!
//! # Routes
//!
//! | route | answer |
//! |---|---|
//! | `POST /api/links` `{"url": "https://..."}` | 201 `{"code", "url"}` and `Location: /{code}` |
//! | `GET /api/links[?limit=N]` | 200 `{"links": [{"code", "url", "created_at"}]}`, newest first; N is 1-200, default 50; `created_at` is Unix milliseconds |
//! | `GET /{code}` | 302 to the stored URL; 404 for an unknown code |
//! | `GET /` and `/static/...` | the page (HTML, CSS, a little JavaScript) |
//!
//! Refusals are JSON `{"error": "..."}` saying why: 400 for a body that is not JSON, not an
//! object, without `"url"`, with a non-string `"url"`, or a URL that is not an absolute
//! http(s) URL with a host and without credentials, whitespace or control characters, of at
//! most 2048 characters (see [`url`]); 400 for a bad `?limit=`; 413 for a body over 16 KiB;
//! 415 for a Content-Type other than `application/json`; 404 for unknown codes and paths;
//! 503 while the database is unreachable. A refused request writes nothing.
//!
//! # Settings
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PORT`, `HOST`, `DOCKERFLOW_*` | see the `dockerflow` crate | the library's settings |
//! | `DATABASE_URL` | (unset: SQLite in `DATA_DIR`) | `sqlite:...` or `postgres://...`/`postgresql://...` |
//! | `DATA_DIR` | `./data` | directory of the SQLite file `links.sqlite3`; created at start |
//! | `DOCKERFLOW_STATIC_DIR` | `/app/static` | the page's files; when the directory does not exist (local development) the crate's own `static/` is served |
//! | `DOCKERFLOW_HEARTBEAT_NONCRITICAL` | `disk` (demo default) | checks whose failures are warnings; set it (even empty) to override |
//! | `METRICS_PORT` | (unset: no metrics) | a port (1-65535): the library's metrics (`dockerflow::metrics`) in Prometheus text on `GET /metrics` at `HOST`:`METRICS_PORT`, a listener apart from the service's (see [`metrics`]) |
//!
//! # Heartbeat checks
//!
//! - `database` (critical): `dockerflow::checks::SqlCheck` on the pool. PostgreSQL is
//!   connected lazily, so the service starts and `/__lbheartbeat__` answers while it is down;
//!   the heartbeat then fails with 500 and recovers when the database is back.
//! - `disk` (only with the default SQLite file, i.e. `DATABASE_URL` unset; non-critical by
//!   default): writes, syncs and removes a probe file in `DATA_DIR`. It reports an error (`dockerflow_demo.disk.E001`), which the library reports
//!   as a warning (heartbeat still 200) because the demo defaults
//!   `DOCKERFLOW_HEARTBEAT_NONCRITICAL` to `disk` when the variable is unset: redirects keep
//!   working on a full disk. Set `DOCKERFLOW_HEARTBEAT_NONCRITICAL=` (empty) to make it
//!   critical.
//!
//! # Storage
//!
//! See [`store`]: idempotent `CREATE TABLE IF NOT EXISTS` at start instead of a migration
//! history, SQLite in WAL mode with `synchronous=FULL` (an acknowledged link survives a
//! crash or power loss), and PostgreSQL's schema created by the first request that reaches it.
//!
//! # Static files
//!
//! `assets/` holds the page's sources; `static/` holds what is served: `index.html`
//! referring to `app.<hash>.css` and `app.<hash>.js` (content-hashed names, so the library
//! serves them with immutable caching), each with a `.gz` copy. `static/` is generated and
//! committed; a test (`static_dir_is_up_to_date`) fails when it is stale and rewrites it when
//! run with `DEMO_UPDATE_STATIC=1`. The image copies `crates/demo/static` to `/app/static`.

pub mod disk;
pub mod metrics;
pub mod routes;
pub mod settings;
pub mod store;
pub mod url;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use dockerflow::checks::SqlCheck;
use dockerflow::{Builder, Dockerflow, StartError};

use crate::disk::DiskCheck;
use crate::routes::AppState;
use crate::settings::{Settings, BUNDLED_STATIC_DIR};
use crate::store::{Database, Store};

/// The service, built and bound, ready to run.
#[derive(Debug)]
pub struct Application {
    server: dockerflow::Server,
    df: Dockerflow,
    router: axum::Router,
    store: Store,
}

impl Application {
    /// Opens the store, adds the checks, and binds `HOST`:`PORT` (port 0 picks a free one:
    /// see [`Application::address`]).
    pub async fn build(builder: Builder, settings: Settings) -> Result<Application, StartError> {
        let mut config = builder.config().clone();
        if settings.default_noncritical {
            config.heartbeat.noncritical.push("disk".to_owned());
        }
        let mut builder = Dockerflow::builder(builder.name(), config);

        if settings.uses_data_dir {
            std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
                app_error(format!(
                    "cannot create DATA_DIR {}: {e}",
                    settings.data_dir.display()
                ))
            })?;
        }
        let store = Store::open(&settings.database).await.map_err(|e| {
            app_error(format!(
                "cannot open the database ({}): {}",
                describe(&settings),
                dockerflow::redact::redact(&e.to_string())
            ))
        })?;
        tracing::info!(target: "dockerflow_demo", database = %describe(&settings), "database opened");

        if let Some(pool) = store.sqlite_pool() {
            builder = builder.check("database", SqlCheck::new(pool.clone()));
        }
        if let Some(pool) = store.postgres_pool() {
            builder = builder.check("database", SqlCheck::new(pool.clone()));
        }
        if settings.uses_data_dir {
            builder = builder.check("disk", DiskCheck::new(&settings.data_dir));
        }
        let df = builder.build();

        let static_files = static_dir(&df.config().static_dir).and_then(|dir| {
            dockerflow::StaticFiles::new(&dir)
                .inspect_err(|e| {
                    tracing::warn!(target: "dockerflow_demo", error = %e, "the page is not served")
                })
                .ok()
        });
        let router = routes::router(
            AppState {
                store: store.clone(),
            },
            static_files,
        );
        let server = df.bind().await?;
        if let Some(port) = settings.metrics_port {
            crate::metrics::serve(df.config().host, port).await?;
        }
        Ok(Application {
            server,
            df,
            router,
            store,
        })
    }

    /// The address bound.
    pub fn address(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The Dockerflow service (its shutdown handle, its heartbeat).
    pub fn dockerflow(&self) -> &Dockerflow {
        &self.df
    }

    /// Serves until SIGTERM or SIGINT, drains, finishes in-flight requests, closes the pool.
    pub async fn run_until_stopped(self) -> Result<(), StartError> {
        let result = self.server.serve(self.router).await;
        self.store.close().await;
        result
    }

    /// Like [`Application::run_until_stopped`] without signal handlers: stop it with
    /// `dockerflow().shutdown().trigger()` (for in-process tests).
    pub async fn run_without_signals(self) {
        self.server.serve_without_signals(self.router).await;
        self.store.close().await;
    }
}

/// `configured` when it is a directory, else the crate's own `static/` (a checkout), else
/// nothing (the page is not served; the API still is).
fn static_dir(configured: &Path) -> Option<PathBuf> {
    if configured.is_dir() {
        return Some(configured.to_owned());
    }
    let bundled = PathBuf::from(BUNDLED_STATIC_DIR);
    if bundled.is_dir() {
        tracing::info!(
            target: "dockerflow_demo",
            configured = %configured.display(),
            serving = %bundled.display(),
            "DOCKERFLOW_STATIC_DIR does not exist; serving the crate's static directory"
        );
        return Some(bundled);
    }
    tracing::warn!(
        target: "dockerflow_demo",
        configured = %configured.display(),
        "DOCKERFLOW_STATIC_DIR does not exist: the page is not served"
    );
    None
}

fn describe(settings: &Settings) -> String {
    match &settings.database {
        Database::Sqlite(options) => format!("SQLite {}", options.get_filename().display()),
        Database::Postgres(options) => format!(
            "PostgreSQL {}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        ),
    }
}

fn app_error(message: String) -> StartError {
    StartError::App(message.into())
}
