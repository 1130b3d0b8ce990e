//! Break the glass (`/emergency`) for clinicians, and the administrators' review register
//! (`/admin/emergency-access`).

use super::{Nav, PagePath, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::emergency::{BreakGlassInput, EmergencyView, ReviewInput};
use rapport_domain::Error;
use rapport_domain::emergency::EMERGENCY_HOURS;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct GlassForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "emergency.html")]
struct GlassPage {
    nav: Option<Nav>,
    csrf: String,
    f: GlassForm,
    hours: i64,
    /// (field, message) of every problem.
    problems: Vec<(String, String)>,
}

impl GlassPage {
    fn error_for(&self, field: &str) -> Option<String> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }
}

fn glass_page(s: &Staff, f: GlassForm, problems: Vec<(String, String)>) -> GlassPage {
    GlassPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        f,
        hours: EMERGENCY_HOURS,
        problems,
    }
}

pub async fn form(s: Staff) -> Response {
    if !s.ctx.actor.is_clinical() {
        return error_page(
            Error::Forbidden("only clinicians and supervisors can use emergency access".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    glass_page(&s, GlassForm::default(), vec![]).into_response()
}

pub async fn open(State(st): State<AppState>, s: Staff, Form(f): Form<GlassForm>) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = BreakGlassInput {
        legal_name: f.legal_name.clone(),
        date_of_birth: f.date_of_birth.clone(),
        reason: f.reason.clone(),
    };
    match st.app.break_glass(&s.ctx, input).await {
        Ok(g) => Redirect::to(&format!("/clients/{}?done=emergency", g.client_id)).into_response(),
        Err(Error::Validation(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            glass_page(
                &s,
                f,
                fields.into_iter().map(|e| (e.field, e.message)).collect(),
            ),
        )
            .into_response(),
        Err(Error::NotFound) => (
            StatusCode::NOT_FOUND,
            glass_page(
                &s,
                f,
                vec![(
                    "legal_name".into(),
                    "no client has exactly this legal name and date of birth".into(),
                )],
            ),
        )
            .into_response(),
        Err(e @ (Error::Conflict(_) | Error::Forbidden(_))) => {
            let status = crate::http::error::classify(&e).0;
            (
                status,
                glass_page(&s, f, vec![("legal_name".into(), form_message(&e))]),
            )
                .into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "emergency_reviews.html")]
struct ReviewsPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    csrf: String,
    items: Vec<EmergencyView>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn reviews_page(
    st: &AppState,
    s: &Staff,
    notice: Option<String>,
    error: Option<&Error>,
) -> Response {
    match st.app.emergency_accesses(&s.ctx).await {
        Ok(items) => (
            error.map_or(StatusCode::OK, |e| crate::http::error::classify(e).0),
            ReviewsPage {
                zone: s.zone(),
                nav: Nav::of(s),
                csrf: s.session.csrf_token.clone(),
                items,
                notice,
                error: error.map(form_message),
            },
        )
            .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(s)),
    }
}

pub async fn reviews(State(st): State<AppState>, s: Staff, Query(d): Query<Done>) -> Response {
    let notice = (d.done.as_deref() == Some("reviewed")).then(|| "Review recorded.".to_string());
    reviews_page(&st, &s, notice, None).await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    finding: String,
    #[serde(default)]
    note: Option<String>,
}

pub async fn review(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<ReviewForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = ReviewInput {
        finding: f.finding,
        note: f.note,
    };
    match st.app.review_emergency_access(&s.ctx, id, input).await {
        Ok(()) => Redirect::to("/admin/emergency-access?done=reviewed").into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            reviews_page(&st, &s, None, Some(&e)).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
