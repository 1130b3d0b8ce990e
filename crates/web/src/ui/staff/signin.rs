//! Sign-in pages: password, the second step (a TOTP code or a passkey; TOTP enrolment), password change, sign-out.

use super::{Nav, error_page, form_message};
use crate::http::auth::{AnySession, next_step};
use crate::http::state::AppState;
use crate::http::state::Guarded;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::secrets::constant_time_eq;
use rapport_domain::Error;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_page(s: AnySession) -> Response {
    if let Some(sess) = &s.session {
        return Redirect::to(next_step(sess).unwrap_or("/")).into_response();
    }
    LoginPage {
        nav: None,
        email: String::new(),
        error: None,
    }
    .into_response()
}

pub async fn login(
    State(st): State<AppState>,
    s: AnySession,
    Form(f): Form<LoginForm>,
) -> Response {
    let attempt = match st.check_sign_in_rate(Guarded::StaffPassword, s.ip, &f.email) {
        Ok(()) => st.app.login(&f.email, &f.password, Some(&s.rid.0)).await,
        Err(e) => Err(e),
    };
    match attempt {
        Ok(r) => {
            // A new session replaces any old one in this browser; the old id is useless from here on.
            if let Some(old) = &s.session {
                let _ = st.app.logout(old, Some(&s.rid.0)).await;
            }
            let next = match r.next {
                rapport_app::auth::NextStep::SecondFactor => "/mfa",
                rapport_app::auth::NextStep::EnrolTotp => "/mfa/setup",
                rapport_app::auth::NextStep::Done => "/",
            };
            (
                [(header::SET_COOKIE, st.session_cookie(&r.token))],
                Redirect::to(next),
            )
                .into_response()
        }
        Err(e) => {
            let (status, message) = match &e {
                Error::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    "The e-mail address or password is not right.".to_string(),
                ),
                other => (crate::http::error::classify(other).0, form_message(other)),
            };
            if e.is_server_fault() {
                return error_page(e, &s.rid, None);
            }
            (
                status,
                LoginPage {
                    nav: None,
                    email: f.email,
                    error: Some(message),
                },
            )
                .into_response()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "mfa.html")]
struct MfaPage {
    nav: Option<Nav>,
    csrf: String,
    /// The account has an authenticator app: offer its code.
    totp: bool,
    /// The account has a passkey: offer it (through `/static/passkey.js`).
    passkey: bool,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "mfa_setup.html")]
struct SetupPage {
    nav: Option<Nav>,
    csrf: String,
    secret: String,
    otpauth_url: String,
    /// The `otpauth://` link as a QR code (SVG markup made here, not from input), for the phone's camera.
    qr_svg: String,
    error: Option<String>,
}

