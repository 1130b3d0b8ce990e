//! Administration: staff accounts and roles, supervision, the audit log and practice settings.
use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::responses::created;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_app::accounts::NewAccount;
use rapport_app::audit::AuditQuery;
use rapport_domain::{Role, UserId};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub(super) async fn list_users(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.list_accounts(&c.ctx).await.or_api(&c.rid)?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUserInput {
    email: String,
    display_name: String,
    roles: Vec<Role>,
    #[serde(default)]
    time_zone: Option<String>,
}

pub(super) async fn create_user(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewUserInput>,
) -> ApiResult<Response> {
    let created_user = s
        .app
        .create_account(
            &c.ctx,
            NewAccount {
                email: input.email,
                display_name: input.display_name,
                roles: input.roles,
                password: None,
                time_zone: input.time_zone,
            },
        )
        .await
        .or_api(&c.rid)?;
    Ok(created(
        format!("/api/v1/users/{}", created_user.id),
        json!({ "id": created_user.id, "one_time_password": created_user.one_time_password }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RolesInput {
    roles: Vec<Role>,
}

pub(super) async fn set_roles(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RolesInput>,
) -> ApiResult<StatusCode> {
    s.app
        .set_roles(&c.ctx, UserId(id), input.roles)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn disable_user(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app
        .set_account_disabled(&c.ctx, UserId(id), true)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn enable_user(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app
        .set_account_disabled(&c.ctx, UserId(id), false)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetInput {
    #[serde(default)]
    reset_mfa: bool,
}

pub(super) async fn reset_password(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ResetInput>,
) -> ApiResult<Json<Value>> {
    let otp = s
        .app
        .reset_password(&c.ctx, UserId(id), input.reset_mfa)
        .await
        .or_api(&c.rid)?;
    Ok(Json(json!({ "one_time_password": otp })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SupervisionInput {
    supervisor_id: Uuid,
    supervisee_id: Uuid,
}

pub(super) async fn add_supervision(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<SupervisionInput>,
) -> ApiResult<StatusCode> {
    s.app
        .add_supervision(&c.ctx, UserId(i.supervisor_id), UserId(i.supervisee_id))
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn audit(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_audit(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn portal_settings(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<rapport_app::portal::PortalSettings>,
) -> ApiResult<StatusCode> {
    s.app
        .set_portal_settings(&c.ctx, input)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
