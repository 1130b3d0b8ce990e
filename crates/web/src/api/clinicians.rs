//! The clinician directory and profiles.
use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::responses::{if_match, with_etag};
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use rapport_app::clinicians::{ClinicianFilter, ClinicianInput};
use rapport_domain::UserId;
use uuid::Uuid;

pub(super) async fn list_clinicians(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<ClinicianFilter>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_clinicians(&c.ctx, &f).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn get_clinician(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s
        .app
        .get_clinician(&c.ctx, UserId(id))
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn update_clinician(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ClinicianInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .update_clinician(&c.ctx, UserId(id), version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}
