//! The "Behaviours and homework" part of a client's page and the forms around it: adherence at a glance (this week
//! against the target, the current streak, logging over four weeks, homework due, overdue and done on time), a
//! weekly table and bar chart per behaviour, and forms to add a behaviour (with the objective chooser from the
//! client's plans), set homework, change it (title, instructions, due date; a stale edit is shown against what is
//! saved now), tick it off, enter diary values in session, and send or switch off the client's diary link.
//!
//! Everything goes through the behaviour use cases (ClientClinical, audited). A form with a problem is shown again
//! on a page of its own with each message beside its field; nothing was stored.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::ui::staff::trend::weekly::{plotted, value_words, weekly_svg};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::behaviour::{
    BehaviourSummary, BehaviourView, DiarySummary, HomeworkView, earliest, input_bounds,
};
use rapport_app::plans::PlanView;
use rapport_domain::behaviour::{BehaviourInput, MeasureKind, Period, TargetStatus, WeekSummary};
use rapport_domain::plans::PlanStatus;
use rapport_domain::{ClientId, Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

pub struct WeekRow {
    pub week: String,
    pub days: String,
    pub value: String,
    pub status: &'static str,
    pub status_class: &'static str,
}

pub struct BehaviourBlock {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
    pub target: String,
    pub objective: Option<String>,
    pub this_week: String,
    pub this_week_class: &'static str,
    pub streak: String,
    pub logging: String,
    pub last_entry: String,
    pub svg: Option<String>,
    pub rows: Vec<WeekRow>,
    pub value_heading: &'static str,
    /// The in-session entry field: bounds and step of the number input, and how the value is typed.
    pub input: EntryField,
}

/// One behaviour's number field on a diary form, as the client's diary page shows it too.
pub struct EntryField {
    pub id: Uuid,
    pub name: String,
    pub hint: String,
    pub min: String,
    pub max: String,
    pub step: String,
    /// What was typed, when the form comes back with a problem.
    pub value: String,
    pub error: Option<String>,
}

fn kind_of(v: &BehaviourView) -> MeasureKind {
    match (v.kind, v.scale_min, v.scale_max) {
        ("intensity", Some(min), Some(max)) => MeasureKind::Intensity { min, max },
        ("duration", ..) => MeasureKind::Duration,
        _ => MeasureKind::Count,
    }
}

pub(super) fn entry_field(v: &BehaviourView) -> EntryField {
    let kind = kind_of(v);
    let (min, max, step) = input_bounds(kind);
    let hint = match kind {
        MeasureKind::Count => "times that day".to_string(),
        MeasureKind::Duration => "hours that day, such as 7.5".to_string(),
        MeasureKind::Intensity { min, max } => format!("{min} to {max}, the strongest that day"),
    };
    EntryField {
        id: v.id,
        name: v.name.clone(),
        hint,
        min: crate::ui::staff::trend::num(min),
        max: crate::ui::staff::trend::num(max),
        step: crate::ui::staff::trend::num(step),
        value: String::new(),
        error: None,
    }
}

/// What the client page shows under "Behaviours and homework".
pub struct BehaviourSection {
    pub behaviours: Vec<BehaviourBlock>,
    pub homework: Vec<HomeworkView>,
    pub homework_due: u32,
    pub homework_overdue: u32,
    pub homework_on_time: String,
    pub link_until: Option<String>,
    pub link_used: Option<String>,
    pub definitions: Vec<(&'static str, &'static str)>,
    /// (value "plan id:objective id", label) of objectives a behaviour may be linked to.
    pub objectives: Vec<(String, String)>,
    pub can_write: bool,
    pub today: String,
    /// The first day an entry may be for.
    pub earliest: String,
    /// Whether any behaviour is still logged (the in-session form is offered only then).
    pub any_active: bool,
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.0}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn status_class(s: TargetStatus) -> &'static str {
    match s {
        TargetStatus::Met => "status-met",
        TargetStatus::NotMet => "status-not_met",
        _ => "",
    }
}

fn week_value(kind: MeasureKind, b: &BehaviourSummary, w: &WeekSummary) -> String {
    plotted(kind, b.behaviour.target, w)
        .map(|v| value_words(kind, v))
        .unwrap_or_else(|| "—".into())
}

