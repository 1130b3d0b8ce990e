//! The waitlist page: who waits for what, the times a cancellation offered them, and the form to add someone (the
//! client found by name with the client picker).

use super::client_picker::{Picker, PickerSpec, picker};
use super::schedule::type_options;
use super::{Nav, PagePath, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::scheduling::{WaitlistInput, WaitlistView};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

const CLIENT: PickerSpec = PickerSpec {
    field: "client_id",
    q_param: "client_q",
    label: "Client",
    optional: false,
};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[derive(Template, WebTemplate)]
#[template(path = "waitlist.html")]
struct WaitlistPage {
    nav: Option<Nav>,
    csrf: String,
    entries: Vec<WaitlistView>,
    client: Picker,
    types: Vec<(String, String)>,
    weekdays: Vec<&'static str>,
    notice: Option<String>,
    error: Option<String>,
}

impl WaitlistPage {
    /// An appointment type in words, as the add form offers it ("Individual session"), never its key.
    fn type_words(&self, key: &str) -> String {
        self.types
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| key.replace('_', " "))
    }

    /// A session mode in words ("In person").
    fn mode_words(&self, mode: &str) -> &'static str {
        rapport_domain::scheduling::appointment::Mode::parse(mode)
            .map(|m| m.label())
            .unwrap_or("any mode")
    }

    /// A priority as the add form names it.
    fn priority_words(&self, p: &i32) -> &'static str {
        match p {
            ..=0 => "Routine",
            1 => "Soon",
            2 => "High",
            _ => "Urgent",
        }
    }
}

/// The page, its add form's picker searching for `q` with `chosen` (a client id, or empty) chosen.
async fn waitlist_page(
    st: &AppState,
    s: &Staff,
    (q, chosen): (&str, &str),
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let entries = match st.app.waitlist(&s.ctx, None).await {
        Ok(e) => e,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let client = picker(st, s, CLIENT, q, chosen).await;
    let types = match type_options(st, s).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    WaitlistPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        entries,
        client,
        types,
        weekdays: WEEKDAYS.to_vec(),
        notice,
        error,
    }
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct WaitlistQuery {
    #[serde(default)]
    client_q: String,
    #[serde(default)]
    client: String,
}

pub async fn waitlist(
    State(st): State<AppState>,
    s: Staff,
    Query(q): Query<WaitlistQuery>,
) -> Response {
    waitlist_page(&st, &s, (&q.client_q, &q.client), None, None).await
}

pub async fn add_to_waitlist(
    State(st): State<AppState>,
    s: Staff,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !s.csrf_ok(&get("_csrf")) {
        return expired(&s);
    }
    let chosen = get("client_id");
    let Ok(client_id) = chosen.parse::<ClientId>() else {
        return waitlist_page(&st, &s, ("", ""), None, Some("Choose a client.".into())).await;
    };
    let input = WaitlistInput {
        client_id,
        type_key: get("type_key"),
        clinician_id: None,
        mode: None,
        days: WEEKDAYS
            .iter()
            .filter(|d| f.contains_key(&format!("day_{d}")))
            .map(|d| d.to_string())
            .collect(),
        earliest: Some(get("earliest")).filter(|v| !v.is_empty()),
        latest: Some(get("latest")).filter(|v| !v.is_empty()),
        time_zone: None,
        priority: get("priority").parse().ok(),
        note: None,
    };
    match st.app.add_to_waitlist(&s.ctx, input).await {
        Ok(_) => {
            let notice = Some("Added to the waitlist.".into());
            waitlist_page(&st, &s, ("", ""), notice, None).await
        }
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            waitlist_page(&st, &s, ("", &chosen), None, Some(form_message(&e))).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Debug, Deserialize)]
pub struct WaitlistStatusForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    status: String,
}

pub async fn waitlist_status(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<WaitlistStatusForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.set_waitlist_status(&s.ctx, id, &f.status).await {
        Ok(()) => Redirect::to("/waitlist").into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
