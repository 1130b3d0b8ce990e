//! The behaviour-modification part of the JSON API: a client's target behaviours, their log entries (as FHIR R4
//! Observations), the weekly summaries with streaks and adherence, homework, and the client's diary link.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::IdempotencyKey;
use crate::http::responses::{if_match, with_etag};
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rapport_app::behaviour::{BehaviourSettings, EntriesInput, EntryQuery, HomeworkStatusInput};
use rapport_domain::ClientId;
use rapport_domain::behaviour::{BehaviourInput, HomeworkInput};
use serde_json::json;
use uuid::Uuid;

pub(super) async fn behaviours(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_behaviours(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn define(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<BehaviourInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/behaviours"));
    op.answer(s.app.define_behaviour(&op.ctx, ClientId(id), input).await)
}

pub(super) async fn retire(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, behaviour)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .retire_behaviour(&c.ctx, ClientId(id), behaviour)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn entries(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .behaviour_entries(&c.ctx, ClientId(id), &q)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn log(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<EntriesInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/behaviour-entries"));
    op.answer(
        s.app
            .log_behaviour_entries(&op.ctx, ClientId(id), input)
            .await,
    )
}

pub(super) async fn summary(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .behaviour_summary(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn homework(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_homework(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn assign_homework(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<HomeworkInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/homework/{id}");
    let v = s.app.assign_homework(&op.ctx, ClientId(id), input).await;
    // A replayed answer carries no ETag: a retrying client reads the homework before it edits it.
    let version = v.as_ref().ok().map(|v| v.version);
    let mut r = op.answer(v)?;
    if let Some(etag) = version.and_then(|v| format!("\"{v}\"").parse().ok()) {
        r.headers_mut().insert(axum::http::header::ETAG, etag);
    }
    Ok(r)
}

pub(super) async fn update_homework(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<HomeworkInput>,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let h = s
        .app
        .update_homework(&c.ctx, id, v, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(h.version, h))
}

pub(super) async fn homework_status(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<HomeworkStatusInput>,
) -> ApiResult<Response> {
    let h = s
        .app
        .set_homework_status(&c.ctx, id, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(h.version, h))
}

pub(super) async fn send_link(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s
        .app
        .send_diary_link(&c.ctx, ClientId(id))
        .await
        .or_api(&c.rid)?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub(super) async fn revoke_link(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let n = s
        .app
        .revoke_diary_link(&c.ctx, ClientId(id))
        .await
        .or_api(&c.rid)?;
    Ok(Json(json!({ "revoked": n })).into_response())
}

pub(super) async fn settings(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<BehaviourSettings>,
) -> ApiResult<StatusCode> {
    s.app
        .set_behaviour_settings(&c.ctx, input)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
