//! The staff side of the client portal (`/clients/{id}/portal`): who has access to this client's portal, an
//! invitation form (the client, or a parent or guardian of a minor) and revocation.

use super::{Nav, PagePath, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::portal::{AccessView, INVITATION_DAYS, InviteInput};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_access.html")]
struct AccessPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    csrf: String,
    client_id: ClientId,
    client_name: String,
    minor: bool,
    grants: Vec<AccessView>,
    can_manage: bool,
    form: InviteForm,
    /// (name, e-mail) of the client and their guardians as the record has them, to copy from.
    suggestions: Vec<(String, String)>,
    errors: HashMap<String, String>,
    problems: Vec<(String, String)>,
    notice: Option<String>,
    days: i64,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn page(
    st: &AppState,
    s: &Staff,
    id: ClientId,
    form: InviteForm,
    error: Option<&Error>,
    notice: Option<String>,
) -> Response {
    let c = match st.app.get_client(&s.ctx, id).await {
        Ok(c) => c,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let grants = match st.app.portal_access(&s.ctx, id).await {
        Ok(g) => g,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let mut suggestions = Vec::new();
    if let Some(e) = &c.email {
        suggestions.push((
            c.preferred_name.clone().unwrap_or(c.legal_name.clone()),
            e.clone(),
        ));
    }
    for g in &c.guardians {
        if let Some(e) = &g.email {
            suggestions.push((g.name.clone(), e.clone()));
        }
    }
    let errors: HashMap<String, String> = match error {
        Some(Error::Validation(f)) => f
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        _ => HashMap::new(),
    };
    let problems = match error {
        Some(Error::Validation(f)) => f
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        Some(other) => vec![("capacity".to_string(), form_message(other))],
        None => vec![],
    };
    let status = error.map_or(StatusCode::OK, |e| crate::http::error::classify(e).0);
    (
        status,
        AccessPage {
            zone: s.zone(),
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            client_id: id,
            client_name: c.preferred_name.clone().unwrap_or(c.legal_name.clone()),
            minor: c.is_minor,
            grants,
            can_manage: c.rights.invite_portal,
            form,
            suggestions,
            errors,
            problems,
            notice,
            days: INVITATION_DAYS,
        },
    )
        .into_response()
}

pub async fn show(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(d): Query<Done>,
) -> Response {
    let notice = match d.done.as_deref() {
        Some("invited") => Some("Invitation sent.".to_string()),
        Some("revoked") => Some("Access revoked.".to_string()),
        _ => None,
    };
    page(&st, &s, ClientId(id), InviteForm::default(), None, notice).await
}

pub async fn invite(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<InviteForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = InviteInput {
        capacity: f.capacity.clone(),
        email: f.email.clone(),
        name: f.name.clone(),
    };
    match st.app.invite_to_portal(&s.ctx, ClientId(id), input).await {
        Ok(_) => Redirect::to(&format!("/clients/{id}/portal?done=invited")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            page(&st, &s, ClientId(id), f, Some(&e), None).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn revoke(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, grant)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st
        .app
        .revoke_portal_access(&s.ctx, ClientId(id), grant)
        .await
    {
        Ok(()) => Redirect::to(&format!("/clients/{id}/portal?done=revoked")).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
