//! A client's medications in the JSON API: list (current first), add, and stop one.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::idempotency::IdempotencyKey;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rapport_app::medications::StopInput;
use rapport_domain::ClientId;
use rapport_domain::medication::MedicationInput;
use uuid::Uuid;

pub(super) async fn list(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .medications(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn add(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<MedicationInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/medications"));
    op.answer(s.app.add_medication(&op.ctx, ClientId(id), input).await)
}

pub(super) async fn stop(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<StopInput>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .stop_medication(&c.ctx, id, input)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}
