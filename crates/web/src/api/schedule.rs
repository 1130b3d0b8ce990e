//! The scheduling part of the JSON API: appointment types, locations and rooms, appointments and series,
//! calendars, slot search and availability exceptions. Names follow FHIR where natural (Appointment, Slot).

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::IdempotencyKey;
use crate::http::responses::{created, ics, with_etag};
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rapport_app::scheduling::{
    BookingInput, CalendarQuery, ExceptionInput, RescheduleInput, SeriesChangeInput,
    SlotQueryInput, StatusInput,
};
use rapport_domain::UserId;
use rapport_domain::scheduling::appointment::AppointmentType;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

pub(super) async fn list_types(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.appointment_types(&c.ctx).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn save_type(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(mut t): ApiJson<AppointmentType>,
) -> ApiResult<Response> {
    t.key = key;
    Ok(Json(
        s.app
            .save_appointment_type(&c.ctx, t)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn list_locations(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.locations(&c.ctx).await.or_api(&c.rid)?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LocationInput {
    name: String,
    time_zone: String,
    #[serde(default)]
    address: Option<String>,
}

pub(super) async fn add_location(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<LocationInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/locations/{id}");
    op.answer(
        s.app
            .add_location(&op.ctx, &i.name, &i.time_zone, i.address.as_deref())
            .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoomInput {
    name: String,
    #[serde(default = "one")]
    capacity: i32,
}

fn one() -> i32 {
    1
}

pub(super) async fn add_room(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(i): ApiJson<RoomInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/locations/{id}/rooms/{{id}}"));
    op.answer(s.app.add_room(&op.ctx, id, &i.name, i.capacity).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WindowInput {
    hours: i64,
}

pub(super) async fn set_window(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<WindowInput>,
) -> ApiResult<StatusCode> {
    s.app
        .set_cancellation_window(&c.ctx, i.hours)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn calendar(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.calendar(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn book(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<BookingInput>,
) -> ApiResult<Response> {
    // A booking always has a first session (one with none is refused): its appointment is the location.
    let op = once.at(c, "/api/v1/appointments/{appointments.0.id}");
    op.answer(s.app.book(&op.ctx, i).await)
}

pub(super) async fn appointment(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let a = s.app.appointment(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(with_etag(a.appointment.version, a))
}

fn if_match(headers: &HeaderMap, c: &Caller) -> ApiResult<i32> {
    crate::http::responses::if_match(headers, c)
}

pub(super) async fn reschedule(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(i): ApiJson<RescheduleInput>,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let a = s.app.reschedule(&c.ctx, id, v, i).await.or_api(&c.rid)?;
    Ok(with_etag(a.version, a))
}

pub(super) async fn set_status(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(i): ApiJson<StatusInput>,
) -> ApiResult<Response> {
    let v = if_match(&headers, &c)?;
    let a = s.app.set_status(&c.ctx, id, v, i).await.or_api(&c.rid)?;
    Ok(with_etag(a.version, a))
}

pub(super) async fn change_series(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(i): ApiJson<SeriesChangeInput>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .change_series_from(&c.ctx, id, i)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct EndInput {
    #[serde(default)]
    including_this: bool,
}

pub(super) async fn end_series(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(i): ApiJson<EndInput>,
) -> ApiResult<Response> {
    let n = s
        .app
        .end_series(&c.ctx, id, i.including_this)
        .await
        .or_api(&c.rid)?;
    Ok(Json(json!({ "cancelled": n })).into_response())
}

pub(super) async fn slots(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SlotQueryInput>,
) -> ApiResult<Response> {
    Ok(Json(s.app.find_slots(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeQuery {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

pub(super) async fn list_exceptions(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .availability_exceptions(&c.ctx, UserId(id), q.from, q.to)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn add_exception(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(i): ApiJson<ExceptionInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/availability-exceptions/{id}");
    op.answer(
        s.app
            .add_availability_exception(&op.ctx, UserId(id), i)
            .await,
    )
}

pub(super) async fn remove_exception(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app
        .remove_availability_exception(&c.ctx, id)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedInput {
    #[serde(default)]
    show: Option<String>,
}

pub(super) async fn create_feed(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(i): ApiJson<FeedInput>,
) -> ApiResult<Response> {
    let f = s
        .app
        .create_calendar_feed(&c.ctx, UserId(id), i.show.as_deref())
        .await
        .or_api(&c.rid)?;
    Ok(created(f.path.clone(), f))
}

pub(super) async fn revoke_feed(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app
        .revoke_calendar_feed(&c.ctx, UserId(id))
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn appointment_ics(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let text = s.app.appointment_ics(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(ics(text, Some("appointment.ics")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RemindersInput {
    hours: i64,
    #[serde(default)]
    practice_name: Option<String>,
}

pub(super) async fn set_reminders(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<RemindersInput>,
) -> ApiResult<StatusCode> {
    s.app
        .set_reminders(&c.ctx, i.hours, i.practice_name.as_deref())
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct WaitlistQuery {
    #[serde(default)]
    status: Option<String>,
}

pub(super) async fn waitlist(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<WaitlistQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .waitlist(&c.ctx, q.status.as_deref())
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn add_waitlist(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<rapport_app::scheduling::WaitlistInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/waitlist/{id}");
    op.answer(
        s.app
            .add_to_waitlist(&op.ctx, i)
            .await
            .map(|id| json!({ "id": id })),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WaitlistStatusInput {
    status: String,
}

pub(super) async fn waitlist_status(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(i): ApiJson<WaitlistStatusInput>,
) -> ApiResult<StatusCode> {
    s.app
        .set_waitlist_status(&c.ctx, id, &i.status)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WaitlistSettings {
    email_offers: bool,
}

pub(super) async fn set_waitlist_settings(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<WaitlistSettings>,
) -> ApiResult<StatusCode> {
    s.app
        .set_waitlist_emails(&c.ctx, i.email_offers)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn online_rules(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    // Reading the rules is open to staff; only administrators change them.
    let _ = &c.ctx;
    Ok(Json(s.app.online_rules().await.or_api(&c.rid)?).into_response())
}

pub(super) async fn clinician_online_rules(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .clinician_online_rules(&c.ctx, UserId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

pub(super) async fn set_clinician_online_rules(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<rapport_app::scheduling::ClinicianOnlineRules>,
) -> ApiResult<StatusCode> {
    s.app
        .set_clinician_online_rules(&c.ctx, UserId(id), r)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn set_online_rules(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(r): ApiJson<rapport_app::scheduling::OnlineRules>,
) -> ApiResult<StatusCode> {
    s.app.set_online_rules(&c.ctx, r).await.or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
