//! The measures part of a client's page and the pages around it: results per instrument with the trend chart
//! and the change figures (each with its definition), assigning a questionnaire (sent by e-mail through the
//! outbox), entering answers in session, stopping an assignment, and the CSV export.
//!
//! Everything here goes through the measures use cases, which ask the policy about `ClientClinical` and audit
//! each read; the CSV is audited as an export. Forms are plain posts with the CSRF token.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::ui::staff::trend::{self, change_words, day, num};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::measures::{
    AssignInput, AssignmentView, InstrumentResults, InstrumentSummary, MeasureResults,
};
use rapport_domain::measures::{ClinicalOutcome, ReliableChangeOutcome};
use rapport_domain::{ClientId, Error, FieldError};
use serde::Deserialize;
use uuid::Uuid;

/// One figure with the sentence that says what it means.
pub struct FigureRow {
    pub label: String,
    pub value: String,
    pub definition: String,
}

pub struct PointRow {
    pub date: String,
    pub score: String,
    pub band: String,
    pub notes: String,
    pub change: &'static str,
}

pub struct InstrumentBlock {
    pub key: String,
    pub name: String,
    pub short_name: String,
    pub latest: String,
    pub latest_date: String,
    pub svg: Option<String>,
    pub summary: String,
    pub rows: Vec<PointRow>,
    pub figures: Vec<FigureRow>,
    pub change_note: Option<String>,
    pub not_on_track: Vec<&'static str>,
}

/// What the client page shows under "Measures".
pub struct MeasuresSection {
    pub instruments: Vec<InstrumentBlock>,
    /// The programme's combined PHQ-9 + GAD-7 outcome, when both have a change assessment.
    pub combined: Vec<FigureRow>,
    pub open_alerts: usize,
    pub assignments: Vec<AssignmentView>,
    /// (id, short name, full name) of the instruments that may be given now; empty when the caller may only read.
    pub offered: Vec<(String, String, String)>,
    pub can_write: bool,
}

fn yes_no(v: bool) -> String {
    if v { "yes" } else { "no" }.to_string()
}

fn outcome_label(o: ReliableChangeOutcome) -> String {
    match o {
        ReliableChangeOutcome::ReliablyImproved => "reliable improvement",
        ReliableChangeOutcome::ReliablyDeteriorated => "reliable deterioration",
        ReliableChangeOutcome::NoReliableChange => "no reliable change",
    }
    .to_string()
}

fn figures(r: &InstrumentResults) -> Vec<FigureRow> {
    let Some(c) = &r.change else {
        return Vec::new();
    };
    let row = |label: &str, value: String, definition: &str| FigureRow {
        label: label.to_string(),
        value,
        definition: definition.to_string(),
    };
    let signed = |v: f64| {
        if v > 0.0 {
            format!("+{}", num(v))
        } else {
            num(v)
        }
    };
    let mut out = vec![row(
        "Change",
        format!(
            "{} points ({} → {})",
            signed(c.change.value),
            num(c.baseline),
            num(c.latest)
        ),
        &c.change.definition,
    )];
    if let Some(rc) = &c.reliable_change {
        if let Some(rci) = &rc.rci {
            out.push(row(
                "Reliable change index",
                format!("{:.2}", rci.value),
                &rci.definition,
            ));
        }
        out.push(row(
            "Reliable change (Jacobson–Truax)",
            outcome_label(rc.outcome.value),
            &rc.outcome.definition,
        ));
    }
    if let Some(cs) = &c.clinical_significance {
        let v = match cs.outcome.value {
            ClinicalOutcome::Recovered => "recovered",
            ClinicalOutcome::Improved => "improved",
            ClinicalOutcome::Unchanged => "unchanged",
            ClinicalOutcome::Deteriorated => "deteriorated",
        }
        .to_string();
        out.push(row(
            "Clinically significant change",
            v,
            &cs.outcome.definition,
        ));
    }
    if let Some(tt) = &c.talking_therapies {
        let opt = |v: Option<bool>| v.map(yes_no).unwrap_or_else(|| "not applicable".into());
        out.push(row(
            "Reliable improvement (NHS Talking Therapies)",
            yes_no(tt.reliable_improvement.value),
            &tt.reliable_improvement.definition,
        ));
        out.push(row(
            "Reliable deterioration (NHS Talking Therapies)",
            yes_no(tt.reliable_deterioration.value),
            &tt.reliable_deterioration.definition,
        ));
        out.push(row(
            "Recovery (NHS Talking Therapies)",
            opt(tt.recovery.value),
            &tt.recovery.definition,
        ));
        out.push(row(
            "Reliable recovery (NHS Talking Therapies)",
            opt(tt.reliable_recovery.value),
            &tt.reliable_recovery.definition,
        ));
    }
    out
}

