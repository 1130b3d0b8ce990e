//! The public booking pages (no sign-in): the practice's page, a clinician's page for new clients, and booking
//! with a one-time e-mailed link for existing clients. Each answers 404 while online booking is off.
//!
//! Clinicians are described in words (specialisations, age groups, languages). Times are shown in a zone chosen
//! from a list: the practice's at first, replaced by the browser's own by `static/tz-select.js` when it runs.

use super::error_page;
use crate::http::auth::AnySession;
use crate::http::state::AppState;
use crate::http::state::Guarded;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_app::scheduling::{OwnAppointments, PublicClinician, PublicRequest, SlotView};
use rapport_domain::{Error, UserId, labels};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

use super::{Nav, PagePath, form_message};

fn options(slots: &[SlotView]) -> Vec<(String, String)> {
    slots
        .iter()
        .map(|s| {
            (
                s.start.to_rfc3339(),
                s.start_local.format("%A %-d %B, %H:%M").to_string(),
            )
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "book_index.html")]
struct IndexPage {
    nav: Option<Nav>,
    practice: String,
    clinicians: Vec<PublicClinician>,
}

pub async fn index(State(st): State<AppState>, s: AnySession) -> Response {
    match st.app.public_clinicians().await {
        Ok(clinicians) => IndexPage {
            nav: None,
            practice: "the practice".into(),
            clinicians,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, None),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    website: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "book_clinician.html")]
struct ClinicianPage {
    nav: Option<Nav>,
    id: Uuid,
    name: String,
    /// The clinician's specialisations, age groups and languages, in words.
    about: PublicClinician,
    tz: String,
    /// The zones to choose from: (IANA name, as read).
    zones: Vec<(&'static str, String)>,
    /// Whether the visitor chose the zone (it was in the address): the page's script then leaves it alone, and
    /// otherwise replaces the practice's zone with the browser's.
    chosen: bool,
    slots: Vec<(String, String)>,
    f: RequestForm,
    error: Option<String>,
}

impl ClinicianPage {
    /// The zone shown as read ("America/New York").
    fn tz_words(&self) -> String {
        labels::time_zone(&self.tz)
    }
}

async fn clinician_page(
    st: &AppState,
    s: &AnySession,
    id: Uuid,
    tz: &str,
    f: RequestForm,
    error: Option<String>,
) -> Response {
    let clinicians = match st.app.public_clinicians().await {
        Ok(c) => c,
        Err(e) => return error_page(e, &s.rid, None),
    };
    let Some(c) = clinicians.into_iter().find(|c| c.id.0 == id) else {
        return error_page(Error::NotFound, &s.rid, None);
    };
    let chosen = !tz.trim().is_empty();
    let tz = if chosen {
        tz.trim().to_string()
    } else {
        // Without the browser's zone (no script), the practice's is the likeliest right answer.
        match st.app.practice_zone().await {
            Ok(z) => z,
            Err(e) => return error_page(e, &s.rid, None),
        }
    };
    let zones: Vec<(&'static str, String)> = labels::time_zones()
        .into_iter()
        .map(|z| (z, labels::time_zone(z)))
        .collect();
    match st.app.public_slots(UserId(id), &tz, 24).await {
        Ok(slots) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            (
                status,
                ClinicianPage {
                    nav: None,
                    id,
                    name: c.name.clone(),
                    about: c,
                    tz,
                    zones,
                    chosen,
                    slots: options(&slots),
                    f,
                    error,
                },
            )
                .into_response()
        }
        Err(e @ Error::Validation(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ClinicianPage {
                nav: None,
                id,
                name: c.name.clone(),
                about: c,
                tz: "UTC".into(),
                zones,
                chosen: true,
                slots: vec![],
                f,
                error: Some(form_message(&e)),
            },
        )
            .into_response(),
        Err(e) => error_page(e, &s.rid, None),
    }
}

pub async fn clinician(
    State(st): State<AppState>,
    s: AnySession,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let tz = q.get("tz").cloned().unwrap_or_default();
    clinician_page(&st, &s, id, &tz, RequestForm::default(), None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "book_done.html")]
struct DonePage {
    nav: Option<Nav>,
    heading: String,
    message: String,
}

pub async fn request(
    State(st): State<AppState>,
    s: AnySession,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<RequestForm>,
) -> Response {
    if let Err(e) = st.check_rate(Guarded::Booking, s.ip) {
        return error_page(e, &s.rid, None);
    }
    let req = PublicRequest {
        name: f.name.clone(),
        email: f.email.clone(),
        phone: f.phone.clone(),
        date_of_birth: f.date_of_birth.clone(),
        time_zone: f.time_zone.clone(),
        start: f.start.clone(),
        website: f.website.clone(),
    };
    match st
        .app
        .request_booking(UserId(id), req, Some(&s.rid.0))
        .await
    {
        Ok(o) => {
            let when = o.start_local.format("%A %-d %B %Y at %H:%M");
            let (heading, message) = if o.status == "requested" {
                (
                    "Request received".to_string(),
                    format!(
                        "Thank you. You asked for {when} ({}); the practice will confirm it.",
                        o.time_zone
                    ),
                )
            } else {
                (
                    "Appointment booked".to_string(),
                    format!("Your appointment is booked for {when} ({}).", o.time_zone),
                )
            };
            DonePage {
                nav: None,
                heading,
                message,
            }
            .into_response()
        }
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let tz = f.time_zone.clone();
            clinician_page(&st, &s, id, &tz, f, Some(form_message(&e))).await
        }
        Err(e) => error_page(e, &s.rid, None),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "book_returning.html")]
struct ReturningPage {
    nav: Option<Nav>,
    sent: bool,
    error: Option<String>,
}

pub async fn returning(State(st): State<AppState>, s: AnySession) -> Response {
    match st.app.online_rules().await {
        Ok(r) if r.enabled => ReturningPage {
            nav: None,
            sent: false,
            error: None,
        }
        .into_response(),
        Ok(_) => error_page(Error::NotFound, &s.rid, None),
        Err(e) => error_page(e, &s.rid, None),
    }
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

pub async fn send_link(
    State(st): State<AppState>,
    s: AnySession,
    Form(f): Form<EmailForm>,
) -> Response {
    if let Err(e) = st.check_rate(Guarded::Booking, s.ip) {
        return error_page(e, &s.rid, None);
    }
    match st.app.send_booking_link(&f.email, Some(&s.rid.0)).await {
        Ok(()) => ReturningPage {
            nav: None,
            sent: true,
            error: None,
        }
        .into_response(),
        Err(e @ Error::Validation(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ReturningPage {
                nav: None,
                sent: false,
                error: Some(form_message(&e)),
            },
        )
            .into_response(),
        Err(e) => error_page(e, &s.rid, None),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "book_link.html")]
struct LinkPage {
    nav: Option<Nav>,
    token: String,
    tz: String,
    options: Vec<(PublicClinician, Vec<(String, String)>)>,
    own: OwnAppointments,
    notice: Option<String>,
    error: Option<String>,
}

const LINK_GONE: &str = "this booking link has expired or was already used; ask for a new one";

async fn link_page(st: &AppState, s: &AnySession, token: &str, error: Option<String>) -> Response {
    link_page_with(st, s, token, None, error).await
}

async fn link_page_with(
    st: &AppState,
    s: &AnySession,
    token: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let ctx = match st.app.link_context(token).await {
        Ok(c) => c,
        Err(Error::NotFound) => {
            return error_page(Error::Conflict(LINK_GONE.into()), &s.rid, None);
        }
        Err(e) => return error_page(e, &s.rid, None),
    };
    let mut options = Vec::new();
    for c in ctx.clinicians {
        let slots = match st.app.link_slots(token, c.id, 12).await {
            Ok(v) => v,
            Err(e) => return error_page(e, &s.rid, None),
        };
        options.push((c, super::booking::options(&slots)));
    }
    let own = match st.app.link_appointments(token, Some(&s.rid.0)).await {
        Ok(own) => own,
        Err(Error::NotFound) => {
            return error_page(Error::Conflict(LINK_GONE.into()), &s.rid, None);
        }
        Err(e) => return error_page(e, &s.rid, None),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        LinkPage {
            nav: None,
            token: token.to_string(),
            tz: ctx.time_zone,
            options,
            own,
            notice,
            error,
        },
    )
        .into_response()
}

pub async fn link(
    State(st): State<AppState>,
    s: AnySession,
    PagePath(token): PagePath<String>,
) -> Response {
    link_page(&st, &s, &token, None).await
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    clinician_id: String,
    #[serde(default)]
    start: String,
}

pub async fn book_link(
    State(st): State<AppState>,
    s: AnySession,
    PagePath(token): PagePath<String>,
    Form(f): Form<LinkForm>,
) -> Response {
    let Ok(clinician) = f.clinician_id.parse::<UserId>() else {
        return link_page(&st, &s, &token, Some("Choose a time.".into())).await;
    };
    match st
        .app
        .book_with_link(&token, clinician, &f.start, Some(&s.rid.0))
        .await
    {
        Ok(o) => DonePage {
            nav: None,
            heading: "Appointment booked".into(),
            message: format!(
                "Your appointment is booked for {} ({}).",
                o.start_local.format("%A %-d %B %Y at %H:%M"),
                o.time_zone
            ),
        }
        .into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            link_page(&st, &s, &token, Some(form_message(&e))).await
        }
        Err(Error::NotFound) => error_page(Error::Conflict(LINK_GONE.into()), &s.rid, None),
        Err(e) => error_page(e, &s.rid, None),
    }
}

/// One of the client's own coming sessions as an .ics file.
pub async fn link_ics(
    State(st): State<AppState>,
    s: AnySession,
    PagePath((token, id)): PagePath<(String, Uuid)>,
) -> Response {
    match st
        .app
        .link_appointment_ics(&token, id, Some(&s.rid.0))
        .await
    {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"appointment.ics\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        Err(e) => error_page(e, &s.rid, None),
    }
}

/// The client cancels one of their own sessions (outside the late-cancellation window).
pub async fn link_cancel(
    State(st): State<AppState>,
    s: AnySession,
    PagePath((token, id)): PagePath<(String, Uuid)>,
) -> Response {
    if let Err(e) = st.check_rate(Guarded::Booking, s.ip) {
        return error_page(e, &s.rid, None);
    }
    match st.app.cancel_with_link(&token, id, Some(&s.rid.0)).await {
        Ok(()) => {
            link_page_with(
                &st,
                &s,
                &token,
                Some("Your appointment is cancelled. The practice has been told.".into()),
                None,
            )
            .await
        }
        Err(e @ Error::Conflict(_)) => link_page(&st, &s, &token, Some(form_message(&e))).await,
        Err(e) => error_page(e, &s.rid, None),
    }
}
