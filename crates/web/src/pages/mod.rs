//! The staff web UI: server-rendered pages (askama, auto-escaped), plain forms with CSRF tokens; scripts only where
//! a browser API needs them (the note editor's autosave, passkeys), served from our origin.

mod account;
mod admin;
mod alerts;
mod availability;
mod booking;
mod caseload;
mod client_behaviour;
mod client_measures;
mod client_picker;
mod clients;
mod diary;
mod emergency;
mod group_sessions;
mod groups;
mod home;
mod measure_entry;
mod measures;
mod medications;
mod new_appointment;
mod notes;
mod on_call;
mod passkeys;
mod plans;
mod portal;
mod portal_access;
mod records;
mod referrals;
mod safety;
mod schedule;
mod signin;
mod units;
mod waitlist;

use crate::auth::Staff;
use crate::error::classify;
use crate::request_id::RequestId;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rapport_domain::{Error, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(signin::login_page).post(signin::login))
        .route("/mfa", get(signin::mfa_page).post(signin::mfa))
        .route("/mfa/setup", get(signin::setup_page).post(signin::setup))
        .route("/logout", post(signin::logout))
        .route("/account", get(account::show))
        .route("/account/authenticator", post(account::new_authenticator))
        .route(
            "/login/passkey/options",
            post(passkeys::passwordless_options),
        )
        .route("/login/passkey", post(passkeys::passwordless_sign_in))
        .route("/mfa/passkey/options", post(passkeys::sign_in_options))
        .route("/mfa/passkey", post(passkeys::sign_in))
        .route(
            "/account/passkeys/options",
            post(passkeys::registration_options),
        )
        .route("/account/passkeys", post(passkeys::register))
        .route("/account/passkeys/{id}/remove", post(passkeys::remove))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route(
            "/account/password",
            get(signin::password_page).post(signin::password),
        )
        .route("/", get(home::dashboard))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/new", get(clients::new_form))
        .route("/clients/{id}", get(clients::show).post(clients::update))
        .route("/clients/{id}/edit", get(clients::edit_form))
        .route("/clients/{id}/care-team", post(clients::add_to_team))
        .route("/clients/{id}/access-log", get(admin::client_access_log))
        .route("/clients/{id}/notes", post(notes::create))
        .route("/notes", get(notes::dashboard))
        .route("/notes/{id}", get(notes::show).post(notes::save))
        .route("/notes/{id}/autosave", post(notes::autosave))
        .route(
            "/notes/{id}/sign",
            get(notes::sign_dialog).post(notes::sign),
        )
        .route("/notes/{id}/addenda", post(notes::add_addendum))
        .route("/notes/{id}/cosign", post(notes::cosign))
        .route("/notes/{id}/take-over", post(notes::take_over))
        .route("/notes/{id}/share", post(notes::share))
        .route("/notes/{id}/print", get(notes::print))
        .route("/notes/{id}/release-consent", post(notes::release_consent))
        .route("/notes/{id}/release", post(notes::release))
        .route("/units", post(units::create))
        .route("/units/new", get(units::new_form))
        .route("/units/{id}", get(units::show).post(units::rename))
        .route("/units/{id}/notes", post(units::create_joint))
        .route("/units/{id}/members", post(units::add_member))
        .route("/units/{id}/members/{client_id}", post(units::set_role))
        .route(
            "/units/{id}/members/{client_id}/remove",
            post(units::remove_member),
        )
        .route("/units/{id}/end", post(units::end))
        .route("/clients/{id}/chart", get(notes::chart))
        .route("/clients/{id}/export", get(records::export))
        .route("/clients/{id}/export.json", get(records::export_json))
        .route("/clients/{id}/record-requests", post(records::log))
        .route("/record-requests", get(records::list))
        .route("/record-requests/{id}/fulfil", post(records::fulfil))
        .route("/record-requests/{id}/deny", post(records::deny))
        .route("/record-requests/{id}/extend", post(records::extend))
        .route("/clients/{id}/plans", post(plans::create))
        .route(
            "/clients/{id}/medications",
            get(medications::show).post(medications::add),
        )
        .route("/medications/{id}/stop", post(medications::stop))
        .route(
            "/clients/{id}/referrals",
            get(referrals::show).post(referrals::refer),
        )
        .route("/referrals/{id}/status", post(referrals::move_to))
        .route(
            "/clients/{id}/safety-plan",
            get(safety::show).post(safety::save),
        )
        .route(
            "/clients/{id}/measures/assign",
            get(client_measures::assign_form).post(client_measures::assign),
        )
        .route(
            "/clients/{id}/measures/assignments/{assignment_id}/stop",
            post(client_measures::stop),
        )
        .route(
            "/clients/{id}/measures/enter",
            get(measure_entry::enter_form).post(measure_entry::enter),
        )
        .route(
            "/clients/{id}/measures.csv",
            get(client_measures::export_csv),
        )
        .route(
            "/clients/{id}/behaviours",
            get(client_behaviour::new_behaviour).post(client_behaviour::add_behaviour),
        )
        .route(
            "/clients/{id}/behaviours/{behaviour_id}/retire",
            post(client_behaviour::retire),
        )
        .route(
            "/clients/{id}/homework",
            get(client_behaviour::new_homework).post(client_behaviour::add_homework),
        )
        .route(
            "/clients/{id}/diary-link",
            post(client_behaviour::send_link),
        )
        .route(
            "/clients/{id}/diary-link/revoke",
            post(client_behaviour::revoke_link),
        )
        .route(
            "/homework/{id}/status",
            post(client_behaviour::homework_status),
        )
        .route("/plans/{id}", get(plans::show))
        .route("/plans/{id}/edit", get(plans::edit).post(plans::save))
        .route("/plans/{id}/{step}", post(plans::step))
        .route("/clinicians", get(home::clinicians))
        .route("/groups", get(groups::list).post(groups::create))
        .route("/groups/{id}", get(groups::show).post(groups::update))
        .route("/groups/{id}/members", post(groups::add_member))
        .route(
            "/groups/{id}/members/{client_id}/leave",
            post(groups::leave),
        )
        .route("/groups/{id}/sessions", post(groups::start_session))
        .route("/group-sessions/{id}", get(group_sessions::show))
        .route(
            "/group-sessions/{id}/attendance",
            post(group_sessions::attendance),
        )
        .route("/group-sessions/{id}/notes", post(group_sessions::notes))
        .route("/group-sessions/{id}/talk", post(group_sessions::talk))
        .route("/group-sessions/{id}/sign", post(group_sessions::sign))
        .route("/clinicians/{id}", get(home::clinician))
        .route("/clinicians/{id}/availability", get(availability::show))
        .route(
            "/clinicians/{id}/availability/hours",
            post(availability::save_hours),
        )
        .route(
            "/clinicians/{id}/availability/online",
            post(availability::save_online),
        )
        .route(
            "/clinicians/{id}/availability/exceptions",
            post(availability::add_exception),
        )
        .route(
            "/clinicians/{id}/availability/exceptions/{exception}/remove",
            post(availability::remove_exception),
        )
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}/{action}", post(admin::user_action))
        .route("/admin/audit", get(admin::audit))
        .route("/calendar", get(schedule::calendar))
        .route("/appointments", post(new_appointment::book))
        .route("/appointments/new", get(new_appointment::new_appointment))
        .route("/appointments/{id}", get(schedule::appointment))
        .route("/appointments/{id}/status", post(schedule::set_status))
        .route("/appointments/{id}/reschedule", post(schedule::reschedule))
        .route("/appointments/{id}/series", post(schedule::change_series))
        .route("/appointments/{id}/end-series", post(schedule::end_series))
        .route(
            "/waitlist",
            get(waitlist::waitlist).post(waitlist::add_to_waitlist),
        )
        .route("/waitlist/{id}", post(waitlist::waitlist_status))
        .route("/book", get(booking::index))
        .route(
            "/book/clinician/{id}",
            get(booking::clinician).post(booking::request),
        )
        .route(
            "/book/returning",
            get(booking::returning).post(booking::send_link),
        )
        .route(
            "/book/link/{token}",
            get(booking::link).post(booking::book_link),
        )
        .route(
            "/book/link/{token}/appointments/{id}/ics",
            get(booking::link_ics),
        )
        .route(
            "/book/link/{token}/appointments/{id}/cancel",
            post(booking::link_cancel),
        )
        .route("/measures", get(caseload::show))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::show))
        .route("/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route("/alerts/{id}/break-glass", post(alerts::break_glass))
        .route("/m/{token}", get(measures::show).post(measures::submit))
        .route("/log/{token}", get(diary::show).post(diary::submit))
        .route(
            "/clients/{id}/behaviour-entries",
            post(client_behaviour::log_entries),
        )
        .route(
            "/homework/{id}/edit",
            get(client_behaviour::edit_homework).post(client_behaviour::save_homework),
        )
        .route(
            "/admin/settings",
            get(admin::settings).post(admin::save_settings),
        )
        .route("/admin/settings/portal", post(admin::save_portal_settings))
        .route("/on-call", get(on_call::show).post(on_call::add))
        .route("/on-call/{id}/remove", post(on_call::remove))
        .route(
            "/clients/{id}/portal",
            get(portal_access::show).post(portal_access::invite),
        )
        .route(
            "/clients/{id}/portal/{grant}/revoke",
            post(portal_access::revoke),
        )
        .route("/portal/login", get(portal::login_page).post(portal::login))
        .route("/portal/logout", post(portal::logout))
        .route(
            "/portal/welcome/{token}",
            get(portal::welcome_page).post(portal::welcome),
        )
        .route("/emergency", get(emergency::form).post(emergency::open))
        .route("/admin/emergency-access", get(emergency::reviews))
        .route(
            "/admin/emergency-access/{id}/review",
            post(emergency::review),
        )
        .route("/portal", get(portal::home))
        .route("/portal/clients/{id}", get(portal::client))
        .route("/portal/clients/{id}/record", get(portal::record))
        .route(
            "/portal/clients/{id}/appointments/{appointment}/cancel",
            post(portal::cancel),
        )
}

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
                &crate::auth::request_id(parts),
                None,
            )),
        }
    }
}

