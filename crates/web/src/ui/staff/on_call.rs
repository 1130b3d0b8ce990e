//! The on-call rota page: who is on call now, the coming 14 days of shifts, and for the front desk and
//! administrators a form to add a shift and a button to remove one. A refused shift shows the form again with what
//! was typed and each problem beside its field.

use super::{Nav, PagePath, error_page, expired};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::on_call::{RotaBoard, ShiftInput};
use rapport_domain::{Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

/// What the add form holds: empty, or what was typed before a refusal.
#[derive(Debug, Clone, Default)]
pub struct ShiftForm {
    pub user_id: String,
    pub start: String,
    pub end: String,
    pub time_zone: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "on_call.html")]
struct RotaPage {
    nav: Option<Nav>,
    csrf: String,
    b: RotaBoard,
    f: ShiftForm,
    errors: Vec<FieldError>,
    notice: Option<String>,
}

impl RotaPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct RotaQuery {
    done: Option<String>,
}

async fn page(
    st: &AppState,
    s: &Staff,
    f: Option<ShiftForm>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Response {
    let b = match st.app.on_call_board(&s.ctx).await {
        Ok(b) => b,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let f = f.unwrap_or_else(|| ShiftForm {
        time_zone: b.default_zone.clone(),
        ..Default::default()
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RotaPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        b,
        f,
        errors,
        notice,
    };
    (status, page).into_response()
}

pub async fn show(State(st): State<AppState>, s: Staff, Query(q): Query<RotaQuery>) -> Response {
    let notice = match q.done.as_deref() {
        Some("added") => Some("Shift added.".to_string()),
        Some("removed") => Some("Shift removed.".to_string()),
        _ => None,
    };
    page(&st, &s, None, Vec::new(), notice).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    time_zone: String,
}

pub async fn add(State(st): State<AppState>, s: Staff, Form(f): Form<AddForm>) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let typed = ShiftForm {
        user_id: f.user_id.clone(),
        start: f.start.clone(),
        end: f.end.clone(),
        time_zone: f.time_zone.clone(),
    };
    let input = ShiftInput {
        user_id: f.user_id,
        start: f.start,
        end: f.end,
        time_zone: Some(f.time_zone),
    };
    match st.app.add_on_call_shift(&s.ctx, input).await {
        Ok(_) => Redirect::to("/on-call?done=added").into_response(),
        Err(Error::Validation(errors)) => page(&st, &s, Some(typed), errors, None).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn remove(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<RemoveForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.remove_on_call_shift(&s.ctx, id).await {
        Ok(()) => Redirect::to("/on-call?done=removed").into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
