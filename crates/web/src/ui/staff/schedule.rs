//! Scheduling pages: day and week calendars and one appointment (status, move, series edits); the booking form is
//! in `new_appointment`, the waitlist in `waitlist`.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use rapport_app::clinicians::ClinicianFilter;
use rapport_app::scheduling::{
    AppointmentView, CalendarQuery, RescheduleInput, SeriesChangeInput, StatusInput,
};
use rapport_domain::scheduling::appointment::{AppointmentKind, Mode, Status};
use rapport_domain::{Error, UserId};
use serde::Deserialize;
use uuid::Uuid;

/// Choices for the forms' selects. A failure is the page's failure (an error page with the request id), never an
/// empty select that looks like a practice without appointment types or clinicians.
pub(super) async fn type_options(st: &AppState, s: &Staff) -> Result<Vec<(String, String)>, Error> {
    Ok(st
        .app
        .appointment_types(&s.ctx)
        .await?
        .into_iter()
        .map(|t| (t.key, t.label))
        .collect())
}

pub(super) async fn clinician_options(
    st: &AppState,
    s: &Staff,
) -> Result<Vec<(UserId, String)>, Error> {
    Ok(st
        .app
        .list_clinicians(&s.ctx, &ClinicianFilter::default())
        .await?
        .into_iter()
        .map(|c| (c.user_id, c.display_name))
        .collect())
}

fn can_book(s: &Staff) -> bool {
    s.rights.book_own_calendar
}

#[derive(Debug, Default, Deserialize)]
pub struct CalendarParams {
    #[serde(default)]
    view: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    clinician: String,
    #[serde(default)]
    room: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    tz: String,
}

pub struct DayItem {
    id: Uuid,
    time: String,
    title: String,
    clinician: String,
    status: String,
    status_label: &'static str,
    series: bool,
}

pub struct DayColumn {
    key: String,
    label: String,
    items: Vec<DayItem>,
}

#[derive(Template, WebTemplate)]
#[template(path = "calendar.html")]
struct CalendarPage {
    nav: Option<Nav>,
    heading: String,
    view: String,
    date: String,
    clinician: String,
    room: String,
    location: String,
    tz: String,
    clinicians: Vec<(UserId, String)>,
    rooms: Vec<(Uuid, String)>,
    locations: Vec<(Uuid, String)>,
    days: Vec<DayColumn>,
    prev: String,
    next: String,
    today: String,
    can_book: bool,
}

