//! Clients: search and registration, the client record, the care team, episodes of care and the access log.
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
use rapport_app::audit::AuditQuery;
use rapport_app::clients::{ClientInput, ClientQuery, EpisodeInput};
use rapport_domain::{ClientId, EpisodeId, UserId};
use serde::Deserialize;
use uuid::Uuid;

pub(super) async fn list_clients(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.search_clients(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn create_client(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ClientInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/clients/{id}");
    op.answer(s.app.create_client(&op.ctx, input).await)
}

pub(super) async fn get_client(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s
        .app
        .get_client(&c.ctx, ClientId(id))
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn update_client(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ClientInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .update_client(&c.ctx, ClientId(id), version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CareTeamInput {
    user_id: Uuid,
    #[serde(default)]
    team_role: Option<String>,
}

pub(super) async fn add_care_team(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<CareTeamInput>,
) -> ApiResult<StatusCode> {
    s.app
        .assign_care_team(
            &c.ctx,
            ClientId(id),
            UserId(input.user_id),
            input.team_role.as_deref().unwrap_or("member"),
        )
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn remove_care_team(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, user)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    s.app
        .remove_from_care_team(&c.ctx, ClientId(id), UserId(user))
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn list_episodes(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .list_episodes(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn open_episode(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<EpisodeInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/episodes"));
    op.answer(s.app.open_episode(&op.ctx, ClientId(id), input).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CloseInput {
    closed_on: String,
}

pub(super) async fn close_episode(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, episode)): ApiPath<(Uuid, Uuid)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CloseInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let e = s
        .app
        .close_episode(
            &c.ctx,
            ClientId(id),
            EpisodeId(episode),
            &input.closed_on,
            version,
        )
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(e.version, e))
}

pub(super) async fn access_log(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_access_log(&c.ctx, ClientId(id), &q)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}
