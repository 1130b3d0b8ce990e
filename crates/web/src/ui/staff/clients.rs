//! Dashboard, client list, client profile and form, clinician directory.

use super::{Nav, PagePath, error_page};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::clients::{ClientInput, ClientPage, ClientQuery, ClientView};
use rapport_domain::client::{ClientStatus, Contact};
use rapport_domain::{ClientId, Error, FieldError, Role, UserId};
use serde::Deserialize;
use uuid::Uuid;

fn can_register(s: &Staff) -> bool {
    s.rights.register_clients
}

#[derive(Template, WebTemplate)]
#[template(path = "clients.html")]
struct ClientList {
    nav: Option<Nav>,
    q: String,
    statuses: Vec<(&'static str, &'static str, bool)>,
    page: ClientPage,
    prev: Option<String>,
    next: Option<String>,
    can_register: bool,
}

fn status_options(selected: Option<&str>) -> Vec<(&'static str, &'static str, bool)> {
    ClientStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label(), Some(s.as_str()) == selected))
        .collect()
}

fn page_link(q: &ClientQuery, offset: u64) -> String {
    let mut url = format!("/clients?offset={offset}");
    if let Some(t) = q.q.as_deref().filter(|t| !t.is_empty()) {
        url.push_str(&format!("&q={}", urlencode(t)));
    }
    if let Some(s) = q.status.as_deref().filter(|t| !t.is_empty()) {
        url.push_str(&format!("&status={}", urlencode(s)));
    }
    url
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn list(
    State(st): State<AppState>,
    s: Staff,
    Query(mut q): Query<ClientQuery>,
) -> Response {
    q.limit = Some(q.limit.unwrap_or(50).clamp(1, 200));
    match st.app.search_clients(&s.ctx, &q).await {
        Ok(page) => {
            let prev =
                (page.offset > 0).then(|| page_link(&q, page.offset.saturating_sub(page.limit)));
            let next = (page.offset + (page.items.len() as u64) < page.total)
                .then(|| page_link(&q, page.offset + page.limit));
            ClientList {
                nav: Nav::of(&s),
                q: q.q.clone().unwrap_or_default(),
                statuses: status_options(q.status.as_deref()),
                page,
                prev,
                next,
                can_register: can_register(&s),
            }
            .into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// The client form as typed, so a rejected submission comes back with everything still filled in.
#[derive(Debug, Default, Deserialize)]
pub struct ClientForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    preferred_name: String,
    #[serde(default)]
    pronouns: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    guardian_name: String,
    #[serde(default)]
    guardian_relationship: String,
    #[serde(default)]
    guardian_phone: String,
    #[serde(default)]
    guardian_email: String,
    #[serde(default)]
    emergency_name: String,
    #[serde(default)]
    emergency_relationship: String,
    #[serde(default)]
    emergency_phone: String,
    #[serde(default)]
    emergency_email: String,
    presenting_problem: Option<String>,
    clinical_notes: Option<String>,
}

fn contact(name: &str, rel: &str, phone: &str, email: &str) -> Vec<Contact> {
    if [name, rel, phone, email]
        .iter()
        .all(|s| s.trim().is_empty())
    {
        return vec![];
    }
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
    vec![Contact {
        name: name.to_string(),
        relationship: opt(rel),
        phone: opt(phone),
        email: opt(email),
    }]
}

impl ClientForm {
    fn input(&self) -> ClientInput {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        ClientInput {
            legal_name: self.legal_name.clone(),
            preferred_name: opt(&self.preferred_name),
            pronouns: opt(&self.pronouns),
            date_of_birth: self.date_of_birth.clone(),
            email: opt(&self.email),
            phone: opt(&self.phone),
            time_zone: self.time_zone.clone(),
            status: opt(&self.status),
            guardians: contact(
                &self.guardian_name,
                &self.guardian_relationship,
                &self.guardian_phone,
                &self.guardian_email,
            ),
            emergency_contacts: contact(
                &self.emergency_name,
                &self.emergency_relationship,
                &self.emergency_phone,
                &self.emergency_email,
            ),
            presenting_problem: self.presenting_problem.clone(),
            clinical_notes: self.clinical_notes.clone(),
        }
    }

    fn from_view(c: &ClientView) -> Self {
        let first = |l: &[Contact]| l.first().cloned().unwrap_or_default();
        let g = first(&c.guardians);
        let e = first(&c.emergency_contacts);
        ClientForm {
            csrf: String::new(),
            version: c.version,
            legal_name: c.legal_name.clone(),
            preferred_name: c.preferred_name.clone().unwrap_or_default(),
            pronouns: c.pronouns.clone().unwrap_or_default(),
            date_of_birth: c.date_of_birth.to_string(),
            status: c.status.as_str().to_string(),
            email: c.email.clone().unwrap_or_default(),
            phone: c.phone.clone().unwrap_or_default(),
            time_zone: c.time_zone.clone(),
            guardian_name: g.name,
            guardian_relationship: g.relationship.unwrap_or_default(),
            guardian_phone: g.phone.unwrap_or_default(),
            guardian_email: g.email.unwrap_or_default(),
            emergency_name: e.name,
            emergency_relationship: e.relationship.unwrap_or_default(),
            emergency_phone: e.phone.unwrap_or_default(),
            emergency_email: e.email.unwrap_or_default(),
            presenting_problem: c
                .clinical
                .as_ref()
                .map(|x| x.presenting_problem.clone().unwrap_or_default()),
            clinical_notes: c
                .clinical
                .as_ref()
                .map(|x| x.clinical_notes.clone().unwrap_or_default()),
        }
    }
}

/// A field error as the form shows it: a link to the field and a readable label.
pub struct FormError {
    field: String,
    pub message: String,
}

impl FormError {
    pub fn field_id(&self) -> String {
        let f = self.field.split('[').next().unwrap_or("");
        match f {
            "guardians" => "guardian_name".into(),
            "emergency_contacts" => "emergency_name".into(),
            "" => "legal_name".into(),
            other => other.into(),
        }
    }

    pub fn label(&self) -> String {
        let s = self.field.replace('_', " ");
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "client_form.html")]
struct ClientFormPage {
    nav: Option<Nav>,
    heading: String,
    action: String,
    cancel: String,
    submit: &'static str,
    csrf: String,
    version: i32,
    f: ClientFormView,
    statuses: Vec<(&'static str, &'static str, bool)>,
    clinical: bool,
    errors: Vec<FormError>,
}

/// Template view of the form (plain strings, so the template stays simple).
struct ClientFormView {
    legal_name: String,
    preferred_name: String,
    pronouns: String,
    date_of_birth: String,
    email: String,
    phone: String,
    time_zone: String,
    guardian_name: String,
    guardian_relationship: String,
    guardian_phone: String,
    guardian_email: String,
    emergency_name: String,
    emergency_relationship: String,
    emergency_phone: String,
    emergency_email: String,
    presenting_problem: String,
    clinical_notes: String,
}

impl From<&ClientForm> for ClientFormView {
    fn from(f: &ClientForm) -> Self {
        ClientFormView {
            legal_name: f.legal_name.clone(),
            preferred_name: f.preferred_name.clone(),
            pronouns: f.pronouns.clone(),
            date_of_birth: f.date_of_birth.clone(),
            email: f.email.clone(),
            phone: f.phone.clone(),
            time_zone: f.time_zone.clone(),
            guardian_name: f.guardian_name.clone(),
            guardian_relationship: f.guardian_relationship.clone(),
            guardian_phone: f.guardian_phone.clone(),
            guardian_email: f.guardian_email.clone(),
            emergency_name: f.emergency_name.clone(),
            emergency_relationship: f.emergency_relationship.clone(),
            emergency_phone: f.emergency_phone.clone(),
            emergency_email: f.emergency_email.clone(),
            presenting_problem: f.presenting_problem.clone().unwrap_or_default(),
            clinical_notes: f.clinical_notes.clone().unwrap_or_default(),
        }
    }
}

fn errors_of(e: &Error) -> Vec<FormError> {
    match e {
        Error::Validation(v) => v
            .iter()
            .map(|FieldError { field, message }| FormError {
                field: field.clone(),
                message: message.clone(),
            })
            .collect(),
        other => vec![FormError {
            field: String::new(),
            message: super::form_message(other),
        }],
    }
}

fn form_page(
    s: &Staff,
    f: &ClientForm,
    existing: Option<ClientId>,
    clinical: bool,
    errors: Vec<FormError>,
) -> ClientFormPage {
    let (heading, action, cancel, submit) = match existing {
        Some(id) => (
            "Edit client".to_string(),
            format!("/clients/{id}"),
            format!("/clients/{id}"),
            "Save changes",
        ),
        None => (
            "New client".to_string(),
            "/clients".to_string(),
            "/clients".to_string(),
            "Create client",
        ),
    };
    ClientFormPage {
        nav: Nav::of(s),
        heading,
        action,
        cancel,
        submit,
        csrf: s.session.csrf_token.clone(),
        version: f.version,
        statuses: status_options(Some(if f.status.is_empty() {
            "inquiry"
        } else {
            f.status.as_str()
        })),
        f: f.into(),
        clinical,
        errors,
    }
}

pub async fn new_form(s: Staff) -> Response {
    if !can_register(&s) {
        return error_page(
            Error::Forbidden("you may not register clients".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    // Default the time zone to the user's own (a clinician's, else the practice's).
    let tz = s.zone().name().to_string();
    let f = ClientForm {
        time_zone: tz,
        ..Default::default()
    };
    let clinical = s.is(Role::Clinician);
    form_page(&s, &f, None, clinical, vec![]).into_response()
}

pub async fn create(State(st): State<AppState>, s: Staff, Form(f): Form<ClientForm>) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    match st.app.create_client(&s.ctx, f.input()).await {
        Ok(c) => Redirect::to(&format!("/clients/{}", c.id)).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let clinical = s.is(Role::Clinician);
            (
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&s, &f, None, clinical, errors_of(&e)),
            )
                .into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

pub async fn edit_form(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    match st.app.get_client(&s.ctx, ClientId(id)).await {
        Ok(c) => {
            if !c.rights.edit {
                return error_page(
                    Error::Forbidden("you may not change this client's details".into()),
                    &s.rid,
                    Nav::of(&s),
                );
            }
            let clinical = c.rights.edit_clinical;
            form_page(&s, &ClientForm::from_view(&c), Some(c.id), clinical, vec![]).into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

pub async fn update(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<ClientForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    match st
        .app
        .update_client(&s.ctx, ClientId(id), f.version, f.input())
        .await
    {
        Ok(_) => Redirect::to(&format!("/clients/{id}")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let clinical = f.presenting_problem.is_some() || f.clinical_notes.is_some();
            let status = crate::http::error::classify(&e).0;
            (
                status,
                form_page(&s, &f, Some(ClientId(id)), clinical, errors_of(&e)),
            )
                .into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    user_id: Uuid,
    #[serde(default)]
    team_role: String,
}

pub async fn add_to_team(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<TeamForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &s.rid,
            Nav::of(&s),
        );
    }
    match st
        .app
        .assign_care_team(&s.ctx, ClientId(id), UserId(f.user_id), &f.team_role)
        .await
    {
        Ok(()) => Redirect::to(&format!("/clients/{id}")).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