fn title_of(a: &AppointmentView) -> String {
    if a.clients.is_empty() {
        if a.client_count == 0 {
            a.type_key.clone()
        } else {
            format!("{} client(s)", a.client_count)
        }
    } else {
        a.clients
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

pub async fn calendar(
    State(st): State<AppState>,
    s: Staff,
    Query(p): Query<CalendarParams>,
) -> Response {
    let tz_name = if p.tz.trim().is_empty() {
        s.zone().name().to_string()
    } else {
        p.tz.trim().to_string()
    };
    let tz: Tz = match tz_name.parse() {
        Ok(t) => t,
        Err(_) => {
            return error_page(
                Error::invalid("tz", format!("'{tz_name}' is not a time zone")),
                &s.rid,
                Nav::of(&s),
            );
        }
    };
    let today = rapport_app::clock::now_utc()
        .with_timezone(&tz)
        .date_naive();
    let date = rapport_domain::validate::date("date", &p.date).unwrap_or(today);
    let week = p.view != "day";
    let first = if week {
        date - Duration::days(date.weekday().num_days_from_monday() as i64)
    } else {
        date
    };
    let n = if week { 7 } else { 1 };
    let q = CalendarQuery {
        from: first.to_string(),
        to: (first + Duration::days(n)).to_string(),
        time_zone: Some(tz.name().to_string()),
        clinicians: Some(p.clinician.clone()).filter(|c| !c.trim().is_empty()),
        room_id: p.room.trim().parse().ok(),
        location_id: p.location.trim().parse().ok(),
        ..Default::default()
    };
    let list = match st.app.calendar(&s.ctx, &q).await {
        Ok(l) => l,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let mut days: Vec<DayColumn> = (0..n)
        .map(|i| {
            let d = first + Duration::days(i);
            DayColumn {
                key: d.to_string(),
                label: d.format("%A %-d %B").to_string(),
                items: vec![],
            }
        })
        .collect();
    for a in &list {
        let start = a.start.with_timezone(&tz);
        let end = a.end.with_timezone(&tz);
        let idx = (start.date_naive() - first).num_days();
        if let Some(col) = usize::try_from(idx).ok().and_then(|i| days.get_mut(i)) {
            col.items.push(DayItem {
                id: a.id,
                time: format!("{}–{}", start.format("%H:%M"), end.format("%H:%M")),
                title: title_of(a),
                clinician: a.clinician_name.clone(),
                status: a.status.clone(),
                status_label: Status::parse(&a.status).map(|s| s.label()).unwrap_or(""),
                series: a.series_id.is_some(),
            });
        }
    }
    let clinicians = match clinician_options(&st, &s).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let places = match st.app.locations(&s.ctx).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let locations = places.iter().map(|l| (l.id, l.name.clone())).collect();
    let rooms = places
        .into_iter()
        .flat_map(|l| {
            l.rooms
                .into_iter()
                .map(move |r| (r.id, format!("{} ({})", r.name, l.name)))
        })
        .collect();
    let step = Duration::days(n);
    let link = |d: NaiveDate| {
        format!(
            "/calendar?view={}&date={d}&clinician={}&location={}&room={}&tz={}",
            if week { "week" } else { "day" },
            p.clinician,
            p.location,
            p.room,
            tz.name()
        )
    };
    CalendarPage {
        nav: Nav::of(&s),
        heading: if week {
            format!("Week of {}", first.format("%-d %B %Y"))
        } else {
            date.format("%A %-d %B %Y").to_string()
        },
        view: if week { "week".into() } else { "day".into() },
        date: date.to_string(),
        clinician: p.clinician.clone(),
        room: p.room.clone(),
        location: p.location.clone(),
        tz: tz.name().to_string(),
        clinicians,
        rooms,
        locations,
        prev: link(first - step),
        next: link(first + step),
        today: link(today),
        days,
        can_book: can_book(&s),
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "appointment.html")]
struct AppointmentPage {
    nav: Option<Nav>,
    csrf: String,
    title: String,
    when: String,
    date: String,
    start_value: String,
    a: AppointmentView,
    /// "Individual · In person": the kind and the mode in words.
    kind_label: String,
    status_label: &'static str,
    final_status: bool,
    next_statuses: Vec<(&'static str, &'static str)>,
    cancel_reason: Option<String>,
    history: Vec<String>,
    can_change: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn appointment_page(st: &AppState, s: &Staff, id: Uuid, error: Option<String>) -> Response {
    let d = match st.app.appointment(&s.ctx, id).await {
        Ok(d) => d,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let a = d.appointment;
    let status = Status::parse(&a.status).unwrap_or(Status::Booked);
    let tz: Tz = a.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let history = d
        .history
        .iter()
        .map(|h| {
            let at = h.at.with_timezone(&tz).format("%Y-%m-%d %H:%M");
            match h.change.as_str() {
                "rescheduled" => format!(
                    "{at}: moved from {} to {}",
                    h.from_start
                        .map(|t| t.with_timezone(&tz).format("%a %-d %b %H:%M").to_string())
                        .unwrap_or_default(),
                    h.to_start
                        .map(|t| t.with_timezone(&tz).format("%a %-d %b %H:%M").to_string())
                        .unwrap_or_default()
                ),
                "booked" => format!("{at}: booked"),
                other => {
                    let word = |s: &Option<String>| {
                        s.as_deref()
                            .and_then(|s| Status::parse(s).ok())
                            .map(Status::label)
                            .unwrap_or_default()
                    };
                    format!(
                        "{at}: {other} ({} → {})",
                        word(&h.from_status),
                        word(&h.to_status)
                    )
                }
            }
        })
        .collect();
    let can_change = st.app.calendar_rights(&s.ctx, a.clinician_id).change;
    let next_statuses = [
        Status::Confirmed,
        Status::Arrived,
        Status::Completed,
        Status::NoShow,
    ]
    .into_iter()
    .filter(|n| status.can_become(*n))
    .map(|n| (n.as_str(), n.label()))
    .collect();
    AppointmentPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        title: format!(
            "{} on {}",
            title_of(&a),
            a.start_local.format("%a %-d %b %Y")
        ),
        when: format!(
            "{}–{}",
            a.start_local.format("%A %-d %B %Y, %H:%M"),
            a.end_local.format("%H:%M")
        ),
        date: a.start_local.date().to_string(),
        start_value: a.start_local.format("%Y-%m-%dT%H:%M").to_string(),
        kind_label: format!(
            "{} · {}",
            AppointmentKind::parse(&a.kind)
                .map(AppointmentKind::label)
                .unwrap_or_default(),
            Mode::parse(&a.mode).map(Mode::label).unwrap_or_default()
        ),
        status_label: status.label(),
        final_status: status.is_final(),
        next_statuses,
        cancel_reason: d.cancel_reason,
        history,
        can_change,
        notice: None,
        error,
        a,
    }
    .into_response()
}

pub async fn appointment(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    appointment_page(&st, &s, id, None).await
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    version: i32,
    status: String,
    #[serde(default)]
    reason: String,
    /// "today" when sent from the Today page's check-in buttons: back there afterwards.
    #[serde(default)]
    back: String,
}

/// After a change: back to the appointment, or its page again with the problem explained.
async fn after(st: &AppState, s: &Staff, id: Uuid, r: Result<(), Error>) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/appointments/{id}")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let status = crate::http::error::classify(&e).0;
            let mut page = appointment_page(st, s, id, Some(form_message(&e))).await;
            *page.status_mut() = status;
            page
        }
        Err(e) => error_page(e, &s.rid, Nav::of(s)),
    }
}

pub async fn set_status(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<StatusForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = StatusInput {
        status: f.status,
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
    };
    let r = st
        .app
        .set_status(&s.ctx, id, f.version, input)
        .await
        .map(|_| ());
    if r.is_ok() && f.back == "today" {
        return Redirect::to("/").into_response();
    }
    after(&st, &s, id, r).await
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    version: i32,
    start: String,
    #[serde(default)]
    outside_working_hours: Option<String>,
}

pub async fn reschedule(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<MoveForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = RescheduleInput {
        start: f.start,
        time_zone: None,
        room_id: None,
        outside_working_hours: f.outside_working_hours.is_some(),
    };
    let r = st
        .app
        .reschedule(&s.ctx, id, f.version, input)
        .await
        .map(|_| ());
    after(&st, &s, id, r).await
}

pub async fn change_series(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<MoveForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = SeriesChangeInput {
        start: f.start,
        rrule: None,
        time_zone: None,
        outside_working_hours: f.outside_working_hours.is_some(),
    };
    match st.app.change_series_from(&s.ctx, id, input).await {
        Ok(b) => Redirect::to(&format!(
            "/appointments/{}",
            b.appointments.first().map(|a| a.id).unwrap_or(id)
        ))
        .into_response(),
        Err(e) => after(&st, &s, id, Err(e)).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn end_series(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = st.app.end_series(&s.ctx, id, false).await.map(|_| ());
    after(&st, &s, id, r).await
}
