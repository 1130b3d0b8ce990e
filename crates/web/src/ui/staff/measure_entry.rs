//! Entering a client's answers in session: the instrument's items as radio groups, all problems listed at the
//! top and each one beside its question, nothing stored unless the whole form is acceptable.
//!
//! A blank question is refused unless the clinician says the client left it blank on paper (`partial`): then
//! the instrument's published missing-item rule decides whether the total is prorated or invalid.

use super::{Nav, PagePath, error_page};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use rapport_app::measures::ResponseInput;
use rapport_domain::measures::Answers;
use rapport_domain::{ClientId, Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

pub struct EntryOption {
    pub value: i32,
    pub label: String,
    pub checked: bool,
}

pub struct EntryItem {
    pub id: String,
    pub number: usize,
    pub text: String,
    pub required: bool,
    pub options: Vec<EntryOption>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "measure_enter.html")]
struct EntryPage {
    nav: Option<Nav>,
    csrf: String,
    client_id: ClientId,
    client_name: String,
    instrument: String,
    title: String,
    instructions: Option<String>,
    items: Vec<EntryItem>,
    /// The licence's required copyright line, printed with the questions.
    notice: Option<String>,
    partial: bool,
    /// The day the client filled it in (YYYY-MM-DD), and today, both in the user's zone.
    completed_on: String,
    today: String,
    /// (anchor, message) of every problem, shown above the form.
    problems: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct Which {
    #[serde(default)]
    instrument: String,
}

/// When the client filled the form in, from the day typed in the user's zone: now for today (or no day), noon of an
/// earlier day (a paper form entered later). A day still to come is refused by the use case, as over the API.
fn completed_at(s: &Staff, day: &str) -> Result<Option<String>, Error> {
    let day = day.trim();
    if day.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| Error::invalid("completed_on", "a date such as 2026-03-14"))?;
    let zone = s.zone();
    if date == zone.date(rapport_app::clock::now_utc()) {
        return Ok(None);
    }
    let tz: Tz = zone.name().parse().unwrap_or(chrono_tz::UTC);
    let noon = date
        .and_hms_opt(12, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .ok_or_else(|| Error::invalid("completed_on", "a date such as 2026-03-14"))?;
    Ok(Some(noon.with_timezone(&chrono::Utc).to_rfc3339()))
}

/// Answers parsed from `items.<id>` fields; anything that is not a whole number is a problem under that item.
fn answers_from(fields: &[(String, String)]) -> Result<Answers, Error> {
    let mut a = Answers::new();
    let mut problems = Vec::new();
    for (k, v) in fields {
        let Some(item) = k.strip_prefix("items.") else {
            continue;
        };
        match v.trim() {
            "" => {}
            t => match t.parse::<i32>() {
                Ok(n) => {
                    a.set(item, n);
                }
                Err(_) => problems.push(FieldError::new(
                    k.clone(),
                    "choose one of the answers offered",
                )),
            },
        }
    }
    if problems.is_empty() {
        Ok(a)
    } else {
        Err(Error::Validation(problems))
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

async fn page(
    st: &AppState,
    s: &Staff,
    client: ClientId,
    instrument: &str,
    submitted: &[(String, String)],
    errors: &[FieldError],
) -> Response {
    let c = match st.app.get_client(&s.ctx, client).await {
        Ok(c) => c,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let view = match st.app.instrument(&s.ctx, instrument.trim()) {
        Ok(v) if v.offered => v,
        Ok(_) => {
            return error_page(
                Error::Forbidden(
                    "this instrument is not offered until its licence is reviewed".into(),
                ),
                &s.rid,
                Nav::of(s),
            );
        }
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let i = view.definition;
    let items: Vec<EntryItem> = i
        .items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let key = format!("items.{}", item.id);
            let picked = field(submitted, &key).trim().to_string();
            EntryItem {
                id: item.id.clone(),
                number: n + 1,
                text: item.text.clone(),
                required: item.scored && item.asked_if.is_none(),
                options: item
                    .options
                    .iter()
                    .map(|o| EntryOption {
                        value: o.value,
                        label: o.label.clone(),
                        checked: picked == o.value.to_string(),
                    })
                    .collect(),
                error: errors
                    .iter()
                    .find(|e| e.field == key)
                    .map(|e| e.message.clone()),
            }
        })
        .collect();
    let mut problems: Vec<(String, String)> = items
        .iter()
        .filter_map(|it| {
            it.error.as_ref().map(|m| {
                (
                    format!("q-{}", it.id),
                    format!("Question {}: {m}", it.number),
                )
            })
        })
        .collect();
    // Problems that belong to no question (the instrument, the assignment) are listed too.
    for e in errors.iter().filter(|e| !e.field.starts_with("items.")) {
        if e.field.starts_with("completed_") {
            problems.push((
                "completed_on".into(),
                format!("Filled in on: {}", e.message),
            ));
            continue;
        }
        problems.push(("entry".into(), e.message.clone()));
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let today = s.zone().date(rapport_app::clock::now_utc()).to_string();
    let page = EntryPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        client_id: client,
        client_name: c.preferred_name.unwrap_or(c.legal_name),
        instrument: i.id.to_string(),
        title: i.name.clone(),
        instructions: i.instructions.clone(),
        items,
        notice: i.licence.notice.clone(),
        partial: field(submitted, "partial") == "on",
        completed_on: match field(submitted, "completed_on") {
            "" => today.clone(),
            typed => typed.to_string(),
        },
        today,
        problems,
    };
    (status, page).into_response()
}

pub async fn enter_form(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(w): Query<Which>,
) -> Response {
    page(&st, &s, ClientId(id), &w.instrument, &[], &[]).await
}

pub async fn enter(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !s.csrf_ok(field(&fields, "_csrf")) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    let client = ClientId(id);
    let instrument = field(&fields, "instrument").to_string();
    let answers = match answers_from(&fields) {
        Ok(a) => a,
        Err(Error::Validation(errs)) => {
            return page(&st, &s, client, &instrument, &fields, &errs).await;
        }
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let completed_at = match completed_at(&s, field(&fields, "completed_on")) {
        Ok(at) => at,
        Err(Error::Validation(errs)) => {
            return page(&st, &s, client, &instrument, &fields, &errs).await;
        }
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let input = ResponseInput {
        instrument: instrument.clone(),
        answers,
        assignment_id: None,
        completed_at,
        partial: field(&fields, "partial") == "on",
    };
    match st.app.enter_measure_response(&s.ctx, client, input).await {
        Ok(v) => {
            let done = if v.alert_id.is_some() {
                "entered-alert"
            } else {
                "entered"
            };
            Redirect::to(&format!("/clients/{id}?section=measures&done={done}")).into_response()
        }
        Err(Error::Validation(errs)) => page(&st, &s, client, &instrument, &fields, &errs).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
