//! Homework pages: set an item (with the chooser of the client's plan objectives it may serve), tick it off, and
//! change it (title, instructions, due date, objective). A stale edit saves nothing and is shown against what is
//! saved now. Everything goes through the homework use cases (ClientClinical, audited).

use super::client_behaviour::{
    BehaviourForm, HomeworkForm, forms_page, objective_choice, objectives,
};
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
use rapport_app::behaviour::{HomeworkStatusInput, HomeworkView};
use rapport_domain::behaviour::HomeworkInput;
use rapport_domain::{ClientId, Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

pub async fn add_homework(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<HomeworkForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let client = ClientId(id);
    let result = match objective_choice(&f.objective) {
        Ok((plan_id, objective_id)) => {
            let input = HomeworkInput {
                title: f.title.clone(),
                instructions: Some(f.instructions.clone()),
                due_on: f.due_on.clone(),
                plan_id,
                objective_id,
            };
            st.app.assign_homework(&s.ctx, client, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            Redirect::to(&format!("/clients/{id}?section=behaviour&done=homework")).into_response()
        }
        Err(e @ Error::Validation(_)) => {
            forms_page(
                &st,
                &s,
                client,
                "homework",
                BehaviourForm::default(),
                f,
                Some(&e),
            )
            .await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    status: String,
}

pub async fn homework_status(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<StatusForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = HomeworkStatusInput {
        status: f.status.clone(),
        note: None,
    };
    match st.app.set_homework_status(&s.ctx, id, input).await {
        Ok(h) => Redirect::to(&format!(
            "/clients/{}?section=behaviour&done=homework-status",
            h.client_id
        ))
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct HomeworkEditForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    instructions: String,
    #[serde(default)]
    due_on: String,
    /// "plan id:objective id", or empty for none.
    #[serde(default)]
    objective: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "homework_edit.html")]
struct HomeworkEditPage {
    nav: Option<Nav>,
    csrf: String,
    id: Uuid,
    client_id: ClientId,
    /// The version the form was opened at: a save checks it is still the saved one.
    version: i32,
    f: HomeworkEditForm,
    /// (value "plan id:objective id", label) of the objectives the item may serve.
    objectives: Vec<(String, String)>,
    message: Option<String>,
    errors: Vec<FieldError>,
    /// Set when someone else saved the item meanwhile: what is saved now, shown beside what was typed.
    saved_now: Option<HomeworkView>,
}

impl HomeworkEditPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// A problem with the objective chosen, whichever half of the link it was found in.
    pub fn objective_error(&self) -> Option<&str> {
        self.error_for("objective_id")
            .or_else(|| self.error_for("plan_id"))
    }
}

fn edit_form_of(h: &HomeworkView) -> HomeworkEditForm {
    HomeworkEditForm {
        csrf: String::new(),
        version: h.version.to_string(),
        title: h.title.clone(),
        instructions: h.instructions.clone().unwrap_or_default(),
        due_on: h.due_on.to_string(),
        objective: match (h.plan_id, h.objective_id.as_deref()) {
            (Some(p), Some(o)) => format!("{p}:{o}"),
            _ => String::new(),
        },
    }
}

/// The objectives of the client's open plans, for the chooser.
async fn objectives_of(
    st: &AppState,
    s: &Staff,
    client: ClientId,
) -> Result<Vec<(String, String)>, Error> {
    Ok(objectives(&st.app.client_plans(&s.ctx, client).await?))
}

pub async fn edit_homework(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    let h = match st.app.homework(&s.ctx, id).await {
        Ok(h) => h,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let objectives = match objectives_of(&st, &s, h.client_id).await {
        Ok(o) => o,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    HomeworkEditPage {
        nav: Nav::of(&s),
        csrf: s.session.csrf_token.clone(),
        id,
        client_id: h.client_id,
        version: h.version,
        f: edit_form_of(&h),
        objectives,
        message: None,
        errors: Vec::new(),
        saved_now: None,
    }
    .into_response()
}

/// Saves a homework edit. When someone changed the item since the form was opened, nothing is saved: the page
/// shows what is saved now beside what was typed, and a second save (now against the current version) replaces it.
pub async fn save_homework(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<HomeworkEditForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let Ok(version) = f.version.trim().parse::<i32>() else {
        return error_page(
            Error::invalid("version", "the form is incomplete; open it again"),
            &s.rid,
            Nav::of(&s),
        );
    };
    let result = match objective_choice(&f.objective) {
        Ok((plan_id, objective_id)) => {
            let input = HomeworkInput {
                title: f.title.clone(),
                instructions: Some(f.instructions.clone()),
                due_on: f.due_on.clone(),
                plan_id,
                objective_id,
            };
            st.app.update_homework(&s.ctx, id, version, input).await
        }
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(h) => {
            return Redirect::to(&format!(
                "/clients/{}?section=behaviour&done=homework-edited",
                h.client_id
            ))
            .into_response();
        }
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => e,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let current = match st.app.homework(&s.ctx, id).await {
        Ok(h) => h,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let objectives = match objectives_of(&st, &s, current.client_id).await {
        Ok(o) => o,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let (status, message, errors, saved_now, version) = match e {
        Error::Validation(v) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check the form; nothing has been saved.".to_string(),
            v,
            None,
            version,
        ),
        _ => (
            StatusCode::CONFLICT,
            "Someone else changed this homework after you opened it, so your changes have not been saved. \
             What is saved now is shown below your changes; save again to replace it with yours, or go back to keep it."
                .to_string(),
            Vec::new(),
            Some(current.clone()),
            current.version,
        ),
    };
    let page = HomeworkEditPage {
        nav: Nav::of(&s),
        csrf: s.session.csrf_token.clone(),
        id,
        client_id: current.client_id,
        version,
        f,
        objectives,
        message: Some(message),
        errors,
        saved_now,
    };
    (status, page).into_response()
}
