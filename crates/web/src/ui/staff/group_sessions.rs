//! The group session screen: attendance, fair facilitation (one plain form per "Now speaking" button, so it works
//! without any script; `group_talk` records the clicks and keeps the tally live), the shared note with the member names found in it, individual notes, and signing.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::groups::{
    AttendanceEntry, AttendanceInput, IndividualNote, NotesInput, SessionView,
};
use rapport_domain::group::Attendance;
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "group_session.html")]
struct SessionPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    csrf: String,
    v: SessionView,
    statuses: Vec<(&'static str, &'static str)>,
    /// The shared note as typed, when a save was refused.
    shared_note: String,
    message: Option<String>,
    notice: Option<&'static str>,
}

impl SessionPage {
    /// Whether this member is the one speaking now.
    fn speaking(&self, client: &ClientId) -> bool {
        self.v.talk.speaking.as_ref() == Some(client)
    }

    /// Talk time as minutes and seconds.
    fn minutes(&self, seconds: &i64) -> String {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

fn page(s: &Staff, v: SessionView, typed: Option<String>, e: Option<&Error>) -> SessionPage {
    SessionPage {
        zone: s.zone(),
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        statuses: Attendance::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        shared_note: typed.unwrap_or_else(|| v.shared_note.clone().unwrap_or_default()),
        message: e.map(form_message),
        notice: None,
        v,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    signed: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Response {
    match st.app.get_group_session(&s.ctx, id).await {
        Ok(v) => {
            let mut p = page(&s, v, None, None);
            if q.signed.is_some() && p.v.signed {
                p.notice = Some("Signed and locked.");
            }
            p.into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// After a refused change: the session as it is now, with the reason (and the typed shared note kept).
pub(super) async fn refused(
    st: &AppState,
    s: &Staff,
    id: Uuid,
    e: Error,
    typed: Option<String>,
) -> Response {
    if !matches!(e, Error::Validation(_) | Error::Conflict(_)) {
        return error_page(e, &s.rid, Nav::of(s));
    }
    match st.app.get_group_session(&s.ctx, id).await {
        Ok(v) => {
            let status = crate::http::error::classify(&e).0;
            (status, page(s, v, typed, Some(&e))).into_response()
        }
        Err(other) => error_page(other, &s.rid, Nav::of(s)),
    }
}

/// A form of `_csrf`, `version` and per-member fields `<prefix><client id>`.
struct MemberForm {
    csrf: String,
    version: i32,
    shared_note: Option<String>,
    per_member: Vec<(ClientId, String)>,
}

impl MemberForm {
    fn parse(pairs: Vec<(String, String)>, prefix: &str) -> MemberForm {
        let mut f = MemberForm {
            csrf: String::new(),
            version: 0,
            shared_note: None,
            per_member: Vec::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "_csrf" => f.csrf = v,
                "version" => f.version = v.trim().parse().unwrap_or(0),
                "shared_note" => f.shared_note = Some(v),
                _ => {
                    if let Some(id) = k
                        .strip_prefix(prefix)
                        .and_then(|id| id.parse::<Uuid>().ok())
                    {
                        f.per_member.push((ClientId(id), v));
                    }
                }
            }
        }
        f
    }
}

pub async fn attendance(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = MemberForm::parse(pairs, "a.");
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = AttendanceInput {
        entries: f
            .per_member
            .into_iter()
            .map(|(client_id, status)| AttendanceEntry { client_id, status })
            .collect(),
    };
    match st.app.record_attendance(&s.ctx, id, f.version, input).await {
        Ok(_) => Redirect::to(&format!("/group-sessions/{id}#attendance")).into_response(),
        Err(e) => refused(&st, &s, id, e, None).await,
    }
}

pub async fn notes(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = MemberForm::parse(pairs, "n.");
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let typed = f.shared_note.clone();
    let input = NotesInput {
        shared_note: f.shared_note,
        individual_notes: f
            .per_member
            .into_iter()
            .map(|(client_id, note)| IndividualNote { client_id, note })
            .collect(),
    };
    match st.app.save_group_notes(&s.ctx, id, f.version, input).await {
        Ok(_) => Redirect::to(&format!("/group-sessions/{id}#notes")).into_response(),
        Err(e) => refused(&st, &s, id, e, typed).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct SignForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    version: i32,
}

pub async fn sign(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<SignForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.sign_group_session(&s.ctx, id, f.version).await {
        Ok(_) => Redirect::to(&format!("/group-sessions/{id}?signed=1")).into_response(),
        Err(e) => refused(&st, &s, id, e, None).await,
    }
}
