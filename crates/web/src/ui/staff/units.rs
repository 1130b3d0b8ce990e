//! Couples and families in the staff UI: start one from a client's page, open it (members the caller may see,
//! joint notes), rename it, add and remove members with their role, end it.
//!
//! Choosing members is a plain search form (the client directory's own search, so it is never a capped list),
//! carrying the members picked so far in the address as `with`: it works without JavaScript, and each step is a
//! link or a form a keyboard reaches. Every change goes through one `app` use case, which asks the policy.

use super::{Nav, PagePath, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::clients::{ClientQuery, ClientSummary};
use rapport_app::notes::NewNote;
use rapport_app::units::{NewUnit, UnitMemberInput, UnitView};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use uuid::Uuid;

/// Roles offered as suggestions; any other word may be typed.
const ROLES: [&str; 7] = [
    "partner",
    "parent",
    "child",
    "sibling",
    "grandparent",
    "carer",
    "member",
];

/// How many search results a step shows; the page says how many matched in all.
const RESULTS: u64 = 20;

/// Refusals a form can show next to itself; anything else gets the error page.
fn shown_on_form(e: &Error) -> bool {
    matches!(e, Error::Validation(_) | Error::Conflict(_))
}

fn display_name(c: &ClientSummary) -> String {
    match &c.preferred_name {
        Some(p) => format!("{} ({p})", c.legal_name),
        None => c.legal_name.clone(),
    }
}

/// The ids in a `with` list; anything that is not an id is dropped (it could only come from an edited address).
fn parse_ids(raw: &str) -> Vec<ClientId> {
    let mut out: Vec<ClientId> = Vec::new();
    for id in raw.split(',').filter_map(|s| s.trim().parse::<Uuid>().ok()) {
        if !out.iter().any(|c| c.0 == id) {
            out.push(ClientId(id));
        }
    }
    out
}

fn join_ids(ids: impl IntoIterator<Item = ClientId>) -> String {
    ids.into_iter()
        .map(|c| c.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One client on the new-unit form: picked already, or found by the search.
struct Pick {
    id: ClientId,
    name: String,
    date_of_birth: String,
    is_minor: bool,
    /// The address that adds or removes this client, keeping the rest of the form's state.
    href: String,
    role: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "unit_new.html")]
struct NewUnitPage {
    nav: Option<Nav>,
    csrf: String,
    picked: Vec<Pick>,
    with: String,
    q: String,
    results: Option<Vec<Pick>>,
    total: u64,
    kind: String,
    label: String,
    roles: [&'static str; 7],
    message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    with: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    label: String,
}

/// What was typed into the create form, to show it again after a refusal.
#[derive(Default)]
struct Typed {
    kind: String,
    label: String,
    roles: Vec<(ClientId, String)>,
}

async fn new_unit_page(
    st: &AppState,
    s: &Staff,
    with: Vec<ClientId>,
    q: &str,
    typed: Typed,
    e: Option<Error>,
) -> Response {
    let picked = match st.app.unit_draft(&s.ctx, &with).await {
        Ok(p) => p,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let kept: Vec<ClientId> = picked.iter().map(|c| c.id).collect();
    let link = |ids: Vec<ClientId>| {
        let mut url = format!("/units/new?with={}", join_ids(ids));
        if !q.trim().is_empty() {
            url.push_str(&format!("&q={}", encode(q)));
        }
        for (k, v) in [("kind", &typed.kind), ("label", &typed.label)] {
            if !v.is_empty() {
                url.push_str(&format!("&{k}={}", encode(v)));
            }
        }
        url
    };
    let pick = |c: &ClientSummary, href: String| Pick {
        id: c.id,
        name: display_name(c),
        date_of_birth: c.date_of_birth.to_string(),
        is_minor: c.is_minor,
        href,
        role: typed
            .roles
            .iter()
            .find(|(id, _)| *id == c.id)
            .map(|(_, r)| r.clone())
            .unwrap_or_default(),
    };
    let (results, total): (Option<Vec<Pick>>, u64) = if q.trim().is_empty() {
        (None, 0)
    } else {
        let query = ClientQuery {
            q: Some(q.trim().to_string()),
            limit: Some(RESULTS),
            ..Default::default()
        };
        match st.app.search_clients(&s.ctx, &query).await {
            Ok(page) => (
                Some(
                    page.items
                        .iter()
                        .filter(|c| !kept.contains(&c.id))
                        .map(|c| {
                            let mut ids = kept.clone();
                            ids.push(c.id);
                            pick(c, link(ids))
                        })
                        .collect(),
                ),
                page.total,
            ),
            Err(e) => return error_page(e, &s.rid, Nav::of(s)),
        }
    };
    let picked: Vec<Pick> = picked
        .iter()
        .map(|c| {
            pick(
                c,
                link(kept.iter().copied().filter(|k| *k != c.id).collect()),
            )
        })
        .collect();
    let status = e
        .as_ref()
        .map(|e| crate::http::error::classify(e).0)
        .unwrap_or(StatusCode::OK);
    (
        status,
        NewUnitPage {
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            picked,
            with: join_ids(kept),
            q: q.to_string(),
            results,
            total,
            kind: typed.kind,
            label: typed.label,
            roles: ROLES,
            message: e.as_ref().map(form_message),
        },
    )
        .into_response()
}

pub async fn new_form(State(st): State<AppState>, s: Staff, Query(q): Query<NewQuery>) -> Response {
    let typed = Typed {
        kind: q.kind,
        label: q.label,
        roles: vec![],
    };
    new_unit_page(&st, &s, parse_ids(&q.with), &q.q, typed, None).await
}

/// The create form's fields in order: `member` and `role` repeat, one pair per member.
pub async fn create(
    State(st): State<AppState>,
    s: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !s.csrf_ok(&field("_csrf")) {
        return expired(&s);
    }
    let members: Vec<ClientId> = fields
        .iter()
        .filter(|(k, _)| k == "member")
        .filter_map(|(_, v)| v.parse::<Uuid>().ok().map(ClientId))
        .collect();
    let roles: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, v)| v.clone())
        .collect();
    let typed = Typed {
        kind: field("kind"),
        label: field("label"),
        roles: members.iter().copied().zip(roles.iter().cloned()).collect(),
    };
    let input = NewUnit {
        kind: typed.kind.clone(),
        label: typed.label.clone(),
        members: members
            .iter()
            .enumerate()
            .map(|(i, c)| UnitMemberInput {
                client_id: *c,
                role: roles.get(i).cloned(),
            })
            .collect(),
    };
    match st.app.create_unit(&s.ctx, input).await {
        Ok(u) => Redirect::to(&format!("/units/{}", u.id)).into_response(),
        Err(e) if shown_on_form(&e) => new_unit_page(&st, &s, members, "", typed, Some(e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "unit.html")]
struct UnitPage {
    /// The zone the reader sees dates in.
    zone: crate::when::Zone,
    nav: Option<Nav>,
    csrf: String,
    u: UnitView,
    templates: Vec<(String, String)>,
    today: String,
    q: String,
    /// Clients that can be added, for the search `q` (visible to the caller, not members now).
    candidates: Vec<Pick>,
    total: u64,
    roles: [&'static str; 7],
    message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    q: String,
}

async fn unit_page(st: &AppState, s: &Staff, id: Uuid, q: &str, e: Option<Error>) -> Response {
    let u = match st.app.get_unit(&s.ctx, id).await {
        Ok(u) => u,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let templates = if u.can_write_notes {
        match st.app.note_templates(&s.ctx).await {
            Ok(ts) => ts
                .into_iter()
                .filter(|t| !t.kind.is_psychotherapy())
                .map(|t| (t.key, t.label))
                .collect(),
            Err(e) => return error_page(e, &s.rid, Nav::of(s)),
        }
    } else {
        vec![]
    };
    let (candidates, total): (Vec<Pick>, u64) = if u.rights.edit && !q.trim().is_empty() {
        let query = ClientQuery {
            q: Some(q.trim().to_string()),
            limit: Some(RESULTS),
            ..Default::default()
        };
        match st.app.search_clients(&s.ctx, &query).await {
            Ok(page) => (
                page.items
                    .iter()
                    .filter(|c| !u.members.iter().any(|m| m.client_id == c.id))
                    .map(|c| Pick {
                        id: c.id,
                        name: display_name(c),
                        date_of_birth: c.date_of_birth.to_string(),
                        is_minor: c.is_minor,
                        href: String::new(),
                        role: String::new(),
                    })
                    .collect(),
                page.total,
            ),
            Err(e) => return error_page(e, &s.rid, Nav::of(s)),
        }
    } else {
        (vec![], 0)
    };
    let status = e
        .as_ref()
        .map(|e| crate::http::error::classify(e).0)
        .unwrap_or(StatusCode::OK);
    (
        status,
        UnitPage {
            zone: s.zone(),
            nav: Nav::of(s),
            csrf: s.session.csrf_token.clone(),
            u,
            templates,
            today: s.zone().date(rapport_app::clock::now_utc()).to_string(),
            q: q.to_string(),
            candidates,
            total,
            roles: ROLES,
            message: e.as_ref().map(form_message),
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
    unit_page(&st, &s, id, &q.q, None).await
}

/// After a change: back to the unit, or the unit with the refusal shown above its forms.
async fn after_change(
    st: &AppState,
    s: &Staff,
    id: Uuid,
    r: rapport_domain::Result<UnitView>,
    anchor: &str,
) -> Response {
    match r {
        Ok(_) => Redirect::to(&format!("/units/{id}{anchor}")).into_response(),
        Err(e) if shown_on_form(&e) => unit_page(st, s, id, "", Some(e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(s)),
    }
}

#[derive(Debug, Deserialize)]
pub struct LabelForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    label: String,
}

pub async fn rename(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<LabelForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = st.app.rename_unit(&s.ctx, id, &f.label).await;
    after_change(&st, &s, id, r, "").await
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    role: String,
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
    let r = match f.client_id.parse::<Uuid>() {
        Ok(c) => {
            st.app
                .add_unit_member(&s.ctx, id, ClientId(c), Some(&f.role))
                .await
        }
        Err(_) => Err(Error::invalid("client_id", "choose a client to add")),
    };
    after_change(&st, &s, id, r, "#members").await
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    role: String,
}

pub async fn set_role(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, client)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<RoleForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = st
        .app
        .set_unit_member_role(&s.ctx, id, ClientId(client), &f.role)
        .await;
    after_change(&st, &s, id, r, "#members").await
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn remove_member(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, client)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = st
        .app
        .remove_unit_member(&s.ctx, id, ClientId(client))
        .await;
    after_change(&st, &s, id, r, "#members").await
}

pub async fn end(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = st.app.end_unit(&s.ctx, id).await;
    after_change(&st, &s, id, r, "").await
}

#[derive(Debug, Deserialize)]
pub struct JointNoteForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    template: String,
    #[serde(default)]
    service_date: String,
}

pub async fn create_joint(
    State(st): State<AppState>,
    s: Staff,
    PagePath(unit): PagePath<Uuid>,
    Form(f): Form<JointNoteForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = NewNote {
        template: f.template,
        service_date: Some(f.service_date),
        ..Default::default()
    };
    match st.app.create_joint_note(&s.ctx, unit, input).await {
        Ok(n) => Redirect::to(&format!("/notes/{}", n.id)).into_response(),
        Err(e) if shown_on_form(&e) => unit_page(&st, &s, unit, "", Some(e)).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
