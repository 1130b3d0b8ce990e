//! The client portal's pages (`/portal/…`): sign-in, the welcome page that turns an invitation into a password,
//! the people an account acts for, one person's coming appointments, and their record.
//!
//! Portal pages have their own layout (no staff navigation) and their own session cookie. Every read goes through
//! the portal's use cases, which ask the policy with `Actor::Portal`; a client the account holds no grant for is
//! "not found", exactly like an unknown one.

use super::{PagePath, error_page, form_message};
use crate::http::auth::{MaybePortal, PortalUser};
use crate::http::state::AppState;
use crate::http::state::Guarded;
use crate::ui::record::RecordPage;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::portal::{PortalClient, PortalPerson};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use uuid::Uuid;

/// What the portal layout needs for a signed-in account.
pub struct PortalNav {
    pub name: String,
    pub csrf: String,
}

impl PortalNav {
    fn of(u: &PortalUser) -> Option<PortalNav> {
        Some(PortalNav {
            name: u.session.display_name.clone(),
            csrf: u.session.csrf_token.clone(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_login.html")]
struct LoginPage {
    portal: Option<PortalNav>,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_page(p: MaybePortal) -> Response {
    if p.session.is_some() {
        return Redirect::to("/portal").into_response();
    }
    LoginPage {
        portal: None,
        email: String::new(),
        error: None,
    }
    .into_response()
}

pub async fn login(
    State(st): State<AppState>,
    p: MaybePortal,
    Form(f): Form<LoginForm>,
) -> Response {
    let attempt = match st.check_sign_in_rate(Guarded::PortalPassword, p.ip, &f.email) {
        Ok(()) => {
            st.app
                .portal_login(&f.email, &f.password, Some(&p.rid.0))
                .await
        }
        Err(e) => Err(e),
    };
    match attempt {
        Ok(token) => {
            if let Some(old) = &p.session {
                let _ = st.app.portal_logout(old, Some(&p.rid.0)).await;
            }
            (
                [(header::SET_COOKIE, st.portal_cookie(&token))],
                Redirect::to("/portal"),
            )
                .into_response()
        }
        Err(e) if e.is_server_fault() => error_page(e, &p.rid, None),
        Err(e) => {
            let (status, message) = match &e {
                Error::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    "The e-mail address or password is not right.".to_string(),
                ),
                other => (crate::http::error::classify(other).0, form_message(other)),
            };
            (
                status,
                LoginPage {
                    portal: None,
                    email: f.email,
                    error: Some(message),
                },
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    u: PortalUser,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !u.csrf_ok(&f.csrf) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &u.rid,
            None,
        );
    }
    if let Err(e) = st.app.portal_logout(&u.session, Some(&u.rid.0)).await {
        return error_page(e, &u.rid, None);
    }
    (
        [(header::SET_COOKIE, st.clear_portal_cookie())],
        Redirect::to("/portal/login"),
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_welcome.html")]
struct WelcomePage {
    portal: Option<PortalNav>,
    token: String,
    name: String,
    email: String,
    expires: String,
    password_error: Option<String>,
    confirm_error: Option<String>,
    problems: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    password: String,
    confirm: String,
}

/// An unknown, used or expired invitation: a plain page that says nothing about whom it was for.
fn spent_invitation(p: &MaybePortal) -> Response {
    error_page(Error::NotFound, &p.rid, None)
}

pub async fn welcome_page(
    State(st): State<AppState>,
    p: MaybePortal,
    PagePath(token): PagePath<String>,
) -> Response {
    match st.app.portal_invitation(&token).await {
        Ok(inv) => WelcomePage {
            portal: None,
            token,
            name: inv.display_name,
            email: inv.email,
            expires: crate::when::Zone::named(&inv.time_zone).stamp(inv.expires_at),
            password_error: None,
            confirm_error: None,
            problems: vec![],
        }
        .into_response(),
        Err(Error::NotFound) => spent_invitation(&p),
        Err(e) => error_page(e, &p.rid, None),
    }
}

pub async fn welcome(
    State(st): State<AppState>,
    p: MaybePortal,
    PagePath(token): PagePath<String>,
    Form(f): Form<WelcomeForm>,
) -> Response {
    if let Err(e) = st.check_rate(Guarded::PortalWelcome, p.ip) {
        return error_page(e, &p.rid, None);
    }
    match st
        .app
        .accept_portal_invitation(&token, &f.password, &f.confirm, Some(&p.rid.0))
        .await
    {
        Ok(session) => (
            [(header::SET_COOKIE, st.portal_cookie(&session))],
            Redirect::to("/portal"),
        )
            .into_response(),
        Err(Error::NotFound) => spent_invitation(&p),
        Err(Error::Validation(fields)) => {
            let Ok(inv) = st.app.portal_invitation(&token).await else {
                return spent_invitation(&p);
            };
            let of = |name: &str| {
                fields
                    .iter()
                    .find(|e| e.field == name)
                    .map(|e| e.message.clone())
            };
            let problems = fields
                .iter()
                .map(|e| {
                    let anchor = if e.field == "confirm" {
                        "confirm"
                    } else {
                        "password"
                    };
                    (anchor.to_string(), e.message.clone())
                })
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                WelcomePage {
                    portal: None,
                    token,
                    name: inv.display_name,
                    email: inv.email,
                    expires: crate::when::Zone::named(&inv.time_zone).stamp(inv.expires_at),
                    password_error: of("password"),
                    confirm_error: of("confirm"),
                    problems,
                },
            )
                .into_response()
        }
        Err(e) => error_page(e, &p.rid, None),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_home.html")]
struct HomePage {
    portal: Option<PortalNav>,
    name: String,
    people: Vec<PortalPerson>,
}

pub async fn home(State(st): State<AppState>, u: PortalUser) -> Response {
    match st.app.portal_people(&u.ctx).await {
        // One person only (the usual case): straight to their page.
        Ok(people) if people.len() == 1 => {
            Redirect::to(&format!("/portal/clients/{}", people[0].client_id)).into_response()
        }
        Ok(people) => HomePage {
            portal: PortalNav::of(&u),
            name: u.session.display_name.clone(),
            people,
        }
        .into_response(),
        Err(e) => error_page(e, &u.rid, None),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_client.html")]
struct ClientPage {
    portal: Option<PortalNav>,
    v: PortalClient,
    csrf: String,
    notice: Option<String>,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn client_page(
    st: &AppState,
    u: &PortalUser,
    id: Uuid,
    notice: Option<String>,
    problem: Option<&Error>,
) -> Response {
    match st.app.portal_client(&u.ctx, ClientId(id)).await {
        Ok(v) => (
            problem.map_or(StatusCode::OK, |e| crate::http::error::classify(e).0),
            ClientPage {
                portal: PortalNav::of(u),
                v,
                csrf: u.session.csrf_token.clone(),
                notice,
                problem: problem.map(form_message),
            },
        )
            .into_response(),
        Err(e) => error_page(e, &u.rid, None),
    }
}

pub async fn client(
    State(st): State<AppState>,
    u: PortalUser,
    PagePath(id): PagePath<Uuid>,
    Query(d): Query<Done>,
) -> Response {
    let notice = (d.done.as_deref() == Some("cancelled"))
        .then(|| "The appointment is cancelled. The practice has been told.".to_string());
    client_page(&st, &u, id, notice, None).await
}

pub async fn cancel(
    State(st): State<AppState>,
    u: PortalUser,
    PagePath((id, appointment)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !u.csrf_ok(&f.csrf) {
        return error_page(
            Error::Forbidden("the form expired; reload the page and try again".into()),
            &u.rid,
            None,
        );
    }
    match st
        .app
        .portal_cancel(&u.ctx, ClientId(id), appointment)
        .await
    {
        Ok(()) => Redirect::to(&format!("/portal/clients/{id}?done=cancelled")).into_response(),
        Err(e @ Error::Conflict(_)) => client_page(&st, &u, id, None, Some(&e)).await,
        Err(e) => error_page(e, &u.rid, None),
    }
}

pub async fn record(
    State(st): State<AppState>,
    u: PortalUser,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    match st.app.portal_record(&u.ctx, ClientId(id)).await {
        Ok(r) => RecordPage {
            // The portal reader is the client or someone acting for them: the client's own zone.
            zone: crate::when::Zone::named(&r.client.time_zone),
            back: format!("/portal/clients/{id}"),
            back_label: "Back to the portal",
            r,
        }
        .into_response(),
        Err(e) => error_page(e, &u.rid, None),
    }
}
