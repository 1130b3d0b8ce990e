//! The JSON API under `/api/v1`. Handlers extract the caller, call one use case and serialise the result.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, OrApi};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use rapport_app::accounts::NewAccount;
use rapport_app::audit::AuditQuery;
use rapport_app::clients::{ClientInput, ClientQuery, EpisodeInput};
use rapport_app::clinicians::{ClinicianFilter, ClinicianInput};
use rapport_domain::{ClientId, EpisodeId, Role, UserId};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// One API route, as listed in the OpenAPI document and walked by the route×role test.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
}

macro_rules! routes {
    ($($method:literal $path:literal $tag:literal $summary:literal;)*) => {
        pub const ROUTES: &[RouteSpec] = &[$(RouteSpec { method: $method, path: $path, summary: $summary, tag: $tag }),*];
    };
}

routes! {
    "GET" "/api/v1/me" "account" "The caller's own account";
    "GET" "/api/v1/clients" "clients" "List and search clients within the caller's scope (q: part of a name, and a date of birth as YYYY-MM-DD)";
    "POST" "/api/v1/clients" "clients" "Register a client";
    "GET" "/api/v1/clients/{id}" "clients" "Read a client (clinical fields only for the care team)";
    "PUT" "/api/v1/clients/{id}" "clients" "Update a client (If-Match: version)";
    "POST" "/api/v1/clients/{id}/care-team" "clients" "Add a clinician to the client's care team";
    "DELETE" "/api/v1/clients/{id}/care-team/{user_id}" "clients" "Remove a clinician from the care team";
    "GET" "/api/v1/clients/{id}/episodes" "clients" "Episodes of care";
    "POST" "/api/v1/clients/{id}/episodes" "clients" "Open an episode of care";
    "POST" "/api/v1/clients/{id}/episodes/{episode_id}/close" "clients" "Close an episode of care (If-Match: version)";
    "GET" "/api/v1/clients/{id}/access-log" "audit" "Who accessed this client's record";
    "GET" "/api/v1/clinicians" "clinicians" "The clinician directory";
    "GET" "/api/v1/clinicians/{id}" "clinicians" "One clinician profile";
    "PUT" "/api/v1/clinicians/{id}" "clinicians" "Update a clinician profile (If-Match: version)";
    "GET" "/api/v1/groups" "groups" "Therapy groups: kind, facilitators, head count";
    "POST" "/api/v1/groups" "groups" "Create a group: name, kind, capacity and one or two facilitators";
    "GET" "/api/v1/groups/{id}" "groups" "One group with its roster (front desk, facilitators and their supervisors)";
    "PUT" "/api/v1/groups/{id}" "groups" "Change a group's name, kind, capacity and facilitators (If-Match: version)";
    "POST" "/api/v1/groups/{id}/members" "groups" "Add a client to the roster from a join date (a new period for a member who left)";
    "POST" "/api/v1/groups/{id}/members/{client_id}/leave" "groups" "Record the date a member leaves the group (closes their open period)";
    "GET" "/api/v1/groups/{id}/sessions" "groups" "A group's sessions (facilitators and their supervisors)";
    "POST" "/api/v1/groups/{id}/sessions" "groups" "Start a group session, optionally documenting a group appointment";
    "GET" "/api/v1/group-sessions/{id}" "groups" "One group session: attendance, talk tally, shared and individual notes";
    "PUT" "/api/v1/group-sessions/{id}/attendance" "groups" "Record attendance of members on the roster on the session's date (If-Match: version)";
    "PUT" "/api/v1/group-sessions/{id}/notes" "groups" "Save the shared note and individual notes (If-Match: version)";
    "POST" "/api/v1/group-sessions/{id}/talk" "groups" "Log who speaks from now on (or a pause); saves the talk tally";
    "POST" "/api/v1/group-sessions/{id}/sign" "groups" "Sign and lock the session; refused while the shared note names a member (If-Match: version)";
    "GET" "/api/v1/clients/{id}/group-sessions" "groups" "A member's group sessions: own attendance, the shared note and own note only";
    "GET" "/api/v1/users" "admin" "Staff accounts";
    "POST" "/api/v1/users" "admin" "Create a staff account";
    "PUT" "/api/v1/users/{id}/roles" "admin" "Set an account's roles";
    "POST" "/api/v1/users/{id}/disable" "admin" "Disable an account";
    "POST" "/api/v1/users/{id}/enable" "admin" "Enable an account";
    "POST" "/api/v1/users/{id}/reset-password" "admin" "Issue a one-time password";
    "POST" "/api/v1/supervisions" "admin" "Record that a supervisor oversees a clinician";
    "GET" "/api/v1/audit" "audit" "Browse the audit log";
    "GET" "/api/v1/tokens" "account" "The caller's API tokens";
    "POST" "/api/v1/tokens" "account" "Create an API token (shown once)";
    "DELETE" "/api/v1/tokens/{id}" "account" "Revoke an API token";
    "GET" "/api/v1/appointment-types" "scheduling" "Appointment types: length, buffers, modes, service code";
    "PUT" "/api/v1/appointment-types/{key}" "scheduling" "Create or change an appointment type";
    "GET" "/api/v1/locations" "scheduling" "Locations and their rooms";
    "POST" "/api/v1/locations" "scheduling" "Add a location";
    "POST" "/api/v1/locations/{id}/rooms" "scheduling" "Add a room to a location";
    "PUT" "/api/v1/settings/cancellation-window" "scheduling" "Set the late-cancellation window (hours)";
    "PUT" "/api/v1/settings/reminders" "scheduling" "Set when reminders go out (hours before) and the practice name they carry";
    "PUT" "/api/v1/settings/waitlist" "scheduling" "Whether freed times are e-mailed to waiting clients";
    "GET" "/api/v1/settings/online-booking" "scheduling" "The online booking rules";
    "PUT" "/api/v1/settings/online-booking" "scheduling" "Turn online booking on or off and set its rules";
    "GET" "/api/v1/waitlist" "scheduling" "The waitlist, with the offers made to each entry (status=waiting|booked|removed|all)";
    "POST" "/api/v1/waitlist" "scheduling" "Put a client on the waitlist";
    "POST" "/api/v1/waitlist/{id}/status" "scheduling" "Mark a waitlist entry booked, removed or waiting";
    "GET" "/api/v1/appointments" "scheduling" "Calendar: appointments in a range (from, to, clinicians, room_id, client_id)";
    "POST" "/api/v1/appointments" "scheduling" "Book an appointment, or a series with an RRULE";
    "GET" "/api/v1/appointments/{id}" "scheduling" "One appointment with its history";
    "POST" "/api/v1/appointments/{id}/reschedule" "scheduling" "Move one appointment (If-Match: version)";
    "POST" "/api/v1/appointments/{id}/status" "scheduling" "Confirm, check in, complete, no-show or cancel (If-Match: version)";
    "POST" "/api/v1/appointments/{id}/series/change" "scheduling" "Change this and the following occurrences";
    "POST" "/api/v1/appointments/{id}/series/end" "scheduling" "End a series after (or from) this occurrence";
    "GET" "/api/v1/slots" "scheduling" "Earliest free slots for an appointment type";
    "GET" "/api/v1/clinicians/{id}/availability-exceptions" "scheduling" "A clinician's time off and extra hours (from, to)";
    "POST" "/api/v1/clinicians/{id}/availability-exceptions" "scheduling" "Add time off or extra hours";
    "DELETE" "/api/v1/availability-exceptions/{id}" "scheduling" "Remove time off or extra hours";
    "GET" "/api/v1/clinicians/{id}/online-booking" "scheduling" "A clinician's own online-booking rules (unset fields follow the practice)";
    "PUT" "/api/v1/clinicians/{id}/online-booking" "scheduling" "Set a clinician's own online-booking rules (the clinician or an administrator)";
    "POST" "/api/v1/clinicians/{id}/calendar-feed" "scheduling" "Issue a secret iCalendar subscription URL (replaces the old one)";
    "DELETE" "/api/v1/clinicians/{id}/calendar-feed" "scheduling" "Revoke the calendar subscription URL";
    "GET" "/api/v1/appointments/{id}/ics" "scheduling" "One appointment as an .ics file (no names)";
    "GET" "/api/v1/note-templates" "notes" "Note templates: the built-in ones and the practice's own";
    "PUT" "/api/v1/note-templates/{key}" "notes" "Create or change a practice note template";
    "GET" "/api/v1/clients/{id}/notes" "notes" "A client's notes (no content; psychotherapy notes only your own)";
    "POST" "/api/v1/clients/{id}/notes" "notes" "Start a draft note from a template";
    "GET" "/api/v1/clients/{id}/chart" "notes" "A client's chart: appointments, notes, plan events and measures on one timeline (from, to, kinds)";
    "GET" "/api/v1/notes/dashboard" "notes" "Your unsigned and late notes, and notes waiting for your co-signature";
    "GET" "/api/v1/notes/{id}" "notes" "One note with its addenda";
    "PUT" "/api/v1/notes/{id}" "notes" "Save a draft (If-Match: version)";
    "POST" "/api/v1/notes/{id}/sign" "notes" "Sign and lock a draft (If-Match: version)";
    "POST" "/api/v1/notes/{id}/cosign" "notes" "Co-sign a trainee's signed note";
    "POST" "/api/v1/notes/{id}/take-over" "notes" "Take over the draft of an author who left the care team (If-Match: version)";
    "POST" "/api/v1/notes/{id}/addenda" "notes" "Add a signed addendum to a signed note";
    "POST" "/api/v1/notes/{id}/shares" "notes" "Share a psychotherapy note with your supervisor (read only)";
    "DELETE" "/api/v1/notes/{id}/shares/{user_id}" "notes" "Stop sharing a psychotherapy note";
    "POST" "/api/v1/notes/{id}/release-consents" "notes" "Record a member's consent to release a signed note";
    "POST" "/api/v1/notes/{id}/releases" "notes" "Release a signed note outside the practice (every needed consent given)";
    "POST" "/api/v1/units" "notes" "Register a couple or family as a unit";
    "GET" "/api/v1/units/{id}" "notes" "A couple or family: members and joint notes";
    "POST" "/api/v1/units/{id}/notes" "notes" "Start a joint note of a couple or family";
    "GET" "/api/v1/plan-templates" "plans" "Treatment-plan templates for common programmes";
    "GET" "/api/v1/clients/{id}/plans" "plans" "A client's treatment plans";
    "POST" "/api/v1/clients/{id}/plans" "plans" "Start a treatment plan (from a template or given content)";
    "GET" "/api/v1/plans/{id}" "plans" "One treatment plan with its history";
    "PUT" "/api/v1/plans/{id}" "plans" "Change a plan's problems, goals, objectives and interventions (If-Match: version)";
    "POST" "/api/v1/plans/{id}/activate" "plans" "Put a draft plan into effect (If-Match: version)";
    "POST" "/api/v1/plans/{id}/reviews" "plans" "Record a periodic review (If-Match: version)";
    "POST" "/api/v1/plans/{id}/acknowledge" "plans" "Record the client's acknowledgement (If-Match: version)";
    "POST" "/api/v1/plans/{id}/close" "plans" "Close a plan (If-Match: version)";
    "GET" "/api/v1/instruments" "measures" "The instrument catalogue: licence, LOINC codes, whether it is offered";
    "GET" "/api/v1/instruments/{key}" "measures" "One instrument's definition and its FHIR R4 Questionnaire";
    "GET" "/api/v1/clients/{id}/measure-assignments" "measures" "A client's measure assignments";
    "POST" "/api/v1/clients/{id}/measure-assignments" "measures" "Assign an instrument (once or every N days) and e-mail the first single-use link";
    "POST" "/api/v1/clients/{id}/measure-assignments/{assignment_id}/stop" "measures" "Stop an assignment (links already sent keep working until they expire)";
    "POST" "/api/v1/clients/{id}/measure-responses" "measures" "Enter a client's answers in session (scored; critical answers raise an alert)";
    "GET" "/api/v1/clients/{id}/measures" "measures" "A client's results per instrument with reliable change and NHS Talking Therapies figures";
    "GET" "/api/v1/clients/{id}/measures/observations" "measures" "A client's scores as a FHIR R4 searchset Bundle of Observations (LOINC where confirmed; instrument=phq9 to filter)";
    "GET" "/api/v1/measure-responses/{id}" "measures" "One response with its answers and score";
    "GET" "/api/v1/measure-responses/{id}/questionnaire-response" "measures" "One response as a FHIR R4 QuestionnaireResponse";
    "GET" "/api/v1/measures/caseload" "measures" "Your clients with measures, not on track first, with the definition used";
    "GET" "/api/v1/alerts" "measures" "Open alerts for your clients (supervisors: escalated alerts of their supervisees' clients)";
    "POST" "/api/v1/alerts/{id}/acknowledge" "measures" "Acknowledge an alert (care team)";
    "PUT" "/api/v1/settings/measures" "measures" "Set after how many minutes an unacknowledged alert escalates";
    "GET" "/api/v1/clients/{id}/behaviours" "behaviour" "A client's target behaviours (active first), with targets and linked objectives";
    "POST" "/api/v1/clients/{id}/behaviours" "behaviour" "Define a target behaviour (count, duration or intensity), optionally linked to a plan objective";
    "POST" "/api/v1/clients/{id}/behaviours/{behaviour_id}/retire" "behaviour" "Stop a behaviour being logged (its entries stay)";
    "GET" "/api/v1/clients/{id}/behaviour-entries" "behaviour" "Log entries as FHIR R4 Observations (behaviour_id, from, to)";
    "POST" "/api/v1/clients/{id}/behaviour-entries" "behaviour" "Log entries for a client: all or nothing; impossible values are refused naming the field";
    "GET" "/api/v1/clients/{id}/behaviour-summary" "behaviour" "Weekly summaries (ISO weeks in the client's zone), streaks, logging adherence and homework, with definitions";
    "GET" "/api/v1/clients/{id}/homework" "behaviour" "A client's homework with status";
    "POST" "/api/v1/clients/{id}/homework" "behaviour" "Set homework: title, instructions (encrypted at rest) and due date";
    "PUT" "/api/v1/homework/{id}" "behaviour" "Change a homework item's title, instructions or due date (If-Match: version)";
    "POST" "/api/v1/homework/{id}/status" "behaviour" "Mark homework done or not done (with the client's note), or reopen it";
    "POST" "/api/v1/clients/{id}/diary-link" "behaviour" "E-mail the client a diary link (many uses until it expires; replaces any earlier link)";
    "POST" "/api/v1/clients/{id}/diary-link/revoke" "behaviour" "Switch off the client's diary link at once";
    "PUT" "/api/v1/settings/behaviour" "behaviour" "Set how many days a diary link works";
    "GET" "/api/v1/clients/{id}/export" "records" "Full export of a client's record (care team; psychotherapy notes never included)";
    "POST" "/api/v1/clients/{id}/record-requests" "records" "Log a request for the client's record (right of access); due within the practice's period";
    "GET" "/api/v1/record-requests" "records" "Record requests, overdue first (status=open|all)";
    "GET" "/api/v1/record-requests/{id}" "records" "One record request";
    "POST" "/api/v1/record-requests/{id}/fulfil" "records" "Fulfil a record request: returns the record (psychotherapy notes excluded) and records the disclosure";
    "POST" "/api/v1/record-requests/{id}/deny" "records" "Deny a record request with a reason";
    "POST" "/api/v1/record-requests/{id}/extend" "records" "Extend an open record request once, before it is due, by 1 to 30 days, with the reasons to tell the requester";
    "PUT" "/api/v1/settings/record-requests" "records" "Set the days within which record requests are due (1 to 30)";
    "GET" "/api/v1/on-call-shifts" "on-call" "On-call shifts sharing an instant with a range (from, to: YYYY-MM-DD, UTC days; default the coming 14 days)";
    "POST" "/api/v1/on-call-shifts" "on-call" "Put an active clinician on call: local start and end (YYYY-MM-DDTHH:MM) in a zone; at most 7 days, never overlapping their own shifts";
    "GET" "/api/v1/on-call-shifts/{id}" "on-call" "One on-call shift";
    "DELETE" "/api/v1/on-call-shifts/{id}" "on-call" "Remove an on-call shift";
    "GET" "/api/v1/on-call/now" "on-call" "Who is on call at this moment";
    "PUT" "/api/v1/settings/portal" "portal" "Whether the client portal shows clients (and guardians of minors) their record";
    "GET" "/api/v1/clients/{id}/safety-plan" "notes" "The client's safety plan (ETag: version, 0 while there is none)";
    "PUT" "/api/v1/clients/{id}/safety-plan" "notes" "Save the client's safety plan (If-Match: the version read, 0 for the first); at least one person or service to contact";
    "GET" "/api/v1/clients/{id}/medications" "notes" "The client's medications, current first";
    "POST" "/api/v1/clients/{id}/medications" "notes" "Record a medication the client takes: name, dose, prescriber, start date";
    "POST" "/api/v1/medications/{id}/stop" "notes" "Record that a current medication was stopped: date and reason (version read)";
    "GET" "/api/v1/clients/{id}/referrals" "notes" "The client's referrals out of the practice, open first";
    "POST" "/api/v1/clients/{id}/referrals" "notes" "Refer the client (psychiatry, family doctor, specialist, crisis service): to whom, why, how urgent, when sent";
    "POST" "/api/v1/referrals/{id}/status" "notes" "Move a referral along (accepted, declined, seen, closed) with a date and note (version read)";
    "GET" "/api/v1/emergency-access" "emergency" "The register of emergency (break-the-glass) accesses, unreviewed first, each with what was read under it (administrators)";
    "POST" "/api/v1/emergency-access/{id}/review" "emergency" "Record an administrator's finding on one emergency access (once)";
    "POST" "/api/v1/emergency-access" "emergency" "Break the glass: read-only access for a few hours to the one client with exactly this legal name and date of birth, with a reason; the care team and administrators are told";
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/clients", get(list_clients).post(create_client))
        .route("/api/v1/clients/{id}", get(get_client).put(update_client))
        .route("/api/v1/clients/{id}/care-team", post(add_care_team))
        .route(
            "/api/v1/clients/{id}/care-team/{user_id}",
            delete(remove_care_team),
        )
        .route(
            "/api/v1/clients/{id}/episodes",
            get(list_episodes).post(open_episode),
        )
        .route(
            "/api/v1/clients/{id}/episodes/{episode_id}/close",
            post(close_episode),
        )
        .route("/api/v1/clients/{id}/access-log", get(access_log))
        .route("/api/v1/clinicians", get(list_clinicians))
        .route(
            "/api/v1/clinicians/{id}",
            get(get_clinician).put(update_clinician),
        )
        .route(
            "/api/v1/groups",
            get(list_groups).post(crate::api_groups::create_group),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}/roles", put(set_roles))
        .route("/api/v1/users/{id}/disable", post(disable_user))
        .route("/api/v1/users/{id}/enable", post(enable_user))
        .route("/api/v1/users/{id}/reset-password", post(reset_password))
        .route("/api/v1/supervisions", post(add_supervision))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/settings/portal", put(portal_settings))
        .route("/api/v1/openapi.json", get(crate::openapi::document))
        .merge(crate::api_schedule::router())
        .merge(crate::api_notes::router())
        .merge(crate::api_plans::router())
        .merge(crate::api_measures::router())
        .merge(crate::api_behaviour::router())
        .merge(crate::api_groups::router())
        .merge(crate::api_records::router())
        .merge(crate::api_on_call::router())
        .merge(crate::api_emergency::router())
        .merge(crate::api_safety::router())
        .merge(crate::api_medications::router())
        .merge(crate::api_referrals::router())
}

