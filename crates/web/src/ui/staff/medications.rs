//! The medications page (`/clients/{id}/medications`): the list for whoever may read the record, and for the care
//! team a form to add one and to record that one was stopped.

use super::{Nav, PagePath, error_page, expired};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::medications::{MedicationView, StopInput};
use rapport_domain::medication::MedicationInput;
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    dose: String,
    #[serde(default)]
    prescriber: String,
    #[serde(default)]
    started_on: String,
    #[serde(default)]
    notes: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "medications.html")]
struct Page {
    nav: Option<Nav>,
    csrf: String,
    client_id: ClientId,
    items: Vec<MedicationView>,
    can_write: bool,
    f: AddForm,
    today: String,
    problems: Vec<(String, String)>,
    notice: Option<String>,
}

async fn page(
    st: &AppState,
    s: &Staff,
    id: ClientId,
    f: AddForm,
    error: Option<&Error>,
    notice: Option<String>,
) -> Response {
    let items = match st.app.medications(&s.ctx, id).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let rights = match super::client_rights(st, s, id).await {
        Ok(r) => r,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let problems = match error {
        Some(Error::Validation(f)) => f
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        Some(other) => vec![(String::new(), super::form_message(other))],
        None => vec![],
    };
    (
        error.map_or(StatusCode::OK, |e| crate::http::error::classify(e).0),
        Page {
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            client_id: id,
            items,
            can_write: rights.write_clinical,
            f,
            today: s.zone().date(rapport_app::clock::now_utc()).to_string(),
            problems,
            notice,
        },
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(d): Query<Done>,
) -> Response {
    let notice = match d.done.as_deref() {
        Some("added") => Some("Medication added.".to_string()),
        Some("stopped") => Some("The stop is recorded.".to_string()),
        _ => None,
    };
    page(&st, &s, ClientId(id), AddForm::default(), None, notice).await
}

pub async fn add(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<AddForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = MedicationInput {
        name: f.name.clone(),
        dose: f.dose.clone(),
        prescriber: f.prescriber.clone(),
        started_on: f.started_on.clone(),
        notes: f.notes.clone(),
    };
    match st.app.add_medication(&s.ctx, ClientId(id), input).await {
        Ok(_) => Redirect::to(&format!("/clients/{id}/medications?done=added")).into_response(),
        Err(e @ Error::Validation(_)) => page(&st, &s, ClientId(id), f, Some(&e), None).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct StopForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    stopped_on: String,
    #[serde(default)]
    reason: String,
}

pub async fn stop(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<StopForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = StopInput {
        stopped_on: f.stopped_on,
        reason: f.reason,
        version: f.version,
    };
    match st.app.stop_medication(&s.ctx, id, input).await {
        Ok(m) => Redirect::to(&format!(
            "/clients/{}/medications?done=stopped",
            m.client_id
        ))
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
