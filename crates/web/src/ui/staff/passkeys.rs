//! Passkeys in the staff UI: the JSON steps `/static/passkey.js` calls around `navigator.credentials.create` and
//! `.get` (options, then the browser's answer) — adding one, the second sign-in step, signing in with a passkey
//! alone — and the form that removes one from the account page.
//!
//! The JSON steps are same-origin `fetch` calls carrying the session cookie and the session's CSRF token in
//! `X-CSRF-Token` (as cookie-authenticated API writes do); errors come back in the API's JSON shape, so the script
//! can show the message. The answer's shape is checked by the use case (`rapport_app::auth::passkeys`), not here.

use super::{Nav, error_page, expired, form_message};
use crate::http::auth::{AnySession, Staff};
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::request_id::RequestId;
use crate::http::state::{AppState, Guarded};
use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_app::auth::SessionInfo;
use rapport_app::secrets::constant_time_eq;
use rapport_domain::Error;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// The session, if the request carries its CSRF token; otherwise the JSON error to answer.
fn session_with_csrf<'a>(
    s: &'a AnySession,
    headers: &HeaderMap,
) -> Result<&'a SessionInfo, Box<Response>> {
    let Some(sess) = &s.session else {
        return Err(Box::new(
            ApiError::from_domain(Error::Unauthenticated, &s.rid).into_response(),
        ));
    };
    let sent = headers
        .get("x-csrf-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !constant_time_eq(sent, sess.csrf_token.as_bytes()) {
        return Err(Box::new(
            ApiError::edge(
                StatusCode::FORBIDDEN,
                "csrf",
                "The page expired; reload it and try again.",
                &s.rid,
            )
            .into_response(),
        ));
    }
    Ok(sess)
}

fn answer(r: Result<Value, Error>, rid: &RequestId) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => ApiError::from_domain(e, rid).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationStart {
    password: String,
}

/// `POST /account/passkeys/options`: the password again, then the options for `navigator.credentials.create`.
pub async fn registration_options(
    State(st): State<AppState>,
    s: AnySession,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegistrationStart>,
) -> Response {
    let sess = match session_with_csrf(&s, &headers) {
        Ok(sess) => sess,
        Err(r) => return *r,
    };
    let r = match st.check_rate(Guarded::Reauthenticate, s.ip) {
        Ok(()) => {
            st.app
                .passkey_registration_options(sess, &body.password, Some(&s.rid.0))
                .await
        }
        Err(e) => Err(e),
    };
    answer(r, &s.rid)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationFinish {
    name: String,
    credential: Value,
}

/// `POST /account/passkeys`: the authenticator's answer; 201 with the new passkey's id and name.
pub async fn register(
    State(st): State<AppState>,
    s: AnySession,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegistrationFinish>,
) -> Response {
    let sess = match session_with_csrf(&s, &headers) {
        Ok(sess) => sess,
        Err(r) => return *r,
    };
    match st
        .app
        .finish_passkey_registration(sess, &body.name, body.credential, Some(&s.rid.0))
        .await
    {
        Ok(p) => (
            StatusCode::CREATED,
            Json(json!({"id": p.id, "name": p.name})),
        )
            .into_response(),
        Err(e) => ApiError::from_domain(e, &s.rid).into_response(),
    }
}

/// `POST /mfa/passkey/options`: after the password, the options for `navigator.credentials.get`.
pub async fn sign_in_options(
    State(st): State<AppState>,
    s: AnySession,
    headers: HeaderMap,
) -> Response {
    let sess = match session_with_csrf(&s, &headers) {
        Ok(sess) => sess,
        Err(r) => return *r,
    };
    let r = match st.check_rate(Guarded::StaffCode, s.ip) {
        Ok(()) => st.app.passkey_sign_in_options(sess).await,
        Err(e) => Err(e),
    };
    answer(r, &s.rid)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInFinish {
    credential: Value,
}

/// `POST /mfa/passkey`: the authenticator's answer; on success, where to go next.
pub async fn sign_in(
    State(st): State<AppState>,
    s: AnySession,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignInFinish>,
) -> Response {
    let sess = match session_with_csrf(&s, &headers) {
        Ok(sess) => sess,
        Err(r) => return *r,
    };
    let r = match st.check_rate(Guarded::StaffCode, s.ip) {
        Ok(()) => {
            st.app
                .finish_passkey_sign_in(sess, body.credential, Some(&s.rid.0))
                .await
        }
        Err(e) => Err(e),
    };
    answer(
        r.map(|()| {
            let next = if sess.must_change_password {
                "/account/password"
            } else {
                "/"
            };
            json!({ "next": next })
        }),
        &s.rid,
    )
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    password: String,
}

/// `POST /account/passkeys/{id}/remove`: the password again, then the passkey is gone.
pub async fn remove(
    State(st): State<AppState>,
    s: Staff,
    super::PagePath(id): super::PagePath<Uuid>,
    Form(f): Form<RemoveForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = match st.check_rate(Guarded::Reauthenticate, s.ip) {
        Ok(()) => {
            st.app
                .remove_passkey(&s.session, id, &f.password, Some(&s.rid.0))
                .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => super::account::page(&st, &s, None, Some("Passkey removed.".into()), None).await,
        Err(e @ (Error::Validation(_) | Error::RateLimited { .. })) => (
            crate::http::error::classify(&e).0,
            super::account::page(&st, &s, None, None, Some(form_message(&e))).await,
        )
            .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// `POST /login/passkey/options`: the options for signing in with a passkey alone, and the handle to send back.
/// Nobody is signed in yet, so there is no CSRF token; the same-origin check and the sign-in rate limit apply.
pub async fn passwordless_options(State(st): State<AppState>, s: AnySession) -> Response {
    let r = match st.check_rate(Guarded::StaffPassword, s.ip) {
        Ok(()) => st.app.passwordless_options().await,
        Err(e) => Err(e),
    };
    answer(
        r.map(|start| {
            let mut options = start.options;
            options["handle"] = Value::from(start.handle);
            options
        }),
        &s.rid,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordlessFinish {
    handle: String,
    credential: Value,
}

/// `POST /login/passkey`: the answer; on success a new session cookie (replacing this browser's old session) and
/// where to go next.
pub async fn passwordless_sign_in(
    State(st): State<AppState>,
    s: AnySession,
    ApiJson(body): ApiJson<PasswordlessFinish>,
) -> Response {
    let r = match st.check_rate(Guarded::StaffPassword, s.ip) {
        Ok(()) => {
            st.app
                .passwordless_sign_in(&body.handle, body.credential, Some(&s.rid.0))
                .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(login) => {
            if let Some(old) = &s.session {
                let _ = st.app.logout(old, Some(&s.rid.0)).await;
            }
            (
                [(header::SET_COOKIE, st.session_cookie(&login.token))],
                Json(json!({ "next": "/" })),
            )
                .into_response()
        }
        Err(e) => ApiError::from_domain(e, &s.rid).into_response(),
    }
}
