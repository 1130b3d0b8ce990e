//! Referrals out of the practice in the JSON API: list (open first), refer, and move one along.

use crate::auth::Caller;
use crate::error::{ApiResult, OrApi};
use crate::extract::{ApiJson, ApiPath};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rapport_app::referrals::MoveInput;
use rapport_domain::ClientId;
use rapport_domain::referral::ReferralInput;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clients/{id}/referrals", get(list).post(refer))
        .route("/api/v1/referrals/{id}/status", post(move_to))
}

async fn list(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.referrals(&c.ctx, ClientId(id)).await.or_api(&c.rid)?).into_response())
}

async fn refer(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReferralInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/referrals"));
    op.answer(s.app.refer(&op.ctx, ClientId(id), input).await)
}

async fn move_to(
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
