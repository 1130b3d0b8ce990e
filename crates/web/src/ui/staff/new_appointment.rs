//! The "New appointment" form: one session or a series, with one or two clients found by name (the client picker),
//! and the form shown again with its problem explained when the booking is refused.
//!
//! The form's state travels in the URL (`type`, `clinician`, `client`, `start`, …) so that a search for a client
//! without JavaScript, and the waitlist's "Book this time" links, open the form filled in.

use super::client_picker::{Picker, PickerSpec, picker};
use super::schedule::{clinician_options, type_options};
use super::{Nav, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Weekday};
use rapport_app::scheduling::BookingInput;
use rapport_domain::{ClientId, Error, UserId};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

const FIRST_CLIENT: PickerSpec = PickerSpec {
    field: "client_1",
    q_param: "client_q",
    label: "Client",
    optional: false,
};

const SECOND_CLIENT: PickerSpec = PickerSpec {
    field: "client_2",
    q_param: "client2_q",
    label: "Second client (couple or family)",
    optional: true,
};

#[derive(Debug, Default, Deserialize)]
pub struct BookingForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    type_key: String,
    #[serde(default)]
    clinician_id: String,
    #[serde(default)]
    client_1: String,
    #[serde(default)]
    client_2: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    room_id: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    outside_working_hours: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "appointment_new.html")]
struct NewAppointmentPage {
    nav: Option<Nav>,
    csrf: String,
    error: Option<String>,
    types: Vec<(String, String)>,
    clinicians: Vec<(UserId, String)>,
    first: Picker,
    second: Picker,
    rooms: Vec<(Uuid, String)>,
    f: BookingFormView,
}

struct BookingFormView {
    type_key: String,
    clinician_id: String,
    client_1: String,
    client_2: String,
    start: String,
    time_zone: String,
    mode: String,
    room_id: String,
    repeat: String,
    count: String,
    outside_working_hours: bool,
}

impl From<&BookingForm> for BookingFormView {
    fn from(f: &BookingForm) -> Self {
        BookingFormView {
            type_key: f.type_key.clone(),
            clinician_id: f.clinician_id.clone(),
            client_1: f.client_1.clone(),
            client_2: f.client_2.clone(),
            start: f.start.clone(),
            time_zone: f.time_zone.clone(),
            mode: f.mode.clone(),
            room_id: f.room_id.clone(),
            repeat: f.repeat.clone(),
            count: if f.count.is_empty() {
                "10".into()
            } else {
                f.count.clone()
            },
            outside_working_hours: f.outside_working_hours.is_some(),
        }
    }
}

/// The form, filled in from `f`, with the client pickers searching for `searches` (first and second client).
async fn booking_page(
    st: &AppState,
    s: &Staff,
    f: &BookingForm,
    searches: (&str, &str),
    error: Option<String>,
) -> Response {
    let (types, clinicians) = match (type_options(st, s).await, clinician_options(st, s).await) {
        (Ok(t), Ok(c)) => (t, c),
        (Err(e), _) | (_, Err(e)) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let first = picker(st, s, FIRST_CLIENT, searches.0, &f.client_1).await;
    let second = picker(st, s, SECOND_CLIENT, searches.1, &f.client_2).await;
    let rooms = match st.app.locations(&s.ctx).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let rooms = rooms
        .into_iter()
        .flat_map(|l| l.rooms.into_iter().map(|r| (r.id, r.name)))
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        NewAppointmentPage {
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            error,
            types,
            clinicians,
            first,
            second,
            rooms,
            f: f.into(),
        },
    )
        .into_response()
}

pub async fn new_appointment(
    State(st): State<AppState>,
    s: Staff,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // Empty values count as absent: the search form sends every field, filled in or not.
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let text = |k: &str| get(k).unwrap_or_default().to_string();
    let f = BookingForm {
        type_key: get("type").unwrap_or("individual").to_string(),
        time_zone: text("tz"),
        clinician_id: get("clinician")
            .map(str::to_string)
            .unwrap_or_else(|| s.session.user_id.to_string()),
        client_1: text("client"),
        client_2: text("client_2"),
        start: text("start"),
        mode: text("mode"),
        room_id: text("room"),
        repeat: text("repeat"),
        count: text("count"),
        ..Default::default()
    };
    let searches = (text("client_q"), text("client2_q"));
    booking_page(&st, &s, &f, (&searches.0, &searches.1), None).await
}

/// The RRULE for the form's repeat choice, anchored on the start date.
fn rule_for(repeat: &str, count: &str, start: &str) -> Result<Option<String>, Error> {
    if repeat.is_empty() {
        return Ok(None);
    }
    let n: u32 = count
        .trim()
        .parse()
        .map_err(|_| Error::invalid("count", "enter the number of sessions"))?;
    let day = rapport_domain::validate::local_datetime("start", start)?.date();
    Ok(Some(match repeat {
        "weekly" => format!("FREQ=WEEKLY;COUNT={n}"),
        "biweekly" => format!("FREQ=WEEKLY;INTERVAL=2;COUNT={n}"),
        "monthly" => {
            let code = match day.weekday() {
                Weekday::Mon => "MO",
                Weekday::Tue => "TU",
                Weekday::Wed => "WE",
                Weekday::Thu => "TH",
                Weekday::Fri => "FR",
                Weekday::Sat => "SA",
                Weekday::Sun => "SU",
            };
            format!(
                "FREQ=MONTHLY;BYDAY={}{code};COUNT={n}",
                (day.day() - 1) / 7 + 1
            )
        }
        _ => return Err(Error::invalid("repeat", "choose how the series repeats")),
    }))
}

pub async fn book(State(st): State<AppState>, s: Staff, Form(f): Form<BookingForm>) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let refused = |e: String| booking_page(&st, &s, &f, ("", ""), Some(e));
    let clinician = match f.clinician_id.parse::<UserId>() {
        Ok(c) => c,
        Err(_) => return refused("Choose a clinician.".into()).await,
    };
    let client_ids: Vec<ClientId> = [&f.client_1, &f.client_2]
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let rrule = match rule_for(&f.repeat, &f.count, &f.start) {
        Ok(r) => r,
        Err(e) => return refused(form_message(&e)).await,
    };
    let input = BookingInput {
        type_key: f.type_key.clone(),
        clinician_id: clinician,
        client_ids,
        start: f.start.clone(),
        time_zone: Some(f.time_zone.clone()).filter(|t| !t.trim().is_empty()),
        mode: Some(f.mode.clone()).filter(|m| !m.is_empty()),
        room_id: f.room_id.parse().ok(),
        group_id: None,
        rrule,
        outside_working_hours: f.outside_working_hours.is_some(),
    };
    match st.app.book(&s.ctx, input).await {
        Ok(b) => match b.appointments.first() {
            Some(a) => Redirect::to(&format!("/appointments/{}", a.id)).into_response(),
            None => Redirect::to("/calendar").into_response(),
        },
        Err(e @ (Error::Validation(_) | Error::Conflict(_) | Error::Forbidden(_))) => {
            refused(form_message(&e)).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
