//! Diary values entered in session on the client's behalf: the same form parsing and checks as the client's diary
//! link, all or nothing; a problem shows the form again on a page of its own with each message beside its field.

use super::client_behaviour::{EntryField, entry_field};
use super::expired;
use super::{Nav, PagePath, error_page};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::behaviour::earliest;
use rapport_domain::{ClientId, Error};
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "behaviour_entry.html")]
struct EntryPage {
    nav: Option<Nav>,
    csrf: String,
    client_id: ClientId,
    client_name: String,
    date: String,
    today: String,
    earliest: String,
    date_error: Option<String>,
    fields: Vec<EntryField>,
    /// Problems that belong to no one field (an empty form).
    general: Vec<String>,
}

/// Enters diary values in session, on the client's behalf: the same checks as the client's diary link, all or
/// nothing; a problem shows the form again on a page of its own with each message beside its field.
pub async fn log_entries(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !s.csrf_ok(csrf) {
        return expired(&s);
    }
    let client = ClientId(id);
    let errors = match st.app.log_behaviour_form(&s.ctx, client, &fields).await {
        Ok(_) => {
            return Redirect::to(&format!("/clients/{id}?section=behaviour&done=entries"))
                .into_response();
        }
        Err(Error::Validation(v)) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let (c, d) = match (
        st.app.get_client(&s.ctx, client).await,
        st.app.behaviour_summary(&s.ctx, client).await,
    ) {
        (Ok(c), Ok(d)) => (c, d),
        (Err(e), _) | (_, Err(e)) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let got = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let error = |k: &str| {
        errors
            .iter()
            .find(|e| e.field == k)
            .map(|e| e.message.clone())
    };
    let list: Vec<EntryField> = d
        .behaviours
        .iter()
        .filter(|b| b.behaviour.active)
        .map(|b| {
            let key = format!("value.{}", b.behaviour.id);
            EntryField {
                value: got(&key),
                error: error(&key),
                ..entry_field(&b.behaviour)
            }
        })
        .collect();
    let known = |f: &str| f == "date" || list.iter().any(|b| f == format!("value.{}", b.id));
    let page = EntryPage {
        nav: Nav::of(&s),
        csrf: s.session.csrf_token.clone(),
        client_id: client,
        client_name: c.preferred_name.unwrap_or(c.legal_name),
        date: got("date"),
        today: d.today.to_string(),
        earliest: earliest(d.today).to_string(),
        date_error: error("date"),
        general: errors
            .iter()
            .filter(|e| !known(&e.field))
            .map(|e| e.message.clone())
            .collect(),
        fields: list,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}