async fn portal_settings(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<rapport_app::portal::PortalSettings>,
) -> ApiResult<StatusCode> {
    s.app
        .set_portal_settings(&c.ctx, input)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The API's answer for a path it does not have (the router's fallback sends `/api/…` here).
pub fn not_found(rid: &crate::request_id::RequestId) -> ApiError {
    ApiError::edge(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such API endpoint.",
        rid,
    )
}

/// The version a write expects, from `If-Match` (`"3"`, `W/"3"` or `3`).
pub(crate) fn if_match(headers: &HeaderMap, c: &Caller) -> ApiResult<i32> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::edge(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "Send 'If-Match' with the version you read (the ETag), so that no one's changes are overwritten.",
            &c.rid,
        ));
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i32>().ok())
        .ok_or_else(|| {
            ApiError::edge(
                StatusCode::BAD_REQUEST,
                "bad_if_match",
                "If-Match must be a version number such as \"3\".",
                &c.rid,
            )
        })
}

pub(crate) fn with_etag<T: serde::Serialize>(version: i32, body: T) -> Response {
    let mut r = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

pub(crate) fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

async fn me(c: Caller, State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let id = c
        .ctx
        .actor
        .user_id()
        .ok_or_else(|| ApiError::from_domain(rapport_domain::Error::NotFound, &c.rid))?;
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| c.ctx.actor.has(*r))
        .collect();
    let _ = &s;
    Ok(Json(json!({ "id": id, "roles": roles })))
}

