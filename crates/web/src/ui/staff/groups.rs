//! Group pages: the directory with a form for a new group, and one group's page (settings, facilitators, roster
//! with join and leave dates, its sessions and the form that starts one). The session screen is in
//! `group_sessions`.

use super::client_picker::{Choice, offered};
use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::client_choices::{ChoiceQuery, MAX_CHOICES};
use rapport_app::clinicians::ClinicianFilter;
use rapport_app::groups::{
    AppointmentChoice, GroupDetail, GroupInput, GroupView, LeaveInput, MemberInput, NewSession,
    SessionSummary,
};
use rapport_domain::group::GroupKind;
use rapport_domain::{ClientId, Error, UserId};
use serde::Deserialize;
use uuid::Uuid;

/// The group settings form as typed, so a refused submission comes back filled in.
#[derive(Debug, Default, Deserialize)]
pub struct GroupForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    facilitator: String,
    #[serde(default)]
    co_facilitator: String,
}

impl GroupForm {
    fn input(&self) -> GroupInput {
        let ids = [&self.facilitator, &self.co_facilitator]
            .into_iter()
            .filter_map(|s| s.trim().parse::<Uuid>().ok())
            .map(UserId)
            .collect();
        GroupInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            // A non-number becomes 0, which the capacity rule then refuses with its own message.
            capacity: self.capacity.trim().parse().unwrap_or(0),
            facilitator_ids: ids,
        }
    }

    fn of(g: &GroupDetail) -> Self {
        GroupForm {
            version: g.version,
            name: g.name.clone(),
            kind: g.kind.as_str().into(),
            capacity: g.capacity.to_string(),
            facilitator: g
                .facilitators
                .first()
                .map(|f| f.user_id.to_string())
                .unwrap_or_default(),
            co_facilitator: g
                .facilitators
                .get(1)
                .map(|f| f.user_id.to_string())
                .unwrap_or_default(),
            ..Default::default()
        }
    }
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    GroupKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect()
}

/// The facilitators one may choose, for whoever may choose them (else none, without asking the store).
async fn clinicians(
    st: &AppState,
    s: &Staff,
    wanted: bool,
) -> Result<Vec<(String, String)>, Error> {
    if !wanted {
        return Ok(vec![]);
    }
    Ok(st
        .app
        .list_clinicians(&s.ctx, &ClinicianFilter::default())
        .await?
        .into_iter()
        .map(|c| (c.user_id.to_string(), c.display_name))
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "groups.html")]
struct GroupsPage {
    nav: Option<Nav>,
    csrf: String,
    groups: Vec<GroupView>,
    can_create: bool,
    f: GroupForm,
    kinds: Vec<(&'static str, &'static str)>,
    clinicians: Vec<(String, String)>,
    message: Option<String>,
}

impl GroupsPage {
    /// A group's kind in words ("Psycho-education"), never its stored code.
    fn kind_words(&self, kind: &str) -> &'static str {
        rapport_domain::group::GroupKind::parse(kind)
            .map(|k| k.label())
            .unwrap_or("Other")
    }
}

async fn groups_page(st: &AppState, s: &Staff, f: GroupForm, message: Option<String>) -> Response {
    let groups = match st.app.list_groups(&s.ctx).await {
        Ok(g) => g,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let can_create = s.rights.create_groups;
    let f = if f.capacity.is_empty() {
        GroupForm {
            capacity: "12".into(),
            kind: "support".into(),
            facilitator: if s.ctx.actor.is_clinical() {
                s.session.user_id.to_string()
            } else {
                String::new()
            },
            ..f
        }
    } else {
        f
    };
    let status = if message.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let clinicians = match clinicians(st, s, can_create).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    (
        status,
        GroupsPage {
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            groups,
            can_create,
            kinds: kinds(),
            clinicians,
            f,
            message,
        },
    )
        .into_response()
}

pub async fn list(State(st): State<AppState>, s: Staff) -> Response {
    groups_page(&st, &s, GroupForm::default(), None).await
}

pub async fn create(State(st): State<AppState>, s: Staff, Form(f): Form<GroupForm>) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.create_group(&s.ctx, f.input()).await {
        Ok(g) => Redirect::to(&format!("/groups/{}", g.id)).into_response(),
        Err(e @ Error::Validation(_)) => groups_page(&st, &s, f, Some(form_message(&e))).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "group.html")]
struct GroupPage {
    nav: Option<Nav>,
    csrf: String,
    g: GroupDetail,
    f: GroupForm,
    kinds: Vec<(&'static str, &'static str)>,
    clinicians: Vec<(String, String)>,
    /// Clients that can be added (visible to the caller, not on the roster now), for the search `q`, each with its
    /// date of birth; former members are also offered on their roster line.
    candidates: Vec<Choice>,
    /// How many clients match and how many are offered: the list is never cut short silently.
    candidates_line: String,
    q: String,
    today: String,
    sessions: Option<Vec<SessionSummary>>,
    appointments: Vec<AppointmentChoice>,
    message: Option<String>,
}

