//! The public behaviour diary reached by an e-mailed link (`/log/{token}`): no sign-in, no script, sized for a
//! phone. One labelled number box per behaviour, one fieldset per open homework item, and every problem listed
//! at the top (linked to its field) and beside the field it concerns, with `aria-describedby`.
//!
//! Like the questionnaire it carries no CSRF token: it has no session to protect, the unguessable token in the path
//! is the authority, the same-origin check refuses cross-site posts, and posts are rate-limited per address. A bad,
//! expired or revoked link gets a plain page that says nothing about whom it was for.

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
use rapport_app::behaviour::{DiaryForm, DiaryReceipt};
use rapport_domain::behaviour::MeasureKind;
use rapport_domain::{Error, FieldError};

pub struct PageBehaviour {
    pub id: String,
    pub name: String,
    pub hint: String,
    pub min: String,
    pub max: String,
    pub step: String,
    pub value: String,
    pub error: Option<String>,
}

pub struct PageHomework {
    pub id: String,
    pub title: String,
    pub instructions: Option<String>,
    pub due: String,
    pub checked: bool,
    pub note: String,
    pub error: Option<String>,
    pub note_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "diary_form.html")]
struct FormPage {
    nav: Option<Nav>,
    token: String,
    date: String,
    today: String,
    earliest: String,
    date_error: Option<String>,
    behaviours: Vec<PageBehaviour>,
    homework: Vec<PageHomework>,
    expires: String,
    /// (anchor, message) of every problem, shown above the form.
    problems: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "diary_message.html")]
struct MessagePage {
    nav: Option<Nav>,
    heading: String,
    message: String,
    /// Where "log another day" leads after a successful submission.
    again: Option<String>,
}

fn message(status: StatusCode, heading: &str, text: &str, again: Option<String>) -> Response {
    (
        status,
        MessagePage {
            nav: None,
            heading: heading.into(),
            message: text.into(),
            again,
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
            "This diary link is not valid. Please check that you copied the whole link from the e-mail, or ask your practice for a new one.",
            None,
        ),
        Error::Conflict(why) => message(
            StatusCode::CONFLICT,
            "Link no longer usable",
            &capitalise(&why),
            None,
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

fn trim_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn page(
    token: &str,
    f: DiaryForm,
    submitted: &[(String, String)],
    errors: &[FieldError],
) -> FormPage {
    let got = |k: &str| -> Option<String> {
        submitted
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let error = |k: &str| {
        errors
            .iter()
            .find(|e| e.field == k)
            .map(|e| e.message.clone())
    };
    let behaviours: Vec<PageBehaviour> = f
        .behaviours
        .into_iter()
        .map(|b| {
            let key = format!("value.{}", b.id);
            let hint = match b.kind {
                MeasureKind::Count => "how many times".to_string(),
                MeasureKind::Duration => "hours, such as 7.5".to_string(),
                MeasureKind::Intensity { min, max } => {
                    format!("{min} to {max}, the strongest that day")
                }
            };
            PageBehaviour {
                id: b.id.to_string(),
                name: b.name,
                hint,
                min: trim_num(b.min),
                max: trim_num(b.max),
                step: trim_num(b.step),
                value: got(&key).unwrap_or_default(),
                error: error(&key),
            }
        })
        .collect();
    let homework: Vec<PageHomework> = f
        .homework
        .into_iter()
        .map(|h| {
            let done = format!("done.{}", h.id);
            let note = format!("note.{}", h.id);
            PageHomework {
                id: h.id.to_string(),
                title: h.title,
                instructions: h.instructions,
                due: h.due_on.format("%-d %B").to_string(),
                checked: got(&done).is_some(),
                note: got(&note).unwrap_or_default(),
                error: error(&done),
                note_error: error(&note),
            }
        })
        .collect();
    let mut problems = Vec::new();
    if let Some(e) = error("date") {
        problems.push(("diary-date".to_string(), format!("Day: {e}")));
    }
    for b in &behaviours {
        if let Some(e) = &b.error {
            problems.push((format!("v-{}", b.id), format!("{}: {e}", b.name)));
        }
    }
    for h in &homework {
        if let Some(e) = h.error.as_ref().or(h.note_error.as_ref()) {
            problems.push((format!("hw-{}", h.id), format!("{}: {e}", h.title)));
        }
    }
    // A field the form no longer shows (a behaviour retired meanwhile) still gets its message.
    for e in errors {
        let shown = e.field == "date"
            || behaviours
                .iter()
                .any(|b| e.field == format!("value.{}", b.id))
            || homework.iter().any(|h| {
                e.field == format!("done.{}", h.id) || e.field == format!("note.{}", h.id)
            });
        if !shown {
            problems.push(("diary-date".to_string(), capitalise(&e.message)));
        }
    }
    FormPage {
        nav: None,
        token: token.to_string(),
        date: got("date")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| f.today.to_string()),
        today: f.today.to_string(),
        earliest: f.earliest.to_string(),
        date_error: error("date"),
        behaviours,
        homework,
        expires: f.expires_at.format("%-d %B %Y").to_string(),
        problems,
    }
}

pub async fn show(
    State(st): State<AppState>,
    s: AnySession,
    super::PagePath(token): super::PagePath<String>,
) -> Response {
    match st.app.open_diary_link(&token, Some(&s.rid.0)).await {
        Ok(f) => page(&token, f, &[], &[]).into_response(),
        Err(e) => link_problem(e, &s),
    }
}

fn thanks(r: DiaryReceipt) -> String {
    let entries = match r.entries {
        0 => None,
        1 => Some("1 entry".to_string()),
        n => Some(format!("{n} entries")),
    };
    let homework = match r.homework_done {
        0 => None,
        1 => Some("1 homework item marked done".to_string()),
        n => Some(format!("{n} homework items marked done")),
    };
    let what = [entries, homework]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" and ");
    format!("Saved: {what}. Your practice will see it. You can use the same link again tomorrow.")
}

pub async fn submit(
    State(st): State<AppState>,
    s: AnySession,
    super::PagePath(token): super::PagePath<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = st.check_rate(Guarded::Diary, s.ip) {
        return super::error_page(e, &s.rid, None);
    }
    match st
        .app
        .submit_diary_link(&token, &fields, Some(&s.rid.0))
        .await
    {
        Ok(r) => message(
            StatusCode::OK,
            "Thank you",
            &thanks(r),
            Some(format!("/log/{token}")),
        ),
        Err(Error::Validation(errors)) => {
            // Show the form again with what was typed, each problem beside its field; nothing was stored.
            match st.app.open_diary_link(&token, Some(&s.rid.0)).await {
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