fn block(r: &InstrumentResults) -> InstrumentBlock {
    let rows = r
        .responses
        .iter()
        .rev()
        .map(|p| {
            let mut notes = Vec::new();
            if !p.valid {
                notes.push("not valid (not scored)");
            }
            if p.prorated {
                notes.push("prorated");
            }
            if p.critical {
                notes.push("critical answer");
            }
            notes.push(if p.entered_via == "staff" {
                "entered by staff"
            } else {
                "by link"
            });
            PointRow {
                date: day(p.completed_at),
                score: p
                    .total
                    .map(num)
                    .or_else(|| p.risk_level.clone())
                    .unwrap_or_else(|| "—".into()),
                band: p.band.clone().unwrap_or_default(),
                notes: notes.join(", "),
                change: change_words(p),
            }
        })
        .collect();
    let latest = r.responses.last();
    InstrumentBlock {
        key: r.instrument.to_string(),
        name: r.name.clone(),
        short_name: r.short_name.clone(),
        latest: latest
            .map(|p| match (&p.total, &p.band, &p.risk_level) {
                (Some(t), Some(b), _) if p.valid => format!("{} ({b})", num(*t)),
                (Some(t), None, _) if p.valid => num(*t),
                (_, _, Some(risk)) => format!("risk: {risk}"),
                _ => "not valid".into(),
            })
            .unwrap_or_default(),
        latest_date: latest.map(|p| day(p.completed_at)).unwrap_or_default(),
        svg: trend::trend_svg(r, &format!("trend-{}", r.instrument)),
        summary: trend::summary(r),
        rows,
        figures: figures(r),
        change_note: r.change_note.clone(),
        not_on_track: r.not_on_track.iter().map(|t| t.label()).collect(),
    }
}

fn combined(m: &MeasureResults) -> Vec<FigureRow> {
    let Some(c) = &m.talking_therapies_combined else {
        return Vec::new();
    };
    let opt = |v: Option<bool>| v.map(yes_no).unwrap_or_else(|| "not applicable".into());
    vec![
        FigureRow {
            label: "Reliable improvement".into(),
            value: yes_no(c.reliable_improvement.value),
            definition: c.reliable_improvement.definition.clone(),
        },
        FigureRow {
            label: "Reliable deterioration".into(),
            value: yes_no(c.reliable_deterioration.value),
            definition: c.reliable_deterioration.definition.clone(),
        },
        FigureRow {
            label: "Recovery".into(),
            value: opt(c.recovery.value),
            definition: c.recovery.definition.clone(),
        },
        FigureRow {
            label: "Reliable recovery".into(),
            value: opt(c.reliable_recovery.value),
            definition: c.reliable_recovery.definition.clone(),
        },
    ]
}

/// The section for the client file, from what the file's one transaction read.
pub fn section(
    m: &MeasureResults,
    assignments: &[AssignmentView],
    offered: &[InstrumentSummary],
    can_write: bool,
) -> MeasuresSection {
    MeasuresSection {
        instruments: m.instruments.iter().map(block).collect(),
        combined: combined(m),
        open_alerts: m.open_alerts,
        assignments: assignments.iter().filter(|a| a.active).cloned().collect(),
        offered: offered
            .iter()
            .map(|i| (i.id.to_string(), i.short_name.clone(), i.name.clone()))
            .collect(),
        can_write,
    }
}

/// What the client page says after a measures action (the redirect carries a fixed key, never free text).
pub fn notice(done: Option<&str>) -> Option<String> {
    match done? {
        "assigned" => Some("The questionnaire link is on its way to the client by e-mail.".into()),
        "entered" => Some("The answers were saved and scored.".into()),
        "entered-alert" => Some(
            "The answers were saved and scored. A critical answer raised an alert for the care team.".into(),
        ),
        "stopped" => Some("The assignment was stopped; no further links will be sent.".into()),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AssignForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    instrument: String,
    #[serde(default)]
    schedule: String,
    #[serde(default)]
    every_days: String,
    #[serde(default)]
    link_days: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "measure_assign.html")]
