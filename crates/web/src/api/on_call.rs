//! The on-call rota in the JSON API: shifts in a range, add, remove, and who is on call now.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::IdempotencyKey;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_app::on_call::{ShiftInput, ShiftQuery};
use uuid::Uuid;

pub(super) async fn list(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ShiftQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.on_call_shifts(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn add(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ShiftInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/on-call-shifts/{id}");
    op.answer(s.app.add_on_call_shift(&op.ctx, input).await)
}

pub(super) async fn one(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.on_call_shift(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn remove(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app
        .remove_on_call_shift(&c.ctx, id)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn now(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.on_call_now(&c.ctx).await.or_api(&c.rid)?).into_response())
}
