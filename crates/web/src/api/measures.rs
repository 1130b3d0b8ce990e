//! The measures part of the JSON API: the instrument catalogue (with FHIR Questionnaires), a client's assignments,
//! answers entered by staff, results with change statistics, the caller's caseload (not on track first), and
//! alerts. A response also reads as a FHIR QuestionnaireResponse and a client's scores as a Bundle of FHIR
//! Observations, both served as `application/fhir+json`.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::IdempotencyKey;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_app::measures::{
    AckInput, AssignInput, MeasureSettings, ObservationQuery, ResponseInput,
};
use rapport_domain::ClientId;
use uuid::Uuid;

pub(super) async fn instruments(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.instruments(&c.ctx).or_api(&c.rid)?).into_response())
}

pub(super) async fn instrument(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(Json(s.app.instrument(&c.ctx, &key).or_api(&c.rid)?).into_response())
}

pub(super) async fn assignments(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .measure_assignments(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn assign(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<AssignInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/measure-assignments"));
    op.answer(s.app.assign_measure(&op.ctx, ClientId(id), input).await)
}

pub(super) async fn stop(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, assignment)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .stop_measure_assignment(&c.ctx, ClientId(id), assignment)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn enter(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ResponseInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/measure-responses/{id}");
    op.answer(
        s.app
            .enter_measure_response(&op.ctx, ClientId(id), input)
            .await,
    )
}

pub(super) async fn results(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_measures(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn response(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.measure_response(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

/// FHIR resources go out with FHIR's own media type (R4, JSON format).
fn fhir(body: serde_json::Value) -> Response {
    let mut r = Json(body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json; fhirVersion=4.0"),
    );
    r
}

pub(super) async fn questionnaire_response(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(fhir(
        s.app
            .measure_questionnaire_response(&c.ctx, id)
            .await
            .or_api(&c.rid)?,
    ))
}

pub(super) async fn observations(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ObservationQuery>,
) -> ApiResult<Response> {
    Ok(fhir(
        s.app
            .measure_observations(&c.ctx, ClientId(id), q)
            .await
            .or_api(&c.rid)?,
    ))
}

pub(super) async fn caseload(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.measures_caseload(&c.ctx).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn alerts(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.measure_alerts(&c.ctx).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn acknowledge(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<AckInput>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .acknowledge_measure_alert(&c.ctx, id, input)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn settings(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<MeasureSettings>,
) -> ApiResult<StatusCode> {
    s.app
        .set_measure_settings(&c.ctx, input)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
