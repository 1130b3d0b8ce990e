//! The referrals pages: the client's referrals (`/clients/{id}/referrals`) for whoever may read the record, with
//! for the care team a form to refer and one to move each open referral along; and the practice's referrals
//! still waiting for an answer (`/referrals`), those of the caller's care teams, paged with "showing N of M".

use super::{Nav, PagePath, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::referrals::{MoveInput, ReferralView, WAITING_PAGE_SIZE, WaitingReferral};
use rapport_domain::referral::{ReferralInput, ReferralKind, ReferralStatus, Urgency};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct ReferForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    sent_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "referrals.html")]
struct Page {
    nav: Option<Nav>,
    csrf: String,
    client_id: ClientId,
    items: Vec<ReferralView>,
    can_write: bool,
    f: ReferForm,
    kinds: &'static [ReferralKind],
    urgencies: &'static [Urgency],
    today: String,
    problems: Vec<String>,
    notice: Option<String>,
}

impl Page {
    fn next_of(&self, s: &ReferralStatus) -> Vec<ReferralStatus> {
        ReferralStatus::ALL
            .iter()
            .copied()
            .filter(|n| s.can_become(*n))
            .collect()
    }
}

async fn page(
    st: &AppState,
    s: &Staff,
    id: ClientId,
    f: ReferForm,
    error: Option<&Error>,
    notice: Option<String>,
) -> Response {
    let items = match st.app.referrals(&s.ctx, id).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let rights = match super::client_rights(st, s, id).await {
        Ok(r) => r,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let problems = match error {
        Some(Error::Validation(f)) => f.iter().map(|e| e.message.clone()).collect(),
        Some(other) => vec![form_message(other)],
        None => vec![],
    };
    (
        error.map_or(StatusCode::OK, |e| crate::http::error::classify(e).0),
        Page {
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            client_id: id,
            items,
            can_write: rights.write_clinical,
            f,
            kinds: ReferralKind::ALL,
            urgencies: Urgency::ALL,
            today: s.zone().date(rapport_app::clock::now_utc()).to_string(),
            problems,
            notice,
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
    let notice = match d.done.as_deref() {
        Some("referred") => Some("Referral recorded.".to_string()),
        Some("updated") => Some("Referral updated.".to_string()),
        _ => None,
    };
    page(&st, &s, ClientId(id), ReferForm::default(), None, notice).await
}

pub async fn refer(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<ReferForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = ReferralInput {
        kind: f.kind.clone(),
        to: f.to.clone(),
        reason: f.reason.clone(),
        urgency: f.urgency.clone(),
        sent_on: f.sent_on.clone(),
    };
    match st.app.refer(&s.ctx, ClientId(id), input).await {
        Ok(_) => Redirect::to(&format!("/clients/{id}/referrals?done=referred")).into_response(),
        Err(e @ Error::Validation(_)) => page(&st, &s, ClientId(id), f, Some(&e), None).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    status: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    note: Option<String>,
}

pub async fn move_to(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<MoveForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = MoveInput {
        status: f.status,
        on: f.on,
        note: f.note,
        version: f.version,
    };
    match st.app.move_referral(&s.ctx, id, input).await {
        Ok(r) => Redirect::to(&format!("/clients/{}/referrals?done=updated", r.client_id))
            .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "referrals_waiting.html")]
struct WaitingPage {
    nav: Option<Nav>,
    items: Vec<WaitingReferral>,
    count_line: String,
    newer: Option<String>,
    older: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WaitingQuery {
    #[serde(default)]
    offset: Option<u64>,
}

/// The referrals of the caller's care teams still waiting for an answer, longest waiting first.
pub async fn waiting(
    State(st): State<AppState>,
    s: Staff,
    Query(q): Query<WaitingQuery>,
) -> Response {
    let offset = q.offset.unwrap_or(0);
    let page = match st.app.waiting_referrals(&s.ctx, offset).await {
        Ok(p) => p,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let shown = page.items.len();
    WaitingPage {
        nav: Nav::of(&s),
        count_line: super::showing(
            offset,
            shown,
            page.total,
            (
                "referral waiting for an answer",
                "referrals waiting for an answer",
            ),
        ),
        newer: (offset > 0).then(|| {
            format!(
                "/referrals?offset={}",
                offset.saturating_sub(WAITING_PAGE_SIZE)
            )
        }),
        older: (offset + (shown as u64) < page.total)
            .then(|| format!("/referrals?offset={}", offset + WAITING_PAGE_SIZE)),
        items: page.items,
    }
    .into_response()
}
