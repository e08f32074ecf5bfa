//! `GET /{code}`: 302 to the stored URL.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, LOCATION};
use http::{HeaderValue, StatusCode};

use super::{ApiError, AppState};
use crate::store::is_code;

pub(crate) async fn follow(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no link with the code {code:?}"),
        )
    };
    if !is_code(&code) {
        return Err(unknown());
    }
    let Some(url) = state.store.find(&code).await? else {
        return Err(unknown());
    };
    // Stored URLs are validated ASCII; a row edited by hand into something else is a 500.
    let location = HeaderValue::from_str(&url).map_err(|_| {
        tracing::error!(target: "dockerflow_demo.links", code = %code, "stored URL is not a valid header value");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    })?;
    Ok((
        StatusCode::FOUND,
        [
            (LOCATION, location),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}
