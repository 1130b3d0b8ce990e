//! The public questionnaire reached by an e-mailed single-use link (`/m/{token}`): no sign-in, no script, one
//! fieldset per question with real radio buttons, and all problems listed at the top and beside each question.
//!
//! Like the other public forms it carries no CSRF token: it has no session to protect, the unguessable token in the
//! path is the authority, the same-origin check refuses cross-site posts, and posts are rate-limited per address.

use super::Nav;
use crate::http::auth::AnySession;
use crate::http::state::AppState;
use crate::http::state::Guarded;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_app::measures::LinkForm;
use rapport_domain::{Error, FieldError};

pub struct PageOption {
    pub value: i32,
    pub label: String,
    pub checked: bool,
}

pub struct PageItem {
    pub id: String,
    pub number: usize,
    pub text: String,
    pub required: bool,
    pub options: Vec<PageOption>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "measure_form.html")]
struct FormPage {
    nav: Option<Nav>,
    token: String,
    title: String,
    instructions: Option<String>,
    items: Vec<PageItem>,
    /// The licence's required copyright line, printed with the questions.
    notice: Option<String>,
    expires: String,
    /// (anchor, message) of every problem, shown above the form.
    problems: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "measure_message.html")]
struct MessagePage {
    nav: Option<Nav>,
    heading: String,
    message: String,
}

fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    (
        status,
        MessagePage {
            nav: None,
            heading: heading.into(),
            message: text.into(),
        },
    )
        .into_response()
}

/// What a person holding a bad link is told: plainly, and without revealing anything about whom it was for.
fn link_problem(e: Error, s: &AnySession) -> Response {
    match e {
        Error::NotFound => message(
            StatusCode::NOT_FOUND,
            "Link not recognised",
            "This questionnaire link is not valid. Please check that you copied the whole link from the e-mail, or ask your practice for a new one.",
        ),
        Error::Conflict(why) => message(
            StatusCode::CONFLICT,
            "Link no longer usable",
            &capitalise(&why),
        ),
        other => super::error_page(other, &s.rid, None),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

fn page(
    token: &str,
    f: LinkForm,
    submitted: &[(String, String)],
    errors: &[FieldError],
) -> FormPage {
    let chosen = |id: &str| -> Option<String> {
        let key = format!("items.{id}");
        submitted
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_string())
    };
    let items: Vec<PageItem> = f
        .items
        .into_iter()
        .enumerate()
        .map(|(n, item)| {
            let picked = chosen(&item.id);
            let key = format!("items.{}", item.id);
            PageItem {
                error: errors
                    .iter()
                    .find(|e| e.field == key)
                    .map(|e| e.message.clone()),
                number: n + 1,
                options: item
                    .options
                    .into_iter()
                    .map(|(value, label)| PageOption {
                        checked: picked.as_deref() == Some(value.to_string().as_str()),
                        value,
                        label,
                    })
                    .collect(),
                id: item.id,
                text: item.text,
                required: item.required,
            }
        })
        .collect();
    let problems = items
        .iter()
        .filter_map(|i| {
            i.error
                .as_ref()
                .map(|m| (format!("q-{}", i.id), format!("Question {}: {m}", i.number)))
        })
        .collect();
    FormPage {
        nav: None,
        token: token.to_string(),
        title: f.title,
        instructions: f.instructions,
        items,
        notice: f.notice,
        expires: crate::when::Zone::named(&f.time_zone).stamp(f.expires_at),
        problems,
    }
}

pub async fn show(
    State(st): State<AppState>,
    s: AnySession,
    super::PagePath(token): super::PagePath<String>,
) -> Response {
    match st.app.open_measure_link(&token, Some(&s.rid.0)).await {
        Ok(f) => page(&token, f, &[], &[]).into_response(),
        Err(e) => link_problem(e, &s),
    }
}

pub async fn submit(
    State(st): State<AppState>,
    s: AnySession,
    super::PagePath(token): super::PagePath<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = st.check_rate(Guarded::Questionnaire, s.ip) {
        return super::error_page(e, &s.rid, None);
    }
    match st
        .app
        .submit_measure_link(&token, &fields, Some(&s.rid.0))
        .await
    {
        Ok(()) => message(
            StatusCode::OK,
            "Thank you",
            "Your answers have been sent to your practice. You can close this page.",
        ),
        Err(Error::Validation(errors)) => {
            // Show the form again with what was chosen, each problem beside its question. Reading the form
            // again does not use the link up.
            match st.app.open_measure_link(&token, Some(&s.rid.0)).await {
                Ok(f) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    page(&token, f, &fields, &errors),
                )
                    .into_response(),
                Err(e) => link_problem(e, &s),
            }
        }
        Err(e) => link_problem(e, &s),
    }
}