/// What the signed-in staff member may do with this client, for a page's buttons: the use case behind the page has
/// already decided what may be read, and the policy decides again on every write.
pub(super) async fn client_rights(
    st: &AppState,
    s: &Staff,
    id: rapport_domain::ClientId,
) -> Result<rapport_domain::policy::ClientRights, Error> {
    st.app.client_rights(&s.ctx, id).await
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
            sees_record_requests: rapport_domain::policy::authorize(
                &s.ctx.actor,
                rapport_domain::policy::Action::List,
                rapport_domain::policy::Resource::RecordRequests,
            )
            .is_allowed(),
            sees_on_call: rapport_domain::policy::authorize(
                &s.ctx.actor,
                rapport_domain::policy::Action::List,
                rapport_domain::policy::Resource::OnCallRota,
            )
            .is_allowed(),
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

/// A friendly page for an error, with the request id to quote to support.
/// The answer to a form whose CSRF token does not match the session (an old tab, or a forged post).
pub(super) fn expired(s: &crate::auth::Staff) -> Response {
    error_page(
        Error::Forbidden("the form expired; reload the page and try again".into()),
        &s.rid,
        Nav::of(s),
    )
}

pub fn error_page(e: Error, rid: &RequestId, nav: Option<Nav>) -> Response {
    if e.is_server_fault() {
        tracing::error!(request_id = %rid.0, error = %e, "server fault");
    }
    let (status, _, message) = classify(&e);
    status_page(status, message, rid, nav)
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

/// The fallback for unknown paths: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: axum::http::Uri, s: crate::auth::AnySession) -> Response {
    if uri.path().starts_with("/api/") {
        crate::api::not_found(&s.rid).into_response()
    } else {
        error_page(Error::NotFound, &s.rid, None)
    }
}
