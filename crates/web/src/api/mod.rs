//! The JSON API under `/api/v1`. One table below registers every route once: it builds the axum router, and the
//! same rows give the OpenAPI document its operations and the route×role test its routes, so the three cannot
//! drift apart. Handlers (in the feature modules) extract the caller, call one use case and serialise the result.

mod account;
mod admin;
mod behaviour;
mod clients;
mod clinicians;
mod emergency;
mod groups;
mod measures;
mod medications;
mod notes;
mod on_call;
pub mod openapi;
mod plans;
mod records;
mod referrals;
mod safety;
mod schedule;

use crate::http::error::ApiError;
use crate::http::request_id::RequestId;
use crate::http::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{MethodFilter, get, on};

/// One API route, as listed in the OpenAPI document and walked by the route×role test.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// A create that honours `Idempotency-Key` (the handler takes `IdempotencyKey`; the document lists the header).
    pub idempotent: bool,
}

/// `METHOD "path" => handler, "tag", "summary" [, idempotent];` — one row per route.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path, $tag:literal, $summary:literal $(, $idempotent:ident)?;)*) => {
        pub const ROUTES: &[RouteSpec] = &[$(RouteSpec {
            method: stringify!($method),
            path: $path,
            summary: $summary,
            tag: $tag,
            idempotent: idempotent!($($idempotent)?),
        }),*];

        /// Every row of the table, registered with axum (rows on one path merge into one method router).
        fn registered() -> Router<AppState> {
            Router::new()$(.route($path, on(MethodFilter::$method, $handler)))*
        }
    };
}

macro_rules! idempotent {
    () => {
        false
    };
    (idempotent) => {
        true
    };
}

/// The API's routes, and the OpenAPI document that describes them (not a route of the table: it is the table).
pub fn router() -> Router<AppState> {
    registered().route("/api/v1/openapi.json", get(openapi::document))
}