struct AssignPage {
    nav: Option<Nav>,
    csrf: String,
    client_id: ClientId,
    client_name: String,
    offered: Vec<(String, String, bool)>,
    every: bool,
    every_days: String,
    link_days: String,
    message: Option<String>,
    errors: Vec<FieldError>,
}

impl AssignPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn assign_page(
    st: &AppState,
    s: &Staff,
    client: ClientId,
    f: &AssignForm,
    e: Option<&Error>,
) -> Response {
    let c = match st.app.get_client(&s.ctx, client).await {
        Ok(c) => c,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let instruments = match st.app.instruments(&s.ctx) {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let offered = instruments
        .into_iter()
        .filter(|i| i.offered)
        .map(|i| {
            let chosen = i.id.as_str() == f.instrument;
            (
                i.id.to_string(),
                format!("{} — {}", i.short_name, i.name),
                chosen,
            )
        })
        .collect();
    let (message, errors) = match e {
        Some(Error::Validation(v)) => (
            Some("Please check the form; nothing has been sent.".to_string()),
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
    let page = AssignPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        client_id: client,
        client_name: c.preferred_name.unwrap_or(c.legal_name),
        offered,
        every: f.schedule == "every_days",
        every_days: f.every_days.clone(),
        link_days: if f.link_days.is_empty() {
            "7".into()
        } else {
            f.link_days.clone()
        },
        message,
        errors,
    };
    (status, page).into_response()
}

pub async fn assign_form(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    assign_page(&st, &s, ClientId(id), &AssignForm::default(), None).await
}

fn whole(field: &str, v: &str) -> Result<Option<i64>, Error> {
    match v.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid(field, "a whole number of days")),
    }
}

pub async fn assign(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<AssignForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let client = ClientId(id);
    let every = f.schedule == "every_days";
    let parsed =
        whole("every_days", &f.every_days).and_then(|e| Ok((e, whole("link_days", &f.link_days)?)));
    let (every_days, link_days) = match parsed {
        Ok(v) => v,
        Err(e) => return assign_page(&st, &s, client, &f, Some(&e)).await,
    };
    let input = AssignInput {
        instrument: f.instrument.clone(),
        schedule: Some(if every { "every_days" } else { "once" }.into()),
        every_days: if every { every_days } else { None },
        link_days,
    };
    match st.app.assign_measure(&s.ctx, client, input).await {
        Ok(_) => {
            Redirect::to(&format!("/clients/{id}?section=measures&done=assigned")).into_response()
        }
        Err(e @ Error::Validation(_)) => assign_page(&st, &s, client, &f, Some(&e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct StopForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn stop(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, assignment)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<StopForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st
        .app
        .stop_measure_assignment(&s.ctx, ClientId(id), assignment)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/clients/{id}?section=measures&done=stopped")).into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// A CSV field: quoted when it holds a separator, a quote or a line break; text that a spreadsheet would run as
/// a formula is prefixed with an apostrophe (numbers are written by us and never start with one of these).
fn csv_text(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV: one row per response, oldest first within each instrument. Scores and flags only; answers stay in
/// Rapport.
pub fn csv(m: &MeasureResults) -> String {
    let mut out = String::from(
        "client_id,instrument,instrument_name,loinc_total,completed_at,total,valid,prorated,band,risk_level,critical,entered_via,reliable_change_from_first\r\n",
    );
    for r in &m.instruments {
        for p in &r.responses {
            let fields = [
                m.client_id.0.to_string(),
                csv_text(r.instrument.as_str()),
                csv_text(&r.short_name),
                csv_text(r.loinc_total.as_deref().unwrap_or("")),
                p.completed_at.to_rfc3339(),
                p.total.map(|t| t.to_string()).unwrap_or_default(),
                p.valid.to_string(),
                p.prorated.to_string(),
                csv_text(p.band.as_deref().unwrap_or("")),
                csv_text(p.risk_level.as_deref().unwrap_or("")),
                p.critical.to_string(),
                p.entered_via.to_string(),
                change_words(p).replace(' ', "_"),
            ];
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

pub async fn export_csv(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    match st.app.export_client_measures(&s.ctx, ClientId(id)).await {
        Ok(m) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"measures-{id}.csv\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            csv(&m),
        )
            .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
