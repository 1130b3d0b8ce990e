//! Response shapes the JSON API and the feeds share: versions in `ETag` and `If-Match`, `201 Created` with its
//! `Location`, and iCalendar bodies.

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The version a write expects, from `If-Match` (`"3"`, `W/"3"` or `3`).
pub(crate) fn if_match(headers: &HeaderMap, c: &Caller) -> ApiResult<i32> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::edge(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "Send 'If-Match' with the version you read (the ETag), so that no one's changes are overwritten.",
            &c.rid,
        ));
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i32>().ok())
        .ok_or_else(|| {
            ApiError::edge(
                StatusCode::BAD_REQUEST,
                "bad_if_match",
                "If-Match must be a version number such as \"3\".",
                &c.rid,
            )
        })
}

pub(crate) fn with_etag<T: serde::Serialize>(version: i32, body: T) -> Response {
    let mut r = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

pub(crate) fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// An iCalendar body, as a download when `attachment` names the file.
pub(crate) fn ics(text: String, attachment: Option<&str>) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        text,
    )
        .into_response();
    if let Some(name) = attachment
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
