//! Referrals out of the practice in the JSON API: list (open first), refer, and move one along.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::idempotency::IdempotencyKey;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rapport_app::referrals::MoveInput;
use rapport_domain::ClientId;
use rapport_domain::referral::ReferralInput;
use uuid::Uuid;

pub(super) async fn list(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.referrals(&c.ctx, ClientId(id)).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn refer(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReferralInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/referrals"));
    op.answer(s.app.refer(&op.ctx, ClientId(id), input).await)
}

pub(super) async fn move_to(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .move_referral(&c.ctx, id, input)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}
