//! A client's safety plan in the JSON API: read it (ETag = version, 0 while there is none) and save it
//! (If-Match: the version read).

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::responses::{if_match, with_etag};
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rapport_domain::ClientId;
use rapport_domain::safety::SafetyPlan;
use uuid::Uuid;

pub(super) async fn read(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s
        .app
        .safety_plan(&c.ctx, ClientId(id))
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn save(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(plan): ApiJson<SafetyPlan>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .save_safety_plan(&c.ctx, ClientId(id), version, plan)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}