async fn list_clients(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.search_clients(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

async fn create_client(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ClientInput>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/clients/{id}");
    op.answer(s.app.create_client(&op.ctx, input).await)
}

async fn get_client(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s
        .app
        .get_client(&c.ctx, ClientId(id))
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn update_client(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ClientInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .update_client(&c.ctx, ClientId(id), version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CareTeamInput {
    user_id: Uuid,
    #[serde(default)]
    team_role: Option<String>,
}

async fn add_care_team(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<CareTeamInput>,
) -> ApiResult<StatusCode> {
    s.app
        .assign_care_team(
            &c.ctx,
            ClientId(id),
            UserId(input.user_id),
            input.team_role.as_deref().unwrap_or("member"),
        )
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_care_team(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, user)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    s.app
        .remove_from_care_team(&c.ctx, ClientId(id), UserId(user))
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_episodes(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .list_episodes(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

async fn open_episode(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<EpisodeInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/clients/{id}/episodes"));
    op.answer(s.app.open_episode(&op.ctx, ClientId(id), input).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseInput {
    closed_on: String,
}

async fn close_episode(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, episode)): ApiPath<(Uuid, Uuid)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CloseInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let e = s
        .app
        .close_episode(
            &c.ctx,
            ClientId(id),
            EpisodeId(episode),
            &input.closed_on,
            version,
        )
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(e.version, e))
}

async fn access_log(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_access_log(&c.ctx, ClientId(id), &q)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

async fn list_clinicians(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<ClinicianFilter>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_clinicians(&c.ctx, &f).await.or_api(&c.rid)?).into_response())
}

async fn get_clinician(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s
        .app
        .get_clinician(&c.ctx, UserId(id))
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn update_clinician(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ClinicianInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .update_clinician(&c.ctx, UserId(id), version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn list_groups(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.list_groups(&c.ctx).await.or_api(&c.rid)?).into_response())
}

async fn list_users(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.list_accounts(&c.ctx).await.or_api(&c.rid)?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserInput {
    email: String,
    display_name: String,
    roles: Vec<Role>,
    #[serde(default)]
    time_zone: Option<String>,
}

async fn create_user(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<NewUserInput>,
) -> ApiResult<Response> {
    let created_user = s
        .app
        .create_account(
            &c.ctx,
            NewAccount {
                email: input.email,
                display_name: input.display_name,
                roles: input.roles,
                password: None,
                time_zone: input.time_zone,
            },
        )
        .await
        .or_api(&c.rid)?;
    Ok(created(
        format!("/api/v1/users/{}", created_user.id),
        json!({ "id": created_user.id, "one_time_password": created_user.one_time_password }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesInput {
    roles: Vec<Role>,
}

async fn set_roles(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RolesInput>,
) -> ApiResult<StatusCode> {
    s.app
        .set_roles(&c.ctx, UserId(id), input.roles)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disable_user(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app
        .set_account_disabled(&c.ctx, UserId(id), true)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_user(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app
        .set_account_disabled(&c.ctx, UserId(id), false)
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ResetInput {
    #[serde(default)]
    reset_mfa: bool,
}

async fn reset_password(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ResetInput>,
) -> ApiResult<Json<Value>> {
    let otp = s
        .app
        .reset_password(&c.ctx, UserId(id), input.reset_mfa)
        .await
        .or_api(&c.rid)?;
    Ok(Json(json!({ "one_time_password": otp })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SupervisionInput {
    supervisor_id: Uuid,
    supervisee_id: Uuid,
}

async fn add_supervision(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<SupervisionInput>,
) -> ApiResult<StatusCode> {
    s.app
        .add_supervision(&c.ctx, UserId(i.supervisor_id), UserId(i.supervisee_id))
        .await
        .or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn audit(
    c: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_audit(&c.ctx, &q).await.or_api(&c.rid)?).into_response())
}

async fn list_tokens(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.list_api_tokens(&c.ctx).await.or_api(&c.rid)?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    name: String,
    /// 1–365; 90 when left out.
    expires_in_days: Option<i64>,
}

async fn create_token(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(i): ApiJson<TokenInput>,
) -> ApiResult<Response> {
    let (raw, info) = s
        .app
        .create_api_token(&c.ctx, &i.name, i.expires_in_days)
        .await
        .or_api(&c.rid)?;
    Ok(created(
        format!("/api/v1/tokens/{}", info.id),
        json!({ "token": raw, "info": info }),
    ))
}

async fn revoke_token(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&c.ctx, id).await.or_api(&c.rid)?;
    Ok(StatusCode::NO_CONTENT)
}