/// The clients matching `q` that have never been on the roster (a former member rejoins on their roster line), and
/// the line saying how many match.
async fn candidates(st: &AppState, s: &Staff, g: &GroupDetail, q: &str) -> (Vec<Choice>, String) {
    let query = ChoiceQuery {
        q: q.to_string(),
        chosen: vec![],
        limit: MAX_CHOICES,
    };
    match st.app.client_choices(&s.ctx, &query).await {
        Ok(found) => {
            let (matches, mut line) = offered(q, found.matches, found.total);
            let shown = matches.len();
            let addable: Vec<Choice> = matches
                .into_iter()
                .filter(|c| !g.members.iter().any(|m| m.client_id == c.id))
                .map(Choice::from)
                .collect();
            if addable.len() < shown {
                line.push_str(
                    " Clients on the roster are left out (a former member rejoins on their line).",
                );
            }
            (addable, line)
        }
        Err(e) => {
            if e.is_server_fault() {
                tracing::error!(request_id = %s.rid.0, error = %e, "client search failed");
            }
            let line = format!(
                "The search did not work ({}). Request id {}.",
                form_message(&e),
                s.rid.0
            );
            (vec![], line)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    q: String,
}

async fn group_page(
    st: &AppState,
    s: &Staff,
    id: Uuid,
    q: &str,
    f: Option<GroupForm>,
    e: Option<Error>,
) -> Response {
    let g = match st.app.get_group(&s.ctx, id).await {
        Ok(g) => g,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let (candidates, candidates_line) = if g.rights.edit {
        candidates(st, s, &g, q).await
    } else {
        (vec![], String::new())
    };
    let sessions = if g.rights.read_sessions {
        match st.app.list_group_sessions(&s.ctx, id).await {
            Ok(v) => Some(v),
            Err(e) => return error_page(e, &s.rid, Nav::of(s)),
        }
    } else {
        None
    };
    let appointments = if g.rights.run_sessions {
        let choices = match st.app.group_appointment_choices(&s.ctx, id).await {
            Ok(v) => v,
            Err(e) => return error_page(e, &s.rid, Nav::of(s)),
        };
        choices
            .into_iter()
            .filter(|a| a.session_id.is_none())
            .collect()
    } else {
        vec![]
    };
    let status = match &e {
        Some(e) => crate::http::error::classify(e).0,
        None => StatusCode::OK,
    };
    let clinicians = match clinicians(st, s, g.rights.edit).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    (
        status,
        GroupPage {
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            f: f.unwrap_or_else(|| GroupForm::of(&g)),
            kinds: kinds(),
            clinicians,
            candidates,
            candidates_line,
            q: q.to_string(),
            today: s.zone().date(rapport_app::clock::now_utc()).to_string(),
            sessions,
            appointments,
            message: e.as_ref().map(form_message),
            g,
        },
    )
        .into_response()
}

pub async fn show(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Response {
    group_page(&st, &s, id, &q.q, None, None).await
}

/// Refusals a form can show next to itself; anything else gets the error page.
fn shown_on_form(e: &Error) -> bool {
    matches!(e, Error::Validation(_) | Error::Conflict(_))
}

pub async fn update(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<GroupForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.update_group(&s.ctx, id, f.version, f.input()).await {
        Ok(_) => Redirect::to(&format!("/groups/{id}")).into_response(),
        Err(e) if shown_on_form(&e) => group_page(&st, &s, id, "", Some(f), Some(e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    client_id: Uuid,
    #[serde(default)]
    joined_on: String,
}

pub async fn add_member(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<MemberForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = MemberInput {
        client_id: ClientId(f.client_id),
        joined_on: Some(f.joined_on),
    };
    match st.app.add_group_member(&s.ctx, id, input).await {
        Ok(_) => Redirect::to(&format!("/groups/{id}#roster")).into_response(),
        Err(e) if shown_on_form(&e) => group_page(&st, &s, id, "", None, Some(e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Debug, Deserialize)]
pub struct LeaveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    left_on: String,
}

pub async fn leave(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, client)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<LeaveForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = LeaveInput {
        left_on: Some(f.left_on),
    };
    match st
        .app
        .leave_group(&s.ctx, id, ClientId(client), input)
        .await
    {
        Ok(_) => Redirect::to(&format!("/groups/{id}#roster")).into_response(),
        Err(e) if shown_on_form(&e) => group_page(&st, &s, id, "", None, Some(e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Debug, Deserialize)]
pub struct SessionForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    appointment_id: String,
}

pub async fn start_session(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<SessionForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let appointment_id = f.appointment_id.trim().parse::<Uuid>().ok();
    let input = NewSession {
        // An appointment gives its own date.
        date: Some(f.date).filter(|_| appointment_id.is_none()),
        appointment_id,
    };
    match st.app.create_group_session(&s.ctx, id, input).await {
        Ok(v) => Redirect::to(&format!("/group-sessions/{}", v.id)).into_response(),
        Err(e) if shown_on_form(&e) => group_page(&st, &s, id, "", None, Some(e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
