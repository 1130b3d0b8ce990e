//! Alerts raised by critical answers: the caller's open alerts, most urgent first, each with an acknowledge
//! button; and one alert (`/alerts/{id}`, where the e-mails point) with the answers that raised it.
//!
//! The e-mails name neither client nor answer, so this page is where a clinician learns both; reading it is an
//! audited read of the client's measures.

use super::{Nav, PagePath, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::ui::staff::trend::num;
use crate::when::Zone;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use rapport_app::measures::{AckInput, AlertNotice, AlertView};
use rapport_domain::Error;
use rapport_domain::measures::acknowledgement::AckAction;
use serde::Deserialize;
use uuid::Uuid;

pub struct AlertRow {
    pub a: AlertView,
    pub raised: String,
    pub waiting: String,
    pub escalated: bool,
}

/// "12 minutes", "3 hours", "2 days": how long the alert has waited.
fn waited(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let m = (now - since).num_minutes().max(0);
    let (n, unit) = match m {
        0..60 => (m, "minute"),
        60..2880 => (m / 60, "hour"),
        _ => (m / 1440, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn row(a: AlertView, now: DateTime<Utc>, zone: Zone) -> AlertRow {
    AlertRow {
        raised: zone.stamp(a.raised_at),
        waiting: waited(a.raised_at, now),
        escalated: a.escalated_at.is_some(),
        a,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
struct AlertsPage {
    nav: Option<Nav>,
    alerts: Vec<AlertRow>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list(State(st): State<AppState>, s: Staff, Query(q): Query<Done>) -> Response {
    match st.app.measure_alerts(&s.ctx).await {
        Ok(list) => {
            let now = rapport_app::clock::now_utc();
            AlertsPage {
                nav: Nav::of(&s),
                alerts: list.into_iter().map(|a| row(a, now, s.zone())).collect(),
                notice: (q.done.as_deref() == Some("acknowledged")).then_some(
                    "Alert acknowledged. It no longer escalates and has left everyone's list.",
                ),
            }
            .into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// A critical answer as the alert page shows it: the question, the answer ticked and why it matters.
pub struct CriticalRow {
    pub item: String,
    pub question: String,
    pub answer: String,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "alert.html")]
struct AlertPage {
    nav: Option<Nav>,
    csrf: String,
    r: AlertRow,
    acknowledged: Option<String>,
    score: Option<String>,
    critical: Vec<CriticalRow>,
    instrument_name: String,
    /// (key, label) of each thing that may have been done, for the acknowledgement form.
    actions: Vec<(&'static str, &'static str)>,
    /// The form as sent, when it comes back with a problem.
    f: AckForm,
    problem: Option<String>,
}

pub async fn show(State(st): State<AppState>, s: Staff, PagePath(id): PagePath<Uuid>) -> Response {
    alert_page(&st, &s, id, AckForm::default(), None).await
}

async fn alert_page(
    st: &AppState,
    s: &Staff,
    id: Uuid,
    f: AckForm,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let a = match st.app.measure_alert(&s.ctx, id).await {
        Ok(a) => a,
        // Someone e-mailed about the alert without access to its client (on call, or escalated to): the page
        // says whom to reach and offers break-the-glass, still without naming the client.
        Err(e @ (Error::NotFound | Error::Forbidden(_))) => {
            return match st.app.measure_alert_notice(&s.ctx, id).await {
                Ok(n) => notice_page(s, n, None, None),
                Err(Error::NotFound) => error_page(e, &s.rid, Nav::of(s)),
                Err(other) => error_page(other, &s.rid, Nav::of(s)),
            };
        }
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let response = match st.app.measure_response(&s.ctx, a.response_id).await {
        Ok(r) => r,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let instrument = rapport_domain::measures::instrument(response.instrument.as_str()).ok();
    let critical = response
        .score
        .critical
        .iter()
        .map(|c| CriticalRow {
            question: instrument
                .and_then(|i| i.item(&c.item))
                .map(|i| i.text.clone())
                .unwrap_or_default(),
            item: c.item.clone(),
            answer: c.answer.clone(),
            reason: c.reason.clone(),
        })
        .collect();
    let score = match (
        &response.score.total,
        &response.score.band,
        &response.score.risk,
    ) {
        (Some(t), Some(b), _) => Some(format!("{} ({})", num(*t), b.label)),
        (Some(t), None, _) => Some(num(*t)),
        (None, _, Some(r)) => Some(format!("{} — {}", r.label, r.action)),
        _ => response.score.invalid_reason.clone(),
    };
    let acknowledged = match (&a.acknowledged_at, &a.acknowledged_by) {
        (Some(at), Some(by)) => Some(format!("{} by {}", s.zone().stamp(at), by.name)),
        (Some(at), None) => Some(s.zone().stamp(at)),
        _ => None,
    };
    let (status, problem) = match problem {
        Some((status, m)) => (status, Some(m)),
        None => (StatusCode::OK, None),
    };
    let page = AlertPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        r: row(a, rapport_app::clock::now_utc(), s.zone()),
        acknowledged,
        score,
        critical,
        instrument_name: response.instrument_name,
        actions: AckAction::ALL
            .iter()
            .map(|x| (x.key(), x.label()))
            .collect(),
        f,
        problem,
    };
    (status, page).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "alert_notice.html")]
struct NoticePage {
    nav: Option<Nav>,
    csrf: String,
    n: AlertNotice,
    raised: String,
    waiting: String,
    acknowledged: Option<String>,
    team: String,
    reason: String,
    problem: Option<String>,
}

fn notice_page(
    s: &Staff,
    n: AlertNotice,
    reason: Option<String>,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let now = rapport_app::clock::now_utc();
    let names: Vec<&str> = n.care_team.iter().map(|p| p.name.as_str()).collect();
    let (status, problem) = match problem {
        Some((status, m)) => (status, Some(m)),
        None => (StatusCode::OK, None),
    };
    let page = NoticePage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        raised: s.zone().stamp(n.raised_at),
        waiting: waited(n.raised_at, now),
        acknowledged: match (&n.acknowledged_at, &n.acknowledged_by) {
            (Some(at), Some(by)) => Some(format!("{} by {}", s.zone().stamp(at), by.name)),
            (Some(at), None) => Some(s.zone().stamp(at)),
            _ => None,
        },
        team: if names.is_empty() {
            "nobody: the client has no care team".into()
        } else {
            names.join(", ")
        },
        n,
        reason: reason.unwrap_or_default(),
        problem,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
pub struct GlassForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Breaks the glass for the alert's client; then the alert page names the client and links to the record.
pub async fn break_glass(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<GlassForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.break_glass_for_alert(&s.ctx, id, &f.reason).await {
        Ok(_) => Redirect::to(&format!("/alerts/{id}")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_) | Error::Forbidden(_))) => {
            let status = crate::http::error::classify(&e).0;
            match st.app.measure_alert_notice(&s.ctx, id).await {
                Ok(n) => notice_page(&s, n, Some(f.reason), Some((status, form_message(&e)))),
                Err(other) => error_page(other, &s.rid, Nav::of(&s)),
            }
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize, Default)]
pub struct AckForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

pub async fn acknowledge(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<AckForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    let input = AckInput {
        action: f.action.clone(),
        note: Some(f.note.clone()),
    };
    match st.app.acknowledge_measure_alert(&s.ctx, id, input).await {
        Ok(_) => Redirect::to("/alerts?done=acknowledged").into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let status = crate::http::error::classify(&e).0;
            alert_page(&st, &s, id, f, Some((status, form_message(&e)))).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn waiting_time_reads_in_the_largest_whole_unit() {
        let now = rapport_app::clock::now_utc();
        assert_eq!(waited(now - Duration::minutes(1), now), "1 minute");
        assert_eq!(waited(now - Duration::minutes(59), now), "59 minutes");
        assert_eq!(waited(now - Duration::minutes(150), now), "2 hours");
        assert_eq!(waited(now - Duration::days(3), now), "3 days");
        assert_eq!(waited(now + Duration::minutes(5), now), "0 minutes");
    }
}
