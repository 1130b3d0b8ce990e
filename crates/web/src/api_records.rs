//! The records part of the JSON API: the full export of one client's record, and record requests (log, list,
//! read, fulfil with the record, deny with a reason) with the practice's answer period.

use crate::auth::Caller;
use crate::error::{ApiResult, OrApi};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rapport_app::records::{ExtendInput, RequestInput, RequestQuery};
use rapport_domain::ClientId;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clients/{id}/export", get(export))
        .route("/api/v1/clients/{id}/record-requests", post(log_request))
        .route("/api/v1/record-requests", get(list))
        .route("/api/v1/record-requests/{id}", get(get_request))
        .route("/api/v1/record-requests/{id}/fulfil", post(fulfil))
        .route("/api/v1/record-requests/{id}/deny", post(deny))
        .route("/api/v1/record-requests/{id}/extend", post(extend))
        .route("/api/v1/settings/record-requests", put(settings))
}

async fn export(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let r = s
        .app
        .export_client_record(&c.ctx, ClientId(id))
        .await
        .or_api(&c.rid)?;
    Ok(Json(r).into_response())
}

async fn log_request(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RequestInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/record-requests/{id}");
    op.answer(s.app.log_record_request(&op.ctx, ClientId(id), input).await)
}

async fn list(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<RequestQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.record_requests(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

async fn get_request(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.record_request(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

async fn fulfil(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .fulfil_record_request(&c.ctx, id)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DenyInput {
    reason: String,
}

async fn deny(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<DenyInput>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .deny_record_request(&c.ctx, id, &input.reason)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

async fn extend(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ExtendInput>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .extend_record_request(&c.ctx, id, &input)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodInput {
    due_days: i64,
}

async fn settings(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<PeriodInput>,
) -> ApiResult<StatusCode> {
    s.app
        .set_record_request_days(&c.ctx, input.due_days)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
