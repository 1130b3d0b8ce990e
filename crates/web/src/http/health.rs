//! `/healthz` (the process answers) and `/readyz` (the database and the writer answer): for load balancers and
//! orchestrators, without a session.

use crate::http::state::AppState;
use crate::http::{error, request_id};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

pub(crate) async fn readyz(
    State(st): State<AppState>,
    axum::Extension(rid): axum::Extension<request_id::RequestId>,
) -> Response {
    match st.app.ready().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(request_id = %rid.0, error = %e, "not ready");
            error::ApiError::edge(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "Not ready: the database or the writer is not available.",
                &rid,
            )
            .into_response()
        }
    }
}
