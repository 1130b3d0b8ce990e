//! The treatment-plan part of the JSON API: programme templates, a client's plans, edits and the plan's
//! lifecycle (put into effect, review, client acknowledgement, close), each write with If-Match.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::idempotency::IdempotencyKey;
use crate::http::responses::{if_match, with_etag};
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use rapport_app::plans::{AcknowledgeInput, NewPlan, ReviewInput};
use rapport_domain::ClientId;
use rapport_domain::plans::PlanContent;
use uuid::Uuid;

pub(super) async fn templates(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.plan_templates(&c.ctx).or_api(&c.rid)?).into_response())
}

pub(super) async fn client_plans(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_plans(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn create_plan(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewPlan>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/plans/{id}");
    op.answer(s.app.create_plan(&op.ctx, ClientId(id), input).await)
}

pub(super) async fn get_plan(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let p = s.app.get_plan(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(with_etag(p.version, p))
}

pub(super) async fn update_plan(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(content): ApiJson<PlanContent>,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let p = s
        .app
        .update_plan(&c.ctx, id, v, content)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(p.version, p))
}

pub(super) async fn activate(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let p = s.app.activate_plan(&c.ctx, id, v).await.or_api(&c.rid)?;
    Ok(with_etag(p.version, p))
}

pub(super) async fn review(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let p = s
        .app
        .review_plan(&c.ctx, id, v, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(p.version, p))
}

pub(super) async fn acknowledge(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AcknowledgeInput>,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let p = s
        .app
        .acknowledge_plan(&c.ctx, id, v, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(p.version, p))
}

pub(super) async fn close(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let p = s.app.close_plan(&c.ctx, id, v).await.or_api(&c.rid)?;
    Ok(with_etag(p.version, p))
}
