//! The caller's own account: who they are and their personal API tokens.
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::responses::created;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_domain::Role;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub(super) async fn me(c: Caller, State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let id = c
        .ctx
        .actor
        .user_id()
        .ok_or_else(|| ApiError::from_domain(rapport_domain::Error::NotFound, &c.rid))?;
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| c.ctx.actor.has(*r))
        .collect();
    let _ = &s;
    Ok(Json(json!({ "id": id, "roles": roles })))
}

pub(super) async fn list_tokens(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.list_api_tokens(&c.ctx).await.or_api(&c.rid)?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenInput {
    name: String,
    /// 1–365; 90 when left out.
    expires_in_days: Option<i64>,
}

pub(super) async fn create_token(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<TokenInput>,
) -> ApiResult<Response> {
    let (raw, info) = s
        .app
        .create_api_token(&c.ctx, &i.name, i.expires_in_days)
        .await
        .or_api(&c.rid)?;
    Ok(created(
        format!("/api/v1/tokens/{}", info.id),
        json!({ "token": raw, "info": info }),
    ))
}

pub(super) async fn revoke_token(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
