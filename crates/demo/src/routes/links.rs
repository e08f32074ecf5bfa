//! `POST /api/links` (create) and `GET /api/links` (most recent first).
//!
//! The body is read and checked by hand rather than with axum's `Json` extractor, so that
//! every refusal is a JSON error that says exactly what was wrong.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{json, Value};

use super::error::json;
use super::{ApiError, AppState};
use crate::store::Link;

/// The largest request body accepted (16 KiB); larger is a 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// How many links `GET /api/links` returns without `?limit=`.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest `?limit=` accepted.
pub const MAX_LIMIT: u32 = 200;

pub(crate) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
        Err(e) => {
            return Err(ApiError::bad_request(format!(
                "could not read the request body: {e}"
            )))
        }
    };
    let url = requested_url(&bytes)?;
    let link = state.store.create(&url).await?;
    tracing::info!(target: "dockerflow_demo.links", code = %link.code, "link created");
    let mut response = json(
        StatusCode::CREATED,
        &json!({ "code": link.code, "url": link.url }),
    );
    if let Ok(location) = http::HeaderValue::from_str(&format!("/{}", link.code)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// `application/json`, with or without parameters (`; charset=utf-8`).
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim());
    match media_type {
        Some(t) if t.eq_ignore_ascii_case("application/json") => Ok(()),
        Some(t) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be application/json, not {t:?}"),
        )),
        None => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )),
    }
}

/// The validated URL of a `{"url": "..."}` body.
fn requested_url(bytes: &[u8]) -> Result<String, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object like {\"url\": \"https://...\"}",
        ));
    };
    let url = match object.get("url") {
        None => return Err(ApiError::bad_request("missing \"url\"")),
        Some(Value::String(s)) => s,
        Some(_) => return Err(ApiError::bad_request("\"url\" must be a string")),
    };
    crate::url::validate(url).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let limit = limit(query.as_deref())?;
    let links = state.store.recent(limit).await?;
    let links: Vec<Value> = links.iter().map(link_json).collect();
    Ok(json(StatusCode::OK, &json!({ "links": links })).into_response())
}

fn link_json(link: &Link) -> Value {
    json!({ "code": link.code, "url": link.url, "created_at": link.created_at })
}

/// `?limit=N`, 1 to [`MAX_LIMIT`]; other parameters are ignored.
fn limit(query: Option<&str>) -> Result<u32, ApiError> {
    let Some(value) = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == "limit")
        .map(|(_, v)| v)
    else {
        return Ok(DEFAULT_LIMIT);
    };
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n) && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "\"limit\" must be a whole number from 1 to {MAX_LIMIT}, not {value:?}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(limit(None).ok(), Some(DEFAULT_LIMIT));
        assert_eq!(limit(Some("")).ok(), Some(DEFAULT_LIMIT));
        assert_eq!(limit(Some("x=1&limit=3")).ok(), Some(3));
        assert_eq!(limit(Some("limit=200")).ok(), Some(200));
        for bad in [
            "limit=0",
            "limit=201",
            "limit=-1",
            "limit=+3",
            "limit=",
            "limit",
            "limit=a",
        ] {
            assert!(limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies() {
        assert_eq!(
            requested_url(br#"{"url":"https://example.com/x"}"#)
                .ok()
                .as_deref(),
            Some("https://example.com/x")
        );
        for (body, needle) in [
            (&b"nope"[..], "not valid JSON"),
            (b"[]", "JSON object"),
            (b"{}", "missing"),
            (br#"{"url":3}"#, "must be a string"),
            (br#"{"url":"ftp://x.org/"}"#, "scheme"),
        ] {
            let err = requested_url(body).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            assert!(err.message.contains(needle), "{}", err.message);
        }
    }
}
