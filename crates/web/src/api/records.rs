//! The records part of the JSON API: the full export of one client's record, and record requests (log, list,
//! read, fulfil with the record, deny with a reason) with the practice's answer period.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::IdempotencyKey;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_app::records::{ExtendInput, RequestInput, RequestQuery};
use rapport_domain::ClientId;
use serde::Deserialize;
use uuid::Uuid;

pub(super) async fn export(
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

pub(super) async fn log_request(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RequestInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/record-requests/{id}");
    op.answer(s.app.log_record_request(&op.ctx, ClientId(id), input).await)
}

pub(super) async fn list(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<RequestQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.record_requests(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn get_request(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.record_request(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn fulfil(
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
pub(super) struct DenyInput {
    reason: String,
}

pub(super) async fn deny(
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

pub(super) async fn extend(
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
pub(super) struct PeriodInput {
    due_days: i64,
}

pub(super) async fn settings(
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
