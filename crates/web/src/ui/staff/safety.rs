//! The safety plan page (`/clients/{id}/safety-plan`): the plan for those who may read the record, and an editor
//! (one textarea per section, one entry per line) for the care team. A stale save keeps what was typed and says so.

use super::{Nav, PagePath, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::safety::SafetyPlanView;
use rapport_domain::safety::{SECTIONS, SafetyPlan};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One textarea of the editor: (section key, heading, text).
type Field = (&'static str, &'static str, String);

#[derive(Template, WebTemplate)]
#[template(path = "safety_plan.html")]
struct PlanPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    csrf: String,
    v: SafetyPlanView,
    can_edit: bool,
    /// The version the form saves against.
    version: i32,
    /// (key, heading, text) per section, as the textareas show it.
    fields: Vec<Field>,
    problems: Vec<(String, String)>,
    notice: Option<String>,
}

impl PlanPage {
    fn error_for(&self, key: &str) -> Option<String> {
        self.problems
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, m)| m.clone())
    }
}

fn fields_of(plan: &SafetyPlan) -> Vec<Field> {
    plan.sections()
        .into_iter()
        .map(|(k, h, items)| (k, h, items.join("\n")))
        .collect()
}

async fn page(
    st: &AppState,
    s: &Staff,
    id: ClientId,
    typed: Option<(i32, Vec<Field>)>,
    error: Option<&Error>,
    notice: Option<String>,
) -> Response {
    let v = match st.app.safety_plan(&s.ctx, id).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let can_edit = match super::client_rights(st, s, id).await {
        Ok(r) => r.edit_clinical,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let problems = match error {
        Some(Error::Validation(f)) => f
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        Some(other) => vec![("warning_signs".to_string(), form_message(other))],
        None => vec![],
    };
    let (version, fields) = typed.unwrap_or_else(|| (v.version, fields_of(&v.plan)));
    (
        error.map_or(StatusCode::OK, |e| crate::http::error::classify(e).0),
        PlanPage {
            zone: s.zone(),
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            can_edit,
            version,
            fields,
            problems,
            notice,
            v,
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
    let notice = (d.done.as_deref() == Some("saved")).then(|| "Safety plan saved.".to_string());
    page(&st, &s, ClientId(id), None, None, notice).await
}

pub async fn save(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !s.csrf_ok(form.get("_csrf").map(String::as_str).unwrap_or("")) {
        return expired(&s);
    }
    let version: i32 = form
        .get("version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1);
    let texts: Vec<(&str, &str)> = SECTIONS
        .iter()
        .map(|(k, _)| (*k, form.get(*k).map(String::as_str).unwrap_or("")))
        .collect();
    let plan = SafetyPlan::from_lines(texts.iter().copied());
    let typed: Vec<Field> = SECTIONS
        .iter()
        .map(|(k, h)| (*k, *h, form.get(*k).cloned().unwrap_or_default()))
        .collect();
    match st
        .app
        .save_safety_plan(&s.ctx, ClientId(id), version, plan)
        .await
    {
        Ok(_) => Redirect::to(&format!("/clients/{id}/safety-plan?done=saved")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            // A stale form keeps its text but saves against the stored version next time, knowingly.
            let keep = if matches!(e, Error::Conflict(_)) {
                st.app
                    .safety_plan(&s.ctx, ClientId(id))
                    .await
                    .map(|v| v.version)
                    .unwrap_or(version)
            } else {
                version
            };
            page(&st, &s, ClientId(id), Some((keep, typed)), Some(&e), None).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