fn block(b: &BehaviourSummary) -> BehaviourBlock {
    let v = &b.behaviour;
    let kind = kind_of(v);
    let current = b.weeks.last();
    let this_week = current
        .map(|w| {
            let value = week_value(kind, b, w);
            match &v.target_words {
                Some(t) => format!("{value} ({}; target {t})", w.status.label()),
                None => value,
            }
        })
        .unwrap_or_else(|| "—".into());
    let streak = match b.streaks.target {
        Some(t) => {
            let unit = match (t.per, t.current) {
                (Period::Day, 1) => "day",
                (Period::Day, _) => "days",
                (Period::Week, 1) => "week",
                (Period::Week, _) => "weeks",
            };
            format!("{} {unit} on target (best {})", t.current, t.best)
        }
        None => format!(
            "{} {} logged in a row",
            b.streaks.logging_days,
            if b.streaks.logging_days == 1 {
                "day"
            } else {
                "days"
            }
        ),
    };
    let mean = crate::ui::staff::trend::weekly::plots_mean(kind, v.target);
    BehaviourBlock {
        id: v.id,
        name: v.name.clone(),
        active: v.active,
        target: v.target_words.clone().unwrap_or_else(|| "no target".into()),
        // The statement's own full stop would double the one the sentence around it ends with.
        objective: v
            .objective
            .as_deref()
            .map(|o| o.trim_end_matches('.').to_string()),
        this_week,
        this_week_class: current.map(|w| status_class(w.status)).unwrap_or(""),
        streak,
        logging: format!(
            "{} ({} of {} days)",
            pct(b.adherence.ratio),
            b.adherence.days_logged,
            b.adherence.days_expected
        ),
        last_entry: b
            .last_entry_on
            .map(|d| d.format("%-d %b %Y").to_string())
            .unwrap_or_else(|| "never".into()),
        svg: weekly_svg(&v.name, kind, v.target, &b.weeks, &format!("week-{}", v.id)),
        rows: b
            .weeks
            .iter()
            .rev()
            .map(|w| WeekRow {
                week: w.week.clone(),
                days: format!("{} of {}", w.days_logged, w.days_counted),
                value: week_value(kind, b, w),
                status: w.status.label(),
                status_class: status_class(w.status),
            })
            .collect(),
        value_heading: if mean {
            "Mean per logged day"
        } else {
            "Week total"
        },
        input: entry_field(v),
    }
}

pub(super) fn objectives(plans: &[PlanView]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in plans.iter().filter(|p| p.status != PlanStatus::Closed) {
        for o in p.content.objectives() {
            let target = o
                .target
                .map(|t| format!(", target {}", crate::ui::staff::trend::num(t)))
                .unwrap_or_default();
            out.push((
                format!("{}:{}", p.id, o.id),
                format!(
                    "{} ({}{target}) — {} plan",
                    o.statement, o.measure, p.status_label
                ),
            ));
        }
    }
    out
}

/// The section for the client file, from what the file's one transaction read.
pub fn section(d: DiarySummary, plans: &[PlanView], can_write: bool) -> BehaviourSection {
    BehaviourSection {
        behaviours: d.behaviours.iter().map(block).collect(),
        homework_due: d.homework.open,
        homework_overdue: d.homework.overdue,
        homework_on_time: format!(
            "{} ({} of {})",
            pct(d.homework.on_time_ratio),
            d.homework.done_on_time,
            d.homework.due_so_far
        ),
        homework: d.homework_items,
        link_until: d
            .diary_link_expires_at
            .map(|t| t.format("%-d %B %Y").to_string()),
        link_used: d
            .diary_link_last_used_at
            .map(|t| t.format("%-d %B %Y").to_string()),
        definitions: d.definitions,
        objectives: objectives(plans),
        can_write,
        today: d.today.to_string(),
        earliest: earliest(d.today).to_string(),
        any_active: d.behaviours.iter().any(|b| b.behaviour.active),
    }
}

