//! The staff's pages: clients, notes, plans, measures, behaviour, scheduling, groups, records, on call, emergency
//! access and administration. Server-rendered (askama, auto-escaped), plain forms with CSRF tokens; scripts only
//! where a browser API needs them (the note editor's autosave, passkeys, the client search), served from our origin.

mod account;
mod admin;
mod alerts;
mod availability;
mod calendar_feed;
mod caseload;
mod client_behaviour;
mod client_file;
mod client_measures;
mod client_picker;
mod clients;
mod diary_entries;
mod emergency;
mod group_sessions;
mod group_talk;
mod groups;
mod home;
mod homework;
mod mail;
mod measure_entry;
mod medications;
mod new_appointment;
mod notes;
mod on_call;
mod passkeys;
mod plans;
mod portal_access;
pub(crate) mod records;
mod referrals;
mod safety;
mod schedule;
mod settings;
mod signin;
pub mod trend;
mod units;
mod waitlist;

// The shared page parts, under the names the staff pages have always used (`super::error_page`).
pub(crate) use crate::http::page::{Nav, PagePath, error_page, expired, form_message};

use crate::http::auth::Staff;
use crate::http::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use rapport_domain::Error;

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
        .route("/account/calendar-feed", post(calendar_feed::create))
        .route("/account/calendar-feed/revoke", post(calendar_feed::revoke))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route(
            "/account/password",
            get(signin::password_page).post(signin::password),
        )
        .route("/", get(home::today))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/new", get(clients::new_form))
        .route(
            "/clients/{id}",
            get(client_file::show).post(clients::update),
        )
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
        .route("/referrals", get(referrals::waiting))
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
            get(client_behaviour::new_homework).post(homework::add_homework),
        )
        .route(
            "/clients/{id}/diary-link",
            post(client_behaviour::send_link),
        )
        .route(
            "/clients/{id}/diary-link/revoke",
            post(client_behaviour::revoke_link),
        )
        .route("/homework/{id}/status", post(homework::homework_status))
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
        .route("/group-sessions/{id}/talk", post(group_talk::talk))
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
        .route("/measures", get(caseload::show))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::show))
        .route("/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route("/alerts/{id}/break-glass", post(alerts::break_glass))
        .route(
            "/clients/{id}/behaviour-entries",
            post(diary_entries::log_entries),
        )
        .route(
            "/homework/{id}/edit",
            get(homework::edit_homework).post(homework::save_homework),
        )
        .route(
            "/admin/settings",
            get(settings::settings).post(settings::save_settings),
        )
        .route("/admin/settings/{area}", post(settings::save_one))
        .route("/admin/mail", get(mail::show))
        .route("/demo/mailbox", get(mail::demo_mailbox))
        .route("/admin/mail/{id}/retry", post(mail::retry))
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
        .route("/emergency", get(emergency::form).post(emergency::open))
        .route("/admin/emergency-access", get(emergency::reviews))
        .route(
            "/admin/emergency-access/{id}/review",
            post(emergency::review),
        )
}

/// What the signed-in staff member may do with this client, for a page's buttons: the use case behind the page has
/// already decided what may be read, and the policy decides again on every write.
pub(crate) async fn client_rights(
    st: &AppState,
    s: &Staff,
    id: rapport_domain::ClientId,
) -> Result<rapport_domain::policy::ClientRights, Error> {
    st.app.client_rights(&s.ctx, id).await
}

/// "Showing 51–100 of 230 messages" (nouns: singular, plural): every paged list says how much of the whole it
/// shows, so none is silently cut off.
pub(crate) fn showing(offset: u64, shown: usize, total: u64, noun: (&str, &str)) -> String {
    let noun = if total == 1 { noun.0 } else { noun.1 };
    if shown == 0 {
        return format!("Showing none of {total} {noun}.");
    }
    format!(
        "Showing {}–{} of {total} {noun}.",
        offset + 1,
        offset + shown as u64
    )
}
