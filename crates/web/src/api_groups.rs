//! The groups part of the JSON API: creating and changing groups, rosters, group sessions (attendance, talk time,
//! shared and individual notes, signing), and one member's view of their sessions.

use crate::api::{if_match, with_etag};
use crate::auth::Caller;
use crate::error::{ApiResult, OrApi};
use crate::extract::{ApiJson, ApiPath};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rapport_app::groups::{
    AttendanceInput, GroupInput, LeaveInput, MemberInput, NewSession, NotesInput, TalkInput,
};
use rapport_domain::ClientId;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{id}", get(get_group).put(update_group))
        .route("/api/v1/groups/{id}/members", post(add_member))
        .route("/api/v1/groups/{id}/members/{client_id}/leave", post(leave))
        .route(
            "/api/v1/groups/{id}/sessions",
            get(list_sessions).post(create_session),
        )
        .route("/api/v1/group-sessions/{id}", get(get_session))
        .route("/api/v1/group-sessions/{id}/attendance", put(attendance))
        .route("/api/v1/group-sessions/{id}/notes", put(notes))
        .route("/api/v1/group-sessions/{id}/talk", post(talk))
        .route("/api/v1/group-sessions/{id}/sign", post(sign))
        .route(
            "/api/v1/clients/{id}/group-sessions",
            get(client_group_sessions),
        )
}

pub(crate) async fn create_group(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/groups/{id}");
    op.answer(s.app.create_group(&op.ctx, input).await)
}

async fn get_group(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let g = s.app.get_group(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(with_etag(g.version, g))
}

async fn update_group(
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

async fn add_member(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<MemberInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/groups/{id}"));
    op.answer(s.app.add_group_member(&op.ctx, id, input).await)
}

async fn leave(
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

async fn list_sessions(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_group_sessions(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

async fn create_session(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewSession>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/group-sessions/{id}");
    op.answer(s.app.create_group_session(&op.ctx, id, input).await)
}

async fn get_session(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s.app.get_group_session(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn attendance(
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

async fn notes(
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

async fn talk(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TalkInput>,
) -> ApiResult<Response> {
    let v = s.app.log_talk(&c.ctx, id, input).await.or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn sign(
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

async fn client_group_sessions(
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
