//! The caseload dashboard (`/measures`): the caller's clients with measures, "not on track" first (the
//! definition is on the page), each instrument's latest score with a sparkline, and their behaviour work at a
//! glance (diary logging last week, overdue homework; its definition is on the page too).

use super::{Nav, error_page};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::ui::staff::trend::{day, num, sparkline_svg};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rapport_app::measures::{BehaviourGlance, CaseloadRow, CaseloadSeries};
use rapport_domain::measures::ReliableChangeOutcome;

pub struct SeriesCell {
    pub short_name: String,
    pub latest: String,
    pub change: &'static str,
    pub spark: String,
}

pub struct Row {
    pub c: CaseloadRow,
    pub last: String,
    pub series: Vec<SeriesCell>,
    /// The behaviour column: diary logging last week, then homework; empty when the client has no behaviour work.
    pub diary: String,
    pub homework: String,
    pub overdue: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    nav: Option<Nav>,
    definition: &'static str,
    not_on_track: usize,
    behaviour_definition: &'static str,
    rows: Vec<Row>,
}

fn diary_words(g: &BehaviourGlance) -> String {
    match &g.last_week {
        None => String::new(),
        Some(w) => match w.ratio {
            None => "diary: started this week".into(),
            Some(r) => format!(
                "diary last week: {} of {} days ({:.0}%)",
                w.days_logged,
                w.days_expected,
                r * 100.0
            ),
        },
    }
}

fn homework_words(g: &BehaviourGlance) -> String {
    match (g.open_homework, g.overdue_homework) {
        (0, _) => String::new(),
        (_, 0) => format!("{} homework open, none overdue", g.open_homework),
        (_, n) => format!("{n} homework overdue"),
    }
}

fn cell(s: &CaseloadSeries) -> SeriesCell {
    let latest = match (&s.latest_total, &s.latest_band, &s.latest_risk) {
        (Some(t), Some(b), _) => format!("{} ({b})", num(*t)),
        (Some(t), None, _) => num(*t),
        (None, _, Some(r)) => format!("risk: {r}"),
        _ => "not valid".into(),
    };
    let label = match (s.first_total, s.latest_total) {
        (Some(f), Some(l)) if s.totals.len() > 1 => {
            format!("{} trend: {} → {}", s.short_name, num(f), num(l))
        }
        (_, Some(l)) => format!("{}: {}", s.short_name, num(l)),
        _ => format!("{}: no valid total", s.short_name),
    };
    SeriesCell {
        short_name: s.short_name.clone(),
        latest,
        change: match s.reliable_change {
            Some(ReliableChangeOutcome::ReliablyImproved) => "reliable improvement",
            Some(ReliableChangeOutcome::ReliablyDeteriorated) => "reliable deterioration",
            Some(ReliableChangeOutcome::NoReliableChange) => "no reliable change",
            None => "",
        },
        spark: sparkline_svg(&s.totals, s.min_score, s.max_score, &label),
    }
}

pub async fn show(State(st): State<AppState>, s: Staff) -> Response {
    match st.app.measures_caseload(&s.ctx).await {
        Ok(c) => CaseloadPage {
            nav: Nav::of(&s),
            definition: c.definition,
            not_on_track: c.not_on_track,
            behaviour_definition: c.behaviour_definition,
            rows: c
                .clients
                .into_iter()
                .map(|c| Row {
                    last: c
                        .last_completed_at
                        .map(day)
                        .unwrap_or_else(|| "no questionnaire yet".into()),
                    series: c.instruments.iter().map(cell).collect(),
                    diary: c.behaviour.as_ref().map(diary_words).unwrap_or_default(),
                    homework: c.behaviour.as_ref().map(homework_words).unwrap_or_default(),
                    overdue: c.behaviour.as_ref().is_some_and(|g| g.overdue_homework > 0),
                    c,
                })
                .collect(),
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