/// The enrolment link as an SVG QR code: a phone's authenticator scans it, where typing 32 characters is error-prone.
/// Made on the server (no script), from a link Rapport composed; empty if it cannot be encoded.
fn qr_svg(otpauth_url: &str) -> String {
    match qrcode::QrCode::new(otpauth_url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build()
            .replacen("<?xml version=\"1.0\" standalone=\"yes\"?>", "", 1),
        Err(_) => String::new(),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    code: String,
}

fn csrf_ok(sess: &rapport_app::auth::SessionInfo, sent: &str) -> bool {
    constant_time_eq(sent.as_bytes(), sess.csrf_token.as_bytes())
}

fn csrf_failed(rid: &crate::http::request_id::RequestId) -> Response {
    error_page(
        Error::Forbidden("the form expired; go back, reload the page and try again".into()),
        rid,
        None,
    )
}

pub async fn mfa_page(s: AnySession) -> Response {
    match &s.session {
        Some(sess) if !sess.mfa_passed && (sess.totp_enabled || sess.passkey_offered) => MfaPage {
            nav: None,
            csrf: sess.csrf_token.clone(),
            totp: sess.totp_enabled,
            passkey: sess.passkey_offered,
            error: None,
        }
        .into_response(),
        Some(sess) => Redirect::to(next_step(sess).unwrap_or("/")).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

pub async fn mfa(State(st): State<AppState>, s: AnySession, Form(f): Form<CodeForm>) -> Response {
    let Some(sess) = &s.session else {
        return Redirect::to("/login").into_response();
    };
    if !csrf_ok(sess, &f.csrf) {
        return csrf_failed(&s.rid);
    }
    let r = match st.check_rate(Guarded::StaffCode, s.ip) {
        Ok(()) => st.app.verify_totp(sess, &f.code, Some(&s.rid.0)).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Redirect::to(if sess.must_change_password {
            "/account/password"
        } else {
            "/"
        })
        .into_response(),
        Err(e) if e.is_server_fault() => error_page(e, &s.rid, None),
        Err(e) => (
            crate::http::error::classify(&e).0,
            MfaPage {
                nav: None,
                csrf: sess.csrf_token.clone(),
                totp: sess.totp_enabled,
                passkey: sess.passkey_offered,
                error: Some(form_message(&e)),
            },
        )
            .into_response(),
    }
}

pub async fn setup_page(State(st): State<AppState>, s: AnySession) -> Response {
    let Some(sess) = &s.session else {
        return Redirect::to("/login").into_response();
    };
    // With an authenticator on, this page only confirms a replacement started from the account page, in a fully
    // signed-in session; the current authenticator works until then. With a passkey, the password alone never
    // sets up an authenticator either: that would add a second factor of the password holder's choosing.
    if (sess.totp_enabled || sess.passkey_offered) && !sess.mfa_passed {
        return Redirect::to(next_step(sess).unwrap_or("/")).into_response();
    }
    let enrolment = match st.app.pending_totp(sess).await {
        Ok(Some(e)) => Ok(e),
        Ok(None) if sess.totp_enabled => return Redirect::to("/account").into_response(),
        Ok(None) => st.app.begin_totp_enrolment(sess, Some(&s.rid.0)).await,
        Err(e) => Err(e),
    };
    match enrolment {
        Ok(e) => SetupPage {
            nav: None,
            csrf: sess.csrf_token.clone(),
            secret: e.secret_base32,
            qr_svg: qr_svg(&e.otpauth_url),
            otpauth_url: e.otpauth_url,
            error: None,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, None),
    }
}

pub async fn setup(State(st): State<AppState>, s: AnySession, Form(f): Form<CodeForm>) -> Response {
    let Some(sess) = &s.session else {
        return Redirect::to("/login").into_response();
    };
    if !csrf_ok(sess, &f.csrf) {
        return csrf_failed(&s.rid);
    }
    let r = match st.check_rate(Guarded::StaffCode, s.ip) {
        Ok(()) => {
            st.app
                .confirm_totp_enrolment(sess, &f.code, Some(&s.rid.0))
                .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Redirect::to(if sess.must_change_password {
            "/account/password"
        } else {
            "/"
        })
        .into_response(),
        Err(e) if e.is_server_fault() => error_page(e, &s.rid, None),
        Err(e) => {
            let p = match st.app.pending_totp(sess).await {
                Ok(Some(p)) => p,
                Ok(None) => return Redirect::to("/mfa/setup").into_response(),
                Err(e) => return error_page(e, &s.rid, None),
            };
            (
                crate::http::error::classify(&e).0,
                SetupPage {
                    nav: None,
                    csrf: sess.csrf_token.clone(),
                    secret: p.secret_base32,
                    qr_svg: qr_svg(&p.otpauth_url),
                    otpauth_url: p.otpauth_url,
                    error: Some(form_message(&e)),
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
    s: AnySession,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(sess) = &s.session {
        if !csrf_ok(sess, &f.csrf) {
            return csrf_failed(&s.rid);
        }
        if let Err(e) = st.app.logout(sess, Some(&s.rid.0)).await {
            return error_page(e, &s.rid, None);
        }
    }
    (
        [(header::SET_COOKIE, st.clear_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Option<Nav>,
    csrf: String,
    must_change: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    current_password: String,
    password: String,
}

pub async fn password_page(s: AnySession) -> Response {
    match &s.session {
        Some(sess) if sess.mfa_passed => PasswordPage {
            nav: None,
            csrf: sess.csrf_token.clone(),
            must_change: sess.must_change_password,
            error: None,
        }
        .into_response(),
        Some(sess) => Redirect::to(next_step(sess).unwrap_or("/login")).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

pub async fn password(
    State(st): State<AppState>,
    s: AnySession,
    Form(f): Form<PasswordForm>,
) -> Response {
    let Some(sess) = &s.session else {
        return Redirect::to("/login").into_response();
    };
    if !csrf_ok(sess, &f.csrf) {
        return csrf_failed(&s.rid);
    }
    match st
        .app
        .change_password(sess, &f.current_password, &f.password, Some(&s.rid.0))
        .await
    {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) if e.is_server_fault() => error_page(e, &s.rid, None),
        Err(e) => (
            crate::http::error::classify(&e).0,
            PasswordPage {
                nav: None,
                csrf: sess.csrf_token.clone(),
                must_change: sess.must_change_password,
                error: Some(form_message(&e)),
            },
        )
            .into_response(),
    }
}
