//! Break-the-glass emergency access in the JSON API: open one client's record in an emergency, and the
//! administrators' register and review.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::idempotency::IdempotencyKey;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_app::emergency::{BreakGlassInput, ReviewInput};
use uuid::Uuid;

pub(super) async fn open(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<BreakGlassInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/clients/{client_id}");
    op.answer(s.app.break_glass(&op.ctx, input).await)
}

pub(super) async fn list(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.emergency_accesses(&c.ctx).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn review(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<StatusCode> {
    s.app
        .review_emergency_access(&c.ctx, id, input)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
