//! The groups part of the JSON API: creating and changing groups, rosters, group sessions (attendance, talk time,
//! shared and individual notes, signing), and one member's view of their sessions.

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
use rapport_app::groups::{
    AttendanceInput, GroupInput, LeaveInput, MemberInput, NewSession, NotesInput, TalkInput,
};
use rapport_domain::ClientId;
use uuid::Uuid;

pub(crate) async fn create_group(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/groups/{id}");
    op.answer(s.app.create_group(&op.ctx, input).await)
}

pub(super) async fn get_group(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let g = s.app.get_group(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(with_etag(g.version, g))
}

pub(super) async fn update_group(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let g = s
        .app
        .update_group(&c.ctx, id, version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(g.version, g))
}

pub(super) async fn add_member(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<MemberInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/groups/{id}"));
    op.answer(s.app.add_group_member(&op.ctx, id, input).await)
}

pub(super) async fn leave(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, client)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<LeaveInput>,
) -> ApiResult<Response> {
    let g = s
        .app
        .leave_group(&c.ctx, id, ClientId(client), input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(g.version, g))
}

pub(super) async fn list_sessions(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_group_sessions(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn create_session(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewSession>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/group-sessions/{id}");
    op.answer(s.app.create_group_session(&op.ctx, id, input).await)
}

pub(super) async fn get_session(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s.app.get_group_session(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn attendance(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AttendanceInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .record_attendance(&c.ctx, id, version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn notes(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NotesInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .save_group_notes(&c.ctx, id, version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn talk(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TalkInput>,
) -> ApiResult<Response> {
    let v = s.app.log_talk(&c.ctx, id, input).await.or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn sign(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .sign_group_session(&c.ctx, id, version)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn client_group_sessions(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_group_sessions(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn list_groups(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.list_groups(&c.ctx).await.or_api(&c.rid)?).into_response())
}
