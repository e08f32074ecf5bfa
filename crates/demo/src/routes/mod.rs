//! The HTTP routes: the links API, the redirect, and the static page.

mod error;
mod links;
mod redirect;

use axum::routing::get;
use axum::Router;

use crate::store::Store;

pub use error::ApiError;
pub use links::{DEFAULT_LIMIT, MAX_BODY_BYTES, MAX_LIMIT};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The link store.
    pub store: Store,
}

/// The application's routes; `static_files` serves `/` and `/static/...` when present.
pub fn router(state: AppState, static_files: Option<dockerflow::StaticFiles>) -> Router {
    let mut router = Router::new()
        .route(
            "/api/links",
            get(links::list)
                .post(links::create)
                .fallback(|| error::method_not_allowed("GET, HEAD, POST")),
        )
        .route(
            "/{code}",
            get(redirect::follow).fallback(|| error::method_not_allowed("GET, HEAD")),
        );
    if let Some(files) = static_files {
        router = router
            .route_service("/", files.clone())
            .nest_service("/static", files);
    }
    router.fallback(error::not_found).with_state(state)
}
