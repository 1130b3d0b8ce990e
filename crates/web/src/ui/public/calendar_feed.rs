//! A clinician's calendar subscription: the feed calendar apps poll, by the secret file name in its URL.

use crate::http::responses::ics;
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The subscription feed: the secret token in the URL is the credential (calendar apps cannot sign in).
pub(super) async fn feed(
    State(s): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    axum::Extension(rid): axum::Extension<crate::http::request_id::RequestId>,
) -> Response {
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    match s.app.calendar_feed(token, Some(&rid.0)).await {
        Ok(text) => ics(text, None),
        Err(rapport_domain::Error::NotFound) => crate::http::error::ApiError::edge(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such calendar (the link may have been revoked).",
            &rid,
        )
        .into_response(),
        Err(e) => crate::http::error::ApiError::from_domain(e, &rid).into_response(),
    }
}
