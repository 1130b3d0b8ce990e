//! The pages every audience shares: the error and status pages (also for errors raised outside the handlers), the
//! navigation they carry for a signed-in member of staff, the message a form shows for an error, and the path
//! extractor that answers a malformed id with the not-found page.

use crate::http::auth::Staff;
use crate::http::error::classify;
use crate::http::request_id::RequestId;
use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_domain::{Error, Role};

/// Path parameters for pages: one that does not parse (not a UUID) is a friendly 404 page, not a bare 400.
pub struct PagePath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S>
    for PagePath<T>
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(PagePath(v)),
            Err(_) => Err(error_page(
                Error::NotFound,
                &crate::http::auth::request_id(parts),
                None,
            )),
        }
    }
}

/// What the layout needs to draw the navigation for a signed-in user.
pub struct Nav {
    pub name: String,
    pub is_admin: bool,
    pub is_clinical: bool,
    /// Whether the policy lets this user see the register of record requests (front desk included).
    pub sees_record_requests: bool,
    /// Whether the policy lets this user read the on-call rota.
    pub sees_on_call: bool,
    /// Whether the policy lets this user see the referrals waiting for an answer.
    pub sees_open_referrals: bool,
    pub csrf: String,
    /// Where the user's times are: "Chicago", shown beside their name.
    pub place: String,
}

impl Nav {
    pub fn of(s: &Staff) -> Option<Nav> {
        Some(Nav {
            name: s.session.display_name.clone(),
            is_admin: s.is(Role::Admin),
            is_clinical: s.ctx.actor.is_clinical(),
            sees_record_requests: s.rights.see_record_requests,
            sees_on_call: s.rights.see_on_call,
            sees_open_referrals: s.rights.see_open_referrals,
            csrf: s.session.csrf_token.clone(),
            place: s.zone().place(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    heading: String,
    message: String,
    request_id: String,
}

/// The answer to a form whose CSRF token does not match the session (an old tab, or a forged post).
pub fn expired(s: &Staff) -> Response {
    error_page(
        Error::Forbidden("the form expired; reload the page and try again".into()),
        &s.rid,
        Nav::of(s),
    )
}

/// A friendly page for an error, with the request id to quote to support.
pub fn error_page(e: Error, rid: &RequestId, nav: Option<Nav>) -> Response {
    if e.is_server_fault() {
        tracing::error!(request_id = %rid.0, error = %e, "server fault");
    }
    let (status, _, message) = classify(&e);
    // A page has no fields to point at, so a validation error says what was wrong in so many words.
    let message = match &e {
        Error::Validation(_) => sentence(&form_message(&e)),
        _ => message,
    };
    status_page(status, message, rid, nav)
}

/// "unknown section; use …" as a sentence: capital first letter, full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The error page for a status and its message; also for errors raised outside the handlers
/// (`edge_errors`: a body too large, a wrong method, a refused cross-site post).
pub fn status_page(
    status: StatusCode,
    message: String,
    rid: &RequestId,
    nav: Option<Nav>,
) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "Changed by someone else",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::UNPROCESSABLE_ENTITY => "Please check the form",
        StatusCode::PAYLOAD_TOO_LARGE => "Too much at once",
        StatusCode::METHOD_NOT_ALLOWED => "Not possible here",
        StatusCode::BAD_REQUEST => "The request could not be read",
        _ => "Something went wrong",
    };
    let page = ErrorPage {
        nav,
        heading: heading.into(),
        message,
        request_id: rid.0.clone(),
    };
    (status, page).into_response()
}

/// The message for a form: the field errors in plain words, or the error's own message.
pub fn form_message(e: &Error) -> String {
    match e {
        Error::Validation(fields) => fields
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => classify(other).2,
    }
}
