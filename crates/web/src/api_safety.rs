//! A client's safety plan in the JSON API: read it (ETag = version, 0 while there is none) and save it
//! (If-Match: the version read).

use crate::api::{if_match, with_etag};
use crate::auth::Caller;
use crate::error::{ApiResult, OrApi};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use rapport_domain::ClientId;
use rapport_domain::safety::SafetyPlan;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/clients/{id}/safety-plan", get(read).put(save))
}

async fn read(
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

async fn save(
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
