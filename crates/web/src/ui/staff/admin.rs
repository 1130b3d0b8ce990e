//! Administration pages: staff accounts and the audit log; and a client's access log for the care team. The
//! practice's settings are in `settings`.

use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use rapport_app::accounts::{Account, NewAccount};
use rapport_app::audit::{AuditEntry, AuditQuery};
use rapport_domain::{ClientId, Error, Role, UserId};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    users: Vec<Account>,
    csrf: String,
    roles: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn users_page(
    st: &AppState,
    s: &Staff,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    match st.app.list_accounts(&s.ctx).await {
        Ok(users) => UsersPage {
            nav: Nav::of(s),
            users,
            csrf: s.session.csrf_token.clone(),
            roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            notice,
            error,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(s)),
    }
}

pub async fn users(State(st): State<AppState>, s: Staff) -> Response {
    users_page(&st, &s, None, None).await
}

pub async fn create_user(
    State(st): State<AppState>,
    s: Staff,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !s.csrf_ok(&get("_csrf")) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| f.contains_key(&format!("role_{}", r.as_str())))
        .collect();
    let new = NewAccount {
        email: get("email"),
        display_name: get("display_name"),
        roles,
        password: None,
        time_zone: Some(get("time_zone")).filter(|t| !t.trim().is_empty()),
    };
    match st.app.create_account(&s.ctx, new).await {
        Ok(c) => {
            let msg = format!(
                "Account created. One-time password (shown once; hand it over in person or by phone): {}",
                c.one_time_password.unwrap_or_default()
            );
            users_page(&st, &s, Some(msg), None).await
        }
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            users_page(&st, &s, None, Some(form_message(&e))).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn user_action(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, action)): PagePath<(Uuid, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    let id = UserId(id);
    let result = match action.as_str() {
        "disable" => st
            .app
            .set_account_disabled(&s.ctx, id, true)
            .await
            .map(|_| "Account disabled; its sessions ended.".to_string()),
        "enable" => st
            .app
            .set_account_disabled(&s.ctx, id, false)
            .await
            .map(|_| "Account enabled.".to_string()),
        "reset" => st
            .app
            .reset_password(&s.ctx, id, false)
            .await
            .map(|otp| format!("New one-time password (shown once): {otp}")),
        _ => Err(Error::NotFound),
    };
    match result {
        Ok(msg) => users_page(&st, &s, Some(msg), None).await,
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            users_page(&st, &s, None, Some(form_message(&e))).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    heading: String,
    entries: Vec<AuditEntry>,
    show_filters: bool,
    action: String,
    outcome: String,
    outcomes: Vec<(&'static str, &'static str)>,
    more: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AuditForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    before: Option<i64>,
}

const PAGE: u64 = 100;

pub async fn audit(State(st): State<AppState>, s: Staff, Query(f): Query<AuditForm>) -> Response {
    let q = AuditQuery {
        action: Some(f.action.clone()),
        outcome: Some(f.outcome.clone()),
        before: f.before,
        limit: Some(PAGE),
        ..Default::default()
    };
    match st.app.list_audit(&s.ctx, &q).await {
        Ok(entries) => {
            let more = (entries.len() as u64 == PAGE).then(|| {
                format!(
                    "/admin/audit?action={}&outcome={}&before={}",
                    f.action,
                    f.outcome,
                    entries.last().map(|e| e.seq).unwrap_or(0)
                )
            });
            AuditPage {
                zone: s.zone(),
                nav: Nav::of(&s),
                heading: "Audit log".into(),
                entries,
                show_filters: true,
                action: f.action,
                outcome: f.outcome,
                outcomes: vec![
                    ("", "Any"),
                    ("ok", "Allowed"),
                    ("denied", "Denied"),
                    ("failed", "Failed"),
                ],
                more,
            }
            .into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// Entries per page of a client's access log; older ones are a link away, never silently left out.
const ACCESS_PAGE: u64 = 500;

pub async fn client_access_log(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(f): Query<AuditForm>,
) -> Response {
    let q = AuditQuery {
        before: f.before,
        limit: Some(ACCESS_PAGE),
        ..Default::default()
    };
    match st.app.client_access_log(&s.ctx, ClientId(id), &q).await {
        Ok(entries) => AuditPage {
            zone: s.zone(),
            nav: Nav::of(&s),
            heading: "Who accessed this record".into(),
            more: (entries.len() as u64 == ACCESS_PAGE).then(|| {
                format!(
                    "/clients/{id}/access-log?before={}",
                    entries.last().map(|e| e.seq).unwrap_or(0)
                )
            }),
            entries,
            show_filters: false,
            action: String::new(),
            outcome: String::new(),
            outcomes: vec![],
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