routes! {
    GET "/api/v1/me" => account::me, "account", "The caller's own account";
    GET "/api/v1/clients" => clients::list_clients, "clients", "List and search clients within the caller's scope (q: part of a name, and a date of birth as YYYY-MM-DD)";
    POST "/api/v1/clients" => clients::create_client, "clients", "Register a client", idempotent;
    GET "/api/v1/clients/{id}" => clients::get_client, "clients", "Read a client (clinical fields only for the care team)";
    PUT "/api/v1/clients/{id}" => clients::update_client, "clients", "Update a client (If-Match: version)";
    POST "/api/v1/clients/{id}/care-team" => clients::add_care_team, "clients", "Add a clinician to the client's care team";
    DELETE "/api/v1/clients/{id}/care-team/{user_id}" => clients::remove_care_team, "clients", "Remove a clinician from the care team";
    GET "/api/v1/clients/{id}/episodes" => clients::list_episodes, "clients", "Episodes of care";
    POST "/api/v1/clients/{id}/episodes" => clients::open_episode, "clients", "Open an episode of care", idempotent;
    POST "/api/v1/clients/{id}/episodes/{episode_id}/close" => clients::close_episode, "clients", "Close an episode of care (If-Match: version)";
    GET "/api/v1/clients/{id}/access-log" => clients::access_log, "audit", "Who accessed this client's record";
    GET "/api/v1/clinicians" => clinicians::list_clinicians, "clinicians", "The clinician directory";
    GET "/api/v1/clinicians/{id}" => clinicians::get_clinician, "clinicians", "One clinician profile";
    PUT "/api/v1/clinicians/{id}" => clinicians::update_clinician, "clinicians", "Update a clinician profile (If-Match: version)";
    GET "/api/v1/groups" => groups::list_groups, "groups", "Therapy groups: kind, facilitators, head count";
    POST "/api/v1/groups" => groups::create_group, "groups", "Create a group: name, kind, capacity and one or two facilitators", idempotent;
    GET "/api/v1/groups/{id}" => groups::get_group, "groups", "One group with its roster (front desk, facilitators and their supervisors)";
    PUT "/api/v1/groups/{id}" => groups::update_group, "groups", "Change a group's name, kind, capacity and facilitators (If-Match: version)";
    POST "/api/v1/groups/{id}/members" => groups::add_member, "groups", "Add a client to the roster from a join date (a new period for a member who left)", idempotent;
    POST "/api/v1/groups/{id}/members/{client_id}/leave" => groups::leave, "groups", "Record the date a member leaves the group (closes their open period)";
    GET "/api/v1/groups/{id}/sessions" => groups::list_sessions, "groups", "A group's sessions (facilitators and their supervisors)";
    POST "/api/v1/groups/{id}/sessions" => groups::create_session, "groups", "Start a group session, optionally documenting a group appointment", idempotent;
    GET "/api/v1/group-sessions/{id}" => groups::get_session, "groups", "One group session: attendance, talk tally, shared and individual notes";
    PUT "/api/v1/group-sessions/{id}/attendance" => groups::attendance, "groups", "Record attendance of members on the roster on the session's date (If-Match: version)";
    PUT "/api/v1/group-sessions/{id}/notes" => groups::notes, "groups", "Save the shared note and individual notes (If-Match: version)";
    POST "/api/v1/group-sessions/{id}/talk" => groups::talk, "groups", "Log who speaks from now on (or a pause); saves the talk tally";
    POST "/api/v1/group-sessions/{id}/sign" => groups::sign, "groups", "Sign and lock the session; refused while the shared note names a member (If-Match: version)";
    GET "/api/v1/clients/{id}/group-sessions" => groups::client_group_sessions, "groups", "A member's group sessions: own attendance, the shared note and own note only";
    GET "/api/v1/users" => admin::list_users, "admin", "Staff accounts";
    POST "/api/v1/users" => admin::create_user, "admin", "Create a staff account";
    PUT "/api/v1/users/{id}/roles" => admin::set_roles, "admin", "Set an account's roles";
    POST "/api/v1/users/{id}/disable" => admin::disable_user, "admin", "Disable an account";
    POST "/api/v1/users/{id}/enable" => admin::enable_user, "admin", "Enable an account";
    POST "/api/v1/users/{id}/reset-password" => admin::reset_password, "admin", "Issue a one-time password";
    POST "/api/v1/supervisions" => admin::add_supervision, "admin", "Record that a supervisor oversees a clinician";
    GET "/api/v1/audit" => admin::audit, "audit", "Browse the audit log";
    GET "/api/v1/tokens" => account::list_tokens, "account", "The caller's API tokens";
    POST "/api/v1/tokens" => account::create_token, "account", "Create an API token (shown once)";
    DELETE "/api/v1/tokens/{id}" => account::revoke_token, "account", "Revoke an API token";
    GET "/api/v1/appointment-types" => schedule::list_types, "scheduling", "Appointment types: length, buffers, modes, service code";
    PUT "/api/v1/appointment-types/{key}" => schedule::save_type, "scheduling", "Create or change an appointment type";
    GET "/api/v1/locations" => schedule::list_locations, "scheduling", "Locations and their rooms";
    POST "/api/v1/locations" => schedule::add_location, "scheduling", "Add a location", idempotent;
    POST "/api/v1/locations/{id}/rooms" => schedule::add_room, "scheduling", "Add a room to a location", idempotent;
    PUT "/api/v1/settings/cancellation-window" => schedule::set_window, "scheduling", "Set the late-cancellation window (hours)";
    PUT "/api/v1/settings/reminders" => schedule::set_reminders, "scheduling", "Set when reminders go out (hours before) and the practice name they carry";
    PUT "/api/v1/settings/waitlist" => schedule::set_waitlist_settings, "scheduling", "Whether freed times are e-mailed to waiting clients";
    GET "/api/v1/settings/online-booking" => schedule::online_rules, "scheduling", "The online booking rules";
    PUT "/api/v1/settings/online-booking" => schedule::set_online_rules, "scheduling", "Turn online booking on or off and set its rules";
    GET "/api/v1/waitlist" => schedule::waitlist, "scheduling", "The waitlist, with the offers made to each entry (status=waiting|booked|removed|all)";
    POST "/api/v1/waitlist" => schedule::add_waitlist, "scheduling", "Put a client on the waitlist", idempotent;
    POST "/api/v1/waitlist/{id}/status" => schedule::waitlist_status, "scheduling", "Mark a waitlist entry booked, removed or waiting";
    GET "/api/v1/appointments" => schedule::calendar, "scheduling", "Calendar: appointments in a range (from, to, clinicians, room_id, client_id)";
    POST "/api/v1/appointments" => schedule::book, "scheduling", "Book an appointment, or a series with an RRULE", idempotent;
    GET "/api/v1/appointments/{id}" => schedule::appointment, "scheduling", "One appointment with its history";
    POST "/api/v1/appointments/{id}/reschedule" => schedule::reschedule, "scheduling", "Move one appointment (If-Match: version)";
    POST "/api/v1/appointments/{id}/status" => schedule::set_status, "scheduling", "Confirm, check in, complete, no-show or cancel (If-Match: version)";
    POST "/api/v1/appointments/{id}/series/change" => schedule::change_series, "scheduling", "Change this and the following occurrences";
    POST "/api/v1/appointments/{id}/series/end" => schedule::end_series, "scheduling", "End a series after (or from) this occurrence";
    GET "/api/v1/slots" => schedule::slots, "scheduling", "Earliest free slots for an appointment type";
    GET "/api/v1/clinicians/{id}/availability-exceptions" => schedule::list_exceptions, "scheduling", "A clinician's time off and extra hours (from, to)";
    POST "/api/v1/clinicians/{id}/availability-exceptions" => schedule::add_exception, "scheduling", "Add time off or extra hours", idempotent;
    DELETE "/api/v1/availability-exceptions/{id}" => schedule::remove_exception, "scheduling", "Remove time off or extra hours";
    GET "/api/v1/clinicians/{id}/online-booking" => schedule::clinician_online_rules, "scheduling", "A clinician's own online-booking rules (unset fields follow the practice)";
    PUT "/api/v1/clinicians/{id}/online-booking" => schedule::set_clinician_online_rules, "scheduling", "Set a clinician's own online-booking rules (the clinician or an administrator)";
    POST "/api/v1/clinicians/{id}/calendar-feed" => schedule::create_feed, "scheduling", "Issue a secret iCalendar subscription URL (replaces the old one)";
    DELETE "/api/v1/clinicians/{id}/calendar-feed" => schedule::revoke_feed, "scheduling", "Revoke the calendar subscription URL";
    GET "/api/v1/appointments/{id}/ics" => schedule::appointment_ics, "scheduling", "One appointment as an .ics file (no names)";
    GET "/api/v1/note-templates" => notes::list_templates, "notes", "Note templates: the built-in ones and the practice's own";
    PUT "/api/v1/note-templates/{key}" => notes::put_template, "notes", "Create or change a practice note template";
    GET "/api/v1/clients/{id}/notes" => notes::client_notes, "notes", "A client's notes (no content; psychotherapy notes only your own)";
    POST "/api/v1/clients/{id}/notes" => notes::create_note, "notes", "Start a draft note from a template", idempotent;
    GET "/api/v1/clients/{id}/chart" => notes::chart, "notes", "A client's chart: appointments, notes, plan events and measures on one timeline (from, to, kinds)";
    GET "/api/v1/notes/dashboard" => notes::dashboard, "notes", "Your unsigned and late notes, and notes waiting for your co-signature";
    GET "/api/v1/notes/{id}" => notes::get_note, "notes", "One note with its addenda";
    PUT "/api/v1/notes/{id}" => notes::save_draft, "notes", "Save a draft (If-Match: version)";
    POST "/api/v1/notes/{id}/sign" => notes::sign, "notes", "Sign and lock a draft (If-Match: version)";
    POST "/api/v1/notes/{id}/cosign" => notes::cosign, "notes", "Co-sign a trainee's signed note";
    POST "/api/v1/notes/{id}/take-over" => notes::take_over, "notes", "Take over the draft of an author who left the care team (If-Match: version)";
    POST "/api/v1/notes/{id}/addenda" => notes::add_addendum, "notes", "Add a signed addendum to a signed note", idempotent;
    POST "/api/v1/notes/{id}/shares" => notes::share, "notes", "Share a psychotherapy note with your supervisor (read only)";
    DELETE "/api/v1/notes/{id}/shares/{user_id}" => notes::unshare, "notes", "Stop sharing a psychotherapy note";
    POST "/api/v1/notes/{id}/release-consents" => notes::release_consent, "notes", "Record a member's consent to release a signed note";
    POST "/api/v1/notes/{id}/releases" => notes::release, "notes", "Release a signed note outside the practice (every needed consent given)", idempotent;
    POST "/api/v1/units" => notes::create_unit, "notes", "Register a couple or family as a unit";
    GET "/api/v1/units/{id}" => notes::get_unit, "notes", "A couple or family: members and joint notes";
    POST "/api/v1/units/{id}/notes" => notes::create_joint_note, "notes", "Start a joint note of a couple or family", idempotent;
    GET "/api/v1/plan-templates" => plans::templates, "plans", "Treatment-plan templates for common programmes";
    GET "/api/v1/clients/{id}/plans" => plans::client_plans, "plans", "A client's treatment plans";
    POST "/api/v1/clients/{id}/plans" => plans::create_plan, "plans", "Start a treatment plan (from a template or given content)", idempotent;
    GET "/api/v1/plans/{id}" => plans::get_plan, "plans", "One treatment plan with its history";
    PUT "/api/v1/plans/{id}" => plans::update_plan, "plans", "Change a plan's problems, goals, objectives and interventions (If-Match: version)";
    POST "/api/v1/plans/{id}/activate" => plans::activate, "plans", "Put a draft plan into effect (If-Match: version)";
    POST "/api/v1/plans/{id}/reviews" => plans::review, "plans", "Record a periodic review (If-Match: version)";
    POST "/api/v1/plans/{id}/acknowledge" => plans::acknowledge, "plans", "Record the client's acknowledgement (If-Match: version)";
    POST "/api/v1/plans/{id}/close" => plans::close, "plans", "Close a plan (If-Match: version)";
    GET "/api/v1/instruments" => measures::instruments, "measures", "The instrument catalogue: licence, LOINC codes, whether it is offered";
    GET "/api/v1/instruments/{key}" => measures::instrument, "measures", "One instrument's definition and its FHIR R4 Questionnaire";
    GET "/api/v1/clients/{id}/measure-assignments" => measures::assignments, "measures", "A client's measure assignments";
    POST "/api/v1/clients/{id}/measure-assignments" => measures::assign, "measures", "Assign an instrument (once or every N days) and e-mail the first single-use link", idempotent;
    POST "/api/v1/clients/{id}/measure-assignments/{assignment_id}/stop" => measures::stop, "measures", "Stop an assignment (links already sent keep working until they expire)";
    POST "/api/v1/clients/{id}/measure-responses" => measures::enter, "measures", "Enter a client's answers in session (scored; critical answers raise an alert)", idempotent;
    GET "/api/v1/clients/{id}/measures" => measures::results, "measures", "A client's results per instrument with reliable change and NHS Talking Therapies figures";
    GET "/api/v1/clients/{id}/measures/observations" => measures::observations, "measures", "A client's scores as a FHIR R4 searchset Bundle of Observations (LOINC where confirmed; instrument=phq9 to filter)";
    GET "/api/v1/measure-responses/{id}" => measures::response, "measures", "One response with its answers and score";
    GET "/api/v1/measure-responses/{id}/questionnaire-response" => measures::questionnaire_response, "measures", "One response as a FHIR R4 QuestionnaireResponse";
    GET "/api/v1/measures/caseload" => measures::caseload, "measures", "Your clients with measures, not on track first, with the definition used";
    GET "/api/v1/alerts" => measures::alerts, "measures", "Open alerts for your clients (supervisors: escalated alerts of their supervisees' clients)";
    POST "/api/v1/alerts/{id}/acknowledge" => measures::acknowledge, "measures", "Acknowledge an alert (care team)";
    PUT "/api/v1/settings/measures" => measures::settings, "measures", "Set after how many minutes an unacknowledged alert escalates";
    GET "/api/v1/clients/{id}/behaviours" => behaviour::behaviours, "behaviour", "A client's target behaviours (active first), with targets and linked objectives";
    POST "/api/v1/clients/{id}/behaviours" => behaviour::define, "behaviour", "Define a target behaviour (count, duration or intensity), optionally linked to a plan objective", idempotent;
    POST "/api/v1/clients/{id}/behaviours/{behaviour_id}/retire" => behaviour::retire, "behaviour", "Stop a behaviour being logged (its entries stay)";
    GET "/api/v1/clients/{id}/behaviour-entries" => behaviour::entries, "behaviour", "Log entries as FHIR R4 Observations (behaviour_id, from, to)";
    POST "/api/v1/clients/{id}/behaviour-entries" => behaviour::log, "behaviour", "Log entries for a client: all or nothing; impossible values are refused naming the field", idempotent;
    GET "/api/v1/clients/{id}/behaviour-summary" => behaviour::summary, "behaviour", "Weekly summaries (ISO weeks in the client's zone), streaks, logging adherence and homework, with definitions";
    GET "/api/v1/clients/{id}/homework" => behaviour::homework, "behaviour", "A client's homework with status";
    POST "/api/v1/clients/{id}/homework" => behaviour::assign_homework, "behaviour", "Set homework: title, instructions (encrypted at rest) and due date", idempotent;
    PUT "/api/v1/homework/{id}" => behaviour::update_homework, "behaviour", "Change a homework item's title, instructions or due date (If-Match: version)";
    POST "/api/v1/homework/{id}/status" => behaviour::homework_status, "behaviour", "Mark homework done or not done (with the client's note), or reopen it";
    POST "/api/v1/clients/{id}/diary-link" => behaviour::send_link, "behaviour", "E-mail the client a diary link (many uses until it expires; replaces any earlier link)";
    POST "/api/v1/clients/{id}/diary-link/revoke" => behaviour::revoke_link, "behaviour", "Switch off the client's diary link at once";
    PUT "/api/v1/settings/behaviour" => behaviour::settings, "behaviour", "Set how many days a diary link works";
    GET "/api/v1/clients/{id}/export" => records::export, "records", "Full export of a client's record (care team; psychotherapy notes never included)";
    POST "/api/v1/clients/{id}/record-requests" => records::log_request, "records", "Log a request for the client's record (right of access); due within the practice's period", idempotent;
    GET "/api/v1/record-requests" => records::list, "records", "Record requests, overdue first (status=open|all)";
    GET "/api/v1/record-requests/{id}" => records::get_request, "records", "One record request";
    POST "/api/v1/record-requests/{id}/fulfil" => records::fulfil, "records", "Fulfil a record request: returns the record (psychotherapy notes excluded) and records the disclosure";
    POST "/api/v1/record-requests/{id}/deny" => records::deny, "records", "Deny a record request with a reason";
    POST "/api/v1/record-requests/{id}/extend" => records::extend, "records", "Extend an open record request once, before it is due, by 1 to 30 days, with the reasons to tell the requester";
    PUT "/api/v1/settings/record-requests" => records::settings, "records", "Set the days within which record requests are due (1 to 30)";
    GET "/api/v1/on-call-shifts" => on_call::list, "on-call", "On-call shifts sharing an instant with a range (from, to: YYYY-MM-DD, UTC days; default the coming 14 days)";
    POST "/api/v1/on-call-shifts" => on_call::add, "on-call", "Put an active clinician on call: local start and end (YYYY-MM-DDTHH:MM) in a zone; at most 7 days, never overlapping their own shifts", idempotent;
    GET "/api/v1/on-call-shifts/{id}" => on_call::one, "on-call", "One on-call shift";
    DELETE "/api/v1/on-call-shifts/{id}" => on_call::remove, "on-call", "Remove an on-call shift";
    GET "/api/v1/on-call/now" => on_call::now, "on-call", "Who is on call at this moment";
    PUT "/api/v1/settings/portal" => admin::portal_settings, "portal", "Whether the client portal shows clients (and guardians of minors) their record";
    GET "/api/v1/clients/{id}/safety-plan" => safety::read, "notes", "The client's safety plan (ETag: version, 0 while there is none)";
    PUT "/api/v1/clients/{id}/safety-plan" => safety::save, "notes", "Save the client's safety plan (If-Match: the version read, 0 for the first); at least one person or service to contact";
    GET "/api/v1/clients/{id}/medications" => medications::list, "notes", "The client's medications, current first";
    POST "/api/v1/clients/{id}/medications" => medications::add, "notes", "Record a medication the client takes: name, dose, prescriber, start date", idempotent;
    POST "/api/v1/medications/{id}/stop" => medications::stop, "notes", "Record that a current medication was stopped: date and reason (version read)";
    GET "/api/v1/clients/{id}/referrals" => referrals::list, "notes", "The client's referrals out of the practice, open first";
    POST "/api/v1/clients/{id}/referrals" => referrals::refer, "notes", "Refer the client (psychiatry, family doctor, specialist, crisis service): to whom, why, how urgent, when sent", idempotent;
    POST "/api/v1/referrals/{id}/status" => referrals::move_to, "notes", "Move a referral along (accepted, declined, seen, closed) with a date and note (version read)";
    GET "/api/v1/emergency-access" => emergency::list, "emergency", "The register of emergency (break-the-glass) accesses, unreviewed first, each with what was read under it (administrators)";
    POST "/api/v1/emergency-access/{id}/review" => emergency::review, "emergency", "Record an administrator's finding on one emergency access (once)";
    POST "/api/v1/emergency-access" => emergency::open, "emergency", "Break the glass: read-only access for a few hours to the one client with exactly this legal name and date of birth, with a reason; the care team and administrators are told", idempotent;
}

/// The API's answer for a path it does not have (the router's fallback sends `/api/…` here).
pub fn not_found(rid: &RequestId) -> ApiError {
    ApiError::edge(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such API endpoint.",
        rid,
    )
}

#[cfg(test)]
mod tests {
    use super::ROUTES;

    /// Only creates honour `Idempotency-Key`, and no route is registered twice.
    #[test]
    fn keyed_routes_are_posts_and_rows_are_unique() {
        for r in ROUTES.iter().filter(|r| r.idempotent) {
            assert_eq!(r.method, "POST", "{} {}", r.method, r.path);
        }
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
    }
}