/// What the client page says after a behaviour action (the redirect carries a fixed key, never free text).
pub fn notice(done: Option<&str>) -> Option<String> {
    match done? {
        "behaviour" => Some("The behaviour was added; it is on the client's diary from now on.".into()),
        "retired" => Some("The behaviour is no longer logged; its entries stay.".into()),
        "homework" => Some("The homework was set.".into()),
        "homework-status" => Some("The homework was updated.".into()),
        "homework-edited" => Some("The homework was changed.".into()),
        "entries" => Some("The values were added to the client's diary.".into()),
        "diary-sent" => Some(
            "The diary link is on its way to the client by e-mail; any earlier link no longer works.".into(),
        ),
        "diary-revoked" => Some("The diary link was switched off.".into()),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct BehaviourForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    scale_min: String,
    #[serde(default)]
    scale_max: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    target_per: String,
    #[serde(default)]
    objective: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct HomeworkForm {
    #[serde(rename = "_csrf", default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) instructions: String,
    #[serde(default)]
    pub(super) due_on: String,
    /// "plan id:objective id", or empty for none.
    #[serde(default)]
    pub(super) objective: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "behaviour_forms.html")]
struct FormsPage {
    nav: Option<Nav>,
    csrf: String,
    client_id: ClientId,
    client_name: String,
    b: BehaviourForm,
    h: HomeworkForm,
    objectives: Vec<(String, String)>,
    /// Which form the page is for: "behaviour" or "homework".
    which: &'static str,
    message: Option<String>,
    errors: Vec<FieldError>,
}

impl FormsPage {
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

pub(super) async fn forms_page(
    st: &AppState,
    s: &Staff,
    client: ClientId,
    which: &'static str,
    b: BehaviourForm,
    h: HomeworkForm,
    e: Option<&Error>,
) -> Response {
    let c = match st.app.get_client(&s.ctx, client).await {
        Ok(c) => c,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let plans = match st.app.client_plans(&s.ctx, client).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let (message, errors) = match e {
        Some(Error::Validation(v)) => (
            Some("Please check the form; nothing has been saved.".to_string()),
            v.clone(),
        ),
        Some(other) => (Some(form_message(other)), Vec::new()),
        None => (None, Vec::new()),
    };
    let status = if e.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = FormsPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        client_id: client,
        client_name: c.preferred_name.unwrap_or(c.legal_name),
        b,
        h,
        objectives: objectives(&plans),
        which,
        message,
        errors,
    };
    (status, page).into_response()
}

pub async fn new_behaviour(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    let b = BehaviourForm {
        kind: "count".into(),
        scale_min: "0".into(),
        scale_max: "10".into(),
        ..Default::default()
    };
    forms_page(
        &st,
        &s,
        ClientId(id),
        "behaviour",
        b,
        HomeworkForm::default(),
        None,
    )
    .await
}

pub async fn new_homework(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    forms_page(
        &st,
        &s,
        ClientId(id),
        "homework",
        BehaviourForm::default(),
        HomeworkForm::default(),
        None,
    )
    .await
}

fn opt_number(field: &str, raw: &str) -> Result<Option<f64>, Error> {
    match raw.trim().replace(',', ".") {
        t if t.is_empty() => Ok(None),
        t => t
            .parse::<f64>()
            .map(Some)
            .map_err(|_| Error::invalid(field, "type a number")),
    }
}

fn opt_int(field: &str, raw: &str) -> Result<Option<i32>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid(field, "a whole number")),
    }
}

/// The objective chooser's value ("plan id:objective id", empty for none) as the use case's plan and objective.
pub(super) fn objective_choice(raw: &str) -> Result<(Option<Uuid>, Option<String>), Error> {
    match raw.split_once(':') {
        Some((p, o)) => Ok((
            Some(Uuid::parse_str(p).map_err(|_| {
                Error::invalid("objective_id", "choose an objective from the list")
            })?),
            Some(o.to_string()),
        )),
        None => Ok((None, None)),
    }
}

/// The form's fields as the use case's input: a duration's target is typed in hours, the objective as
/// "plan id:objective id".
fn behaviour_input(f: &BehaviourForm) -> Result<BehaviourInput, Error> {
    let mut target = opt_number("target", &f.target)?;
    if f.kind == "duration" {
        target = target.map(|h| h * 60.0);
    }
    let intensity = f.kind == "intensity";
    let (plan_id, objective_id) = objective_choice(&f.objective)?;
    Ok(BehaviourInput {
        name: f.name.clone(),
        kind: f.kind.clone(),
        scale_min: if intensity {
            opt_int("scale_min", &f.scale_min)?
        } else {
            None
        },
        scale_max: if intensity {
            opt_int("scale_max", &f.scale_max)?
        } else {
            None
        },
        direction: Some(f.direction.clone()).filter(|d| !d.trim().is_empty()),
        target,
        target_per: Some(f.target_per.clone()).filter(|d| !d.trim().is_empty()),
        plan_id,
        objective_id,
    })
}

pub async fn add_behaviour(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<BehaviourForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let client = ClientId(id);
    let result = match behaviour_input(&f) {
        Ok(input) => st
            .app
            .define_behaviour(&s.ctx, client, input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            Redirect::to(&format!("/clients/{id}?section=behaviour&done=behaviour")).into_response()
        }
        Err(e @ Error::Validation(_)) => {
            forms_page(
                &st,
                &s,
                client,
                "behaviour",
                f,
                HomeworkForm::default(),
                Some(&e),
            )
            .await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    pub(super) csrf: String,
}

pub async fn retire(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, behaviour)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st
        .app
        .retire_behaviour(&s.ctx, ClientId(id), behaviour)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/clients/{id}?section=behaviour&done=retired")).into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

pub async fn send_link(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.send_diary_link(&s.ctx, ClientId(id)).await {
        Ok(_) => Redirect::to(&format!("/clients/{id}?section=behaviour&done=diary-sent"))
            .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

pub async fn revoke_link(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.revoke_diary_link(&s.ctx, ClientId(id)).await {
        Ok(_) => Redirect::to(&format!(
            "/clients/{id}?section=behaviour&done=diary-revoked"
        ))
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
