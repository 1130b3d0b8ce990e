//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from the route registry so that every route is
//! listed and none is listed that does not exist.

use crate::api::{ROUTES, RouteSpec};
use axum::Json;
use serde_json::{Map, Value, json};

fn params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = if name == "id" || name.ends_with("_id") {
                json!({ "type": "string", "format": "uuid" })
            } else {
                json!({ "type": "string" })
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect()
}

/// The request body schema of each writing route (by method and path template).
fn body_schema(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("POST", "/api/v1/clients") | ("PUT", "/api/v1/clients/{id}") => "ClientInput",
        ("POST", "/api/v1/clients/{id}/care-team") => "CareTeamInput",
        ("POST", "/api/v1/clients/{id}/episodes") => "EpisodeInput",
        ("POST", "/api/v1/clients/{id}/episodes/{episode_id}/close") => "CloseEpisodeInput",
        ("PUT", "/api/v1/clinicians/{id}") => "ClinicianInput",
        ("POST", "/api/v1/users") => "NewUserInput",
        ("PUT", "/api/v1/users/{id}/roles") => "RolesInput",
        ("POST", "/api/v1/users/{id}/reset-password") => "ResetPasswordInput",
        ("POST", "/api/v1/supervisions") => "SupervisionInput",
        ("POST", "/api/v1/tokens") => "TokenInput",
        ("PUT", "/api/v1/appointment-types/{key}") => "AppointmentTypeInput",
        ("POST", "/api/v1/locations") => "LocationInput",
        ("POST", "/api/v1/locations/{id}/rooms") => "RoomInput",
        ("PUT", "/api/v1/settings/cancellation-window") => "WindowInput",
        ("PUT", "/api/v1/settings/reminders") => "RemindersInput",
        ("PUT", "/api/v1/settings/waitlist") => "WaitlistSettings",
        ("PUT", "/api/v1/settings/online-booking") => "OnlineRules",
        ("PUT", "/api/v1/clinicians/{id}/online-booking") => "ClinicianOnlineRules",
        ("POST", "/api/v1/waitlist") => "WaitlistInput",
        ("POST", "/api/v1/waitlist/{id}/status") => "WaitlistStatusInput",
        ("POST", "/api/v1/appointments") => "BookingInput",
        ("POST", "/api/v1/appointments/{id}/reschedule") => "RescheduleInput",
        ("POST", "/api/v1/appointments/{id}/status") => "StatusInput",
        ("POST", "/api/v1/appointments/{id}/series/change") => "SeriesChangeInput",
        ("POST", "/api/v1/appointments/{id}/series/end") => "EndSeriesInput",
        ("POST", "/api/v1/clinicians/{id}/availability-exceptions") => "ExceptionInput",
        ("POST", "/api/v1/clinicians/{id}/calendar-feed") => "FeedInput",
        ("PUT", "/api/v1/note-templates/{key}") => "NoteTemplateInput",
        ("POST", "/api/v1/clients/{id}/notes") => "NewNote",
        ("PUT", "/api/v1/notes/{id}") => "DraftInput",
        ("POST", "/api/v1/notes/{id}/addenda") => "AddendumInput",
        ("POST", "/api/v1/notes/{id}/shares") => "ShareInput",
        ("POST", "/api/v1/clients/{id}/plans") => "NewPlan",
        ("POST", "/api/v1/notes/{id}/release-consents") => "ReleaseConsentInput",
        ("POST", "/api/v1/notes/{id}/releases") => "ReleaseInput",
        ("POST", "/api/v1/units") => "NewUnit",
        ("POST", "/api/v1/units/{id}/notes") => "NewNote",
        ("PUT", "/api/v1/plans/{id}") => "PlanContent",
        ("POST", "/api/v1/plans/{id}/reviews") => "PlanReview",
        ("POST", "/api/v1/plans/{id}/acknowledge") => "PlanAcknowledgement",
        ("POST", "/api/v1/alerts/{id}/acknowledge") => "AlertAcknowledgement",
        ("POST", "/api/v1/notes/{id}/cosign") => "CosignInput",
        ("POST", "/api/v1/clients/{id}/measure-assignments") => "AssignInput",
        ("POST", "/api/v1/clients/{id}/measure-responses") => "ResponseInput",
        ("PUT", "/api/v1/settings/measures") => "MeasureSettings",
        ("POST", "/api/v1/clients/{id}/behaviours") => "BehaviourInput",
        ("POST", "/api/v1/clients/{id}/behaviour-entries") => "EntriesInput",
        ("POST", "/api/v1/clients/{id}/homework") | ("PUT", "/api/v1/homework/{id}") => {
            "HomeworkInput"
        }
        ("POST", "/api/v1/homework/{id}/status") => "HomeworkStatusInput",
        ("PUT", "/api/v1/settings/behaviour") => "BehaviourSettings",
        ("PUT", "/api/v1/settings/portal") => "PortalSettings",
        ("PUT", "/api/v1/clients/{id}/safety-plan") => "SafetyPlan",
        ("POST", "/api/v1/clients/{id}/medications") => "MedicationInput",
        ("POST", "/api/v1/medications/{id}/stop") => "MedicationStop",
        ("POST", "/api/v1/clients/{id}/referrals") => "ReferralInput",
        ("POST", "/api/v1/referrals/{id}/status") => "ReferralMove",
        ("POST", "/api/v1/groups") | ("PUT", "/api/v1/groups/{id}") => "GroupInput",
        ("POST", "/api/v1/groups/{id}/members") => "GroupMemberInput",
        ("POST", "/api/v1/groups/{id}/members/{client_id}/leave") => "GroupLeaveInput",
        ("POST", "/api/v1/groups/{id}/sessions") => "NewGroupSession",
        ("PUT", "/api/v1/group-sessions/{id}/attendance") => "AttendanceInput",
        ("PUT", "/api/v1/group-sessions/{id}/notes") => "GroupNotesInput",
        ("POST", "/api/v1/group-sessions/{id}/talk") => "TalkInput",
        ("POST", "/api/v1/clients/{id}/record-requests") => "RecordRequestInput",
        ("POST", "/api/v1/record-requests/{id}/deny") => "DenyRequestInput",
        ("POST", "/api/v1/record-requests/{id}/extend") => "ExtendRequestInput",
        ("PUT", "/api/v1/settings/record-requests") => "RecordRequestSettings",
        ("POST", "/api/v1/on-call-shifts") => "OnCallShiftInput",
        ("POST", "/api/v1/emergency-access") => "BreakGlassInput",
        ("POST", "/api/v1/emergency-access/{id}/review") => "EmergencyReviewInput",
        _ => return None,
    })
}

fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": props })
}

fn schemas() -> Value {
    let text = json!({ "type": "string" });
    let opt_text = json!({ "type": ["string", "null"] });
    let date = json!({ "type": "string", "format": "date" });
    let uuid = json!({ "type": "string", "format": "uuid" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    // Plan elements keep their ids across edits; behaviours and reviews refer to objectives by them.
    let element_id = json!({ "type": "string", "description": "The element's id from the plan (e.g. p1.g2.o1): send it back to keep the element; leave it out for a new element, which gets an id this plan never used. The same id twice is a 422" });
    let role = json!({ "type": "string", "enum": ["admin", "clinician", "supervisor", "scheduler", "billing"] });
    json!({
        "Contact": obj(&["name"], json!({ "name": text, "relationship": opt_text, "phone": opt_text, "email": opt_text })),
        "ClientInput": obj(&["legal_name", "date_of_birth", "time_zone"], json!({
            "legal_name": text, "preferred_name": opt_text, "pronouns": opt_text, "date_of_birth": date,
            "email": opt_text, "phone": opt_text,
            "time_zone": { "type": "string", "description": "IANA time zone, e.g. Europe/Berlin" },
            "status": { "type": ["string", "null"], "enum": ["inquiry", "waitlist", "active", "discharged", null] },
            "emergency_contacts": { "type": "array", "items": { "$ref": "#/components/schemas/Contact" } },
            "guardians": { "type": "array", "items": { "$ref": "#/components/schemas/Contact" } },
            "presenting_problem": { "type": ["string", "null"], "description": "Care team only; encrypted at rest" },
            "clinical_notes": { "type": ["string", "null"], "description": "Care team only; encrypted at rest" },
        })),
        "CareTeamInput": obj(&["user_id"], json!({ "user_id": uuid, "team_role": { "type": ["string", "null"], "enum": ["primary", "member", null] } })),
        "EpisodeInput": obj(&["opened_on"], json!({ "opened_on": date, "presenting_problems": opt_text, "diagnoses": { "type": "array", "items": { "type": "string", "description": "ICD-10-CM code, e.g. F32.1" } } })),
        "CloseEpisodeInput": obj(&["closed_on"], json!({ "closed_on": date })),
        "WorkingBlock": obj(&["weekday", "start", "end"], json!({ "weekday": { "type": "string", "enum": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] }, "start": { "type": "string", "example": "09:00:00" }, "end": { "type": "string", "example": "17:00:00" }, "mode": { "type": ["string", "null"], "enum": ["in_person", "telehealth", null] }, "location_id": { "type": ["string", "null"], "format": "uuid" } })),
        "ClinicianInput": obj(&["time_zone"], json!({
            "time_zone": text, "specialisations": strings, "age_groups": strings, "modalities": strings, "languages": strings,
            "accepts_new_clients": { "type": "boolean" },
            "weekly_hours": { "type": "array", "items": { "$ref": "#/components/schemas/WorkingBlock" } },
            "licences": opt_text, "bio": opt_text,
        })),
        "NewUserInput": obj(&["email", "display_name", "roles"], json!({ "email": text, "display_name": text, "roles": { "type": "array", "items": role }, "time_zone": opt_text })),
        "RolesInput": obj(&["roles"], json!({ "roles": { "type": "array", "items": role } })),
        "ResetPasswordInput": obj(&[], json!({ "reset_mfa": { "type": "boolean" } })),
        "SupervisionInput": obj(&["supervisor_id", "supervisee_id"], json!({ "supervisor_id": uuid, "supervisee_id": uuid })),
        "TokenInput": obj(&["name"], json!({ "name": text })),
        "AppointmentTypeInput": obj(&["key", "label", "kind", "minutes", "buffer_before_minutes", "buffer_after_minutes", "modes"], json!({
            "key": text, "label": text,
            "kind": { "type": "string", "enum": ["intake", "individual", "couple", "family", "group", "crisis", "consultation"] },
            "minutes": { "type": "integer" }, "buffer_before_minutes": { "type": "integer" }, "buffer_after_minutes": { "type": "integer" },
            "modes": { "type": "array", "items": { "type": "string", "enum": ["in_person", "telehealth"] } },
            "service_code": opt_text,
        })),
        "LocationInput": obj(&["name", "time_zone"], json!({ "name": text, "time_zone": text, "address": opt_text })),
        "RoomInput": obj(&["name"], json!({ "name": text, "capacity": { "type": "integer" } })),
        "WindowInput": obj(&["hours"], json!({ "hours": { "type": "integer" } })),
        "OnlineRules": obj(&["enabled", "min_notice_hours", "horizon_days", "approve_new_clients", "new_client_type", "existing_client_type"], json!({
            "enabled": { "type": "boolean" }, "min_notice_hours": { "type": "integer" }, "horizon_days": { "type": "integer" },
            "approve_new_clients": { "type": "boolean" }, "new_client_type": text, "existing_client_type": text,
        })),
        "ClinicianOnlineRules": obj(&[], json!({
            "offers_online": { "type": "boolean" }, "min_notice_hours": { "type": ["integer", "null"] },
            "horizon_days": { "type": ["integer", "null"] }, "approve_new_clients": { "type": ["boolean", "null"] },
        })),
        "WaitlistSettings": obj(&["email_offers"], json!({ "email_offers": { "type": "boolean" } })),
        "WaitlistInput": obj(&["client_id", "type_key"], json!({
            "client_id": uuid, "type_key": text, "clinician_id": { "type": ["string", "null"], "format": "uuid" },
            "mode": { "type": ["string", "null"], "enum": ["in_person", "telehealth", null] }, "days": strings,
            "earliest": opt_text, "latest": opt_text, "time_zone": opt_text, "priority": { "type": ["integer", "null"] }, "note": opt_text,
        })),
        "WaitlistStatusInput": obj(&["status"], json!({ "status": { "type": "string", "enum": ["waiting", "booked", "removed"] } })),
        "RemindersInput": obj(&["hours"], json!({ "hours": { "type": "integer" }, "practice_name": opt_text })),
        "BookingInput": obj(&["type_key", "clinician_id", "start"], json!({
            "type_key": text, "clinician_id": uuid, "client_ids": { "type": "array", "items": uuid },
            "start": { "type": "string", "description": "Wall-clock start YYYY-MM-DDTHH:MM in time_zone" },
            "time_zone": opt_text, "mode": { "type": ["string", "null"], "enum": ["in_person", "telehealth", null] },
            "room_id": { "type": ["string", "null"], "format": "uuid" }, "group_id": { "type": ["string", "null"], "format": "uuid" },
            "rrule": { "type": ["string", "null"], "description": "RFC 5545 RRULE, e.g. FREQ=WEEKLY;COUNT=12" },
            "outside_working_hours": { "type": "boolean" },
        })),
        "RescheduleInput": obj(&["start"], json!({ "start": text, "time_zone": opt_text, "room_id": { "type": ["string", "null"], "format": "uuid" }, "outside_working_hours": { "type": "boolean" } })),
        "StatusInput": obj(&["status"], json!({ "status": { "type": "string", "enum": ["confirmed", "arrived", "completed", "no_show", "late_cancelled", "cancelled"] }, "reason": opt_text })),
        "SeriesChangeInput": obj(&["start"], json!({ "start": text, "rrule": opt_text, "time_zone": opt_text, "outside_working_hours": { "type": "boolean" } })),
        "EndSeriesInput": obj(&[], json!({ "including_this": { "type": "boolean" } })),
        "FeedInput": obj(&[], json!({ "show": { "type": ["string", "null"], "enum": ["generic", "initials", null] } })),
        "ExceptionInput": obj(&["kind", "start", "end"], json!({ "kind": { "type": "string", "enum": ["time_off", "extra_hours"] }, "start": text, "end": text, "note": opt_text })),
        "NoteField": {
            "type": "object",
            "required": ["key", "label", "type"],
            "properties": {
                "key": { "type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$" },
                "label": text,
                "type": { "type": "string", "enum": ["line", "text", "diagnoses", "choice"] },
                "options": strings,
                "required": { "type": "boolean" },
                "help": opt_text,
            },
        },
        "NoteTemplateInput": obj(&["label", "kind", "fields"], json!({
            "label": text,
            "kind": { "type": "string", "enum": ["intake", "progress_soap", "progress_dap", "progress_birp", "crisis", "discharge", "psychotherapy"] },
            "fields": { "type": "array", "items": { "$ref": "#/components/schemas/NoteField" } },
        })),
        "NewNote": obj(&["template"], json!({
            "template": { "type": "string", "description": "Template key, e.g. progress_soap or psychotherapy" },
            "appointment_id": { "type": ["string", "null"], "format": "uuid" },
            "service_date": { "type": ["string", "null"], "format": "date" },
            "fields": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Field key → text; encrypted at rest" },
        })),
        "DraftInput": obj(&[], json!({
            "service_date": { "type": ["string", "null"], "format": "date" },
            "fields": { "type": "object", "additionalProperties": { "type": "string" } },
        })),
        "AddendumInput": obj(&["body"], json!({ "body": text })),
        "ReleaseConsentInput": obj(&["client_id", "how"], json!({ "client_id": uuid, "how": { "type": "string", "description": "e.g. signed release form" } })),
        "ReleaseInput": obj(&["recipient", "purpose"], json!({ "recipient": text, "purpose": text })),
        "NewUnit": obj(&["kind", "label", "members"], json!({
            "kind": { "type": "string", "enum": ["couple", "family"] },
            "label": text,
            "members": { "type": "array", "items": obj(&["client_id"], json!({ "client_id": uuid, "role": opt_text })) },
        })),
        "Intervention": obj(&["modality", "frequency"], json!({ "modality": text, "frequency": text })),
        "Objective": obj(&["statement", "measure", "target"], json!({
            "id": element_id, "statement": text,
            "measure": { "type": "string", "description": "What is counted or scored, with its unit" },
            "instrument": { "type": ["string", "null"], "description": "Instrument id when a questionnaire measures it, e.g. phq9" },
            "baseline": { "type": ["number", "null"] }, "target": { "type": "number" },
            "target_date": { "type": ["string", "null"], "format": "date" },
            "target_weeks": { "type": ["integer", "null"] },
            "current": { "type": ["number", "null"] },
            "status": { "type": "string", "enum": ["not_started", "in_progress", "achieved", "revised", "discontinued"] },
            "interventions": { "type": "array", "items": { "$ref": "#/components/schemas/Intervention" } },
        })),
        "Goal": obj(&["statement"], json!({ "id": element_id, "statement": text, "objectives": { "type": "array", "items": { "$ref": "#/components/schemas/Objective" } } })),
        "Problem": obj(&["statement"], json!({ "id": element_id, "statement": text, "goals": { "type": "array", "items": { "$ref": "#/components/schemas/Goal" } } })),
        "PlanContent": obj(&["problems"], json!({ "problems": { "type": "array", "items": { "$ref": "#/components/schemas/Problem" } } })),
        "NewPlan": obj(&[], json!({
            "template": { "type": ["string", "null"], "enum": ["bereavement", "anger_management", "substance_use", "depression", "anxiety", null] },
            "content": { "oneOf": [{ "$ref": "#/components/schemas/PlanContent" }, { "type": "null" }] },
            "start": { "type": ["string", "null"], "format": "date" },
        })),
        "PlanReview": obj(&["note"], json!({
            "objectives": { "type": "array", "items": obj(&["id"], json!({ "id": text, "current": { "type": ["number", "null"] }, "status": { "type": ["string", "null"], "enum": ["not_started", "in_progress", "achieved", "revised", "discontinued", null] } })) },
            "note": text,
            "next_review_on": { "type": ["string", "null"], "format": "date" },
        })),
        "PlanAcknowledgement": obj(&["how"], json!({ "how": { "type": "string", "description": "e.g. signed in session" } })),
        "AlertAcknowledgement": obj(&["action"], json!({
            "action": { "type": "string", "enum": ["contacted_client", "safety_plan_reviewed", "emergency_services", "no_action_needed"] },
            "note": { "type": ["string", "null"], "maxLength": 2000, "description": "Required (at least 15 characters) with no_action_needed: why nothing was needed" },
        })),
        "CosignInput": obj(&[], json!({
            "feedback": { "type": ["string", "null"], "maxLength": 4000, "description": "For the trainee: kept with the note and shown to whoever reads it" },
        })),
        "ShareInput": obj(&["user_id"], json!({ "user_id": uuid })),
        "AssignInput": obj(&["instrument"], json!({
            "instrument": { "type": "string", "description": "Instrument id from /api/v1/instruments, e.g. phq9" },
            "schedule": { "type": ["string", "null"], "enum": ["once", "every_days", null] },
            "every_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 365 },
            "link_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 30, "description": "How long each e-mailed link works (default 7)" },
        })),
        "ResponseInput": obj(&["instrument", "answers"], json!({
            "instrument": text,
            "answers": { "type": "object", "additionalProperties": { "type": "integer" }, "description": "Item id → option value; encrypted at rest" },
            "assignment_id": { "type": ["string", "null"], "format": "uuid" },
            "completed_at": { "type": ["string", "null"], "format": "date-time" },
            "partial": { "type": "boolean", "description": "Blank items are scored by the published missing-item rule instead of refused" },
        })),
        "MeasureSettings": obj(&["escalate_after_minutes"], json!({ "escalate_after_minutes": { "type": "integer", "minimum": 1, "maximum": 1440 } })),
        "BehaviourInput": obj(&["name", "kind"], json!({
            "name": { "type": "string", "description": "In the client's words; encrypted at rest" },
            "kind": { "type": "string", "enum": ["count", "duration", "intensity"], "description": "A count per day, a duration in minutes per day, or an intensity on a whole-number scale" },
            "scale_min": { "type": ["integer", "null"], "minimum": 0, "maximum": 100, "description": "Intensity scale (0–10 by default)" },
            "scale_max": { "type": ["integer", "null"], "minimum": 1, "maximum": 100 },
            "direction": { "type": ["string", "null"], "enum": ["reduce", "increase", null], "description": "Read from the linked objective's baseline and target when left out" },
            "target": { "type": ["number", "null"], "description": "At most (reduce) or at least (increase) this much per day or week; minutes for a duration; the linked objective's target when left out" },
            "target_per": { "type": ["string", "null"], "enum": ["day", "week", null] },
            "plan_id": { "type": ["string", "null"], "format": "uuid" },
            "objective_id": { "type": ["string", "null"], "description": "The objective's id in the plan, e.g. p1.g1.o1" },
        })),
        "EntriesInput": obj(&["entries"], json!({ "entries": { "type": "array", "minItems": 1, "items": obj(&["behaviour_id", "value"], json!({
            "behaviour_id": uuid,
            "date": { "type": ["string", "null"], "format": "date", "description": "The client's calendar date; today in their zone by default; at most 31 days back" },
            "value": { "type": "number", "description": "A whole count (0–200 a day), minutes (a day holds 1440), or a point on the intensity scale" },
        })) } })),
        "HomeworkInput": obj(&["title", "due_on"], json!({
            "title": { "type": "string", "description": "Encrypted at rest" },
            "instructions": { "type": ["string", "null"], "description": "Encrypted at rest" },
            "due_on": { "type": "string", "format": "date" },
            "plan_id": { "type": ["string", "null"], "format": "uuid", "description": "The client's treatment plan whose objective the homework serves; with objective_id" },
            "objective_id": { "type": ["string", "null"], "description": "The objective's id in the plan, e.g. p1.g1.o1; an edit without it clears the link" },
        })),
        "HomeworkStatusInput": obj(&["status"], json!({
            "status": { "type": "string", "enum": ["done", "not_done", "assigned"] },
            "note": { "type": ["string", "null"], "description": "What the client said about it; encrypted at rest" },
        })),
        "BehaviourSettings": obj(&["link_days"], json!({ "link_days": { "type": "integer", "minimum": 1, "maximum": 90 } })),
        "SafetyPlan": obj(&[], json!({
            "warning_signs": strings, "coping": strings, "distractions": strings, "supports": strings,
            "professionals": strings, "environment": strings, "reasons": strings,
        })),
        "MedicationInput": obj(&["name", "started_on"], json!({
            "name": text, "dose": text, "prescriber": text, "started_on": date, "notes": text,
        })),
        "MedicationStop": obj(&["stopped_on", "reason", "version"], json!({
            "stopped_on": date, "reason": text, "version": { "type": "integer" },
        })),
        "ReferralInput": obj(&["kind", "to", "reason", "sent_on"], json!({
            "kind": { "type": "string", "enum": ["psychiatry", "primary_care", "specialist", "crisis", "other"] },
            "to": text, "reason": text,
            "urgency": { "type": "string", "enum": ["routine", "urgent", "emergency", ""] },
            "sent_on": date,
        })),
        "ReferralMove": obj(&["status", "on", "version"], json!({
            "status": { "type": "string", "enum": ["accepted", "declined", "seen", "closed"] },
            "on": date, "note": opt_text, "version": { "type": "integer" },
        })),
        "PortalSettings": obj(&["show_record"], json!({ "show_record": { "type": "boolean", "description": "Clients read their record in the portal (default true)" } })),
        "GroupInput": obj(&["name", "kind", "capacity", "facilitator_ids"], json!({
            "name": text,
            "kind": { "type": "string", "enum": ["process", "psychoeducation", "skills", "support"] },
            "capacity": { "type": "integer", "minimum": 2, "maximum": 200 },
            "facilitator_ids": { "type": "array", "items": uuid, "minItems": 1, "maxItems": 2 },
        })),
        "GroupMemberInput": obj(&["client_id"], json!({ "client_id": uuid, "joined_on": { "type": ["string", "null"], "format": "date", "description": "Start of a new period of membership; today by default. A member who left rejoins from their last leave date on; a current member is a 409" } })),
        "GroupLeaveInput": obj(&[], json!({ "left_on": { "type": ["string", "null"], "format": "date", "description": "First day no longer a member; today by default" } })),
        "NewGroupSession": obj(&[], json!({ "date": { "type": ["string", "null"], "format": "date" }, "appointment_id": { "type": ["string", "null"], "format": "uuid" } })),
        "AttendanceInput": obj(&["entries"], json!({ "entries": { "type": "array", "items": obj(&["client_id", "status"], json!({
            "client_id": uuid, "status": { "type": "string", "enum": ["present", "late", "absent", "excused"] },
        })) } })),
        "GroupNotesInput": obj(&[], json!({
            "shared_note": { "type": ["string", "null"], "description": "Names no member (checked at signing); encrypted at rest" },
            "individual_notes": { "type": "array", "items": obj(&["client_id", "note"], json!({ "client_id": uuid, "note": text })) },
        })),
        "TalkInput": obj(&[], json!({ "client_id": { "type": ["string", "null"], "format": "uuid", "description": "Who speaks from now on; null for nobody / pause" }, "ago_ms": { "type": ["integer", "null"], "minimum": 0, "maximum": 600000, "description": "How many milliseconds ago the speaker changed, for a change held while offline; absent for now" } })),
        "RecordRequestInput": obj(&["capacity", "format", "delivery"], json!({
            "received_on": { "type": ["string", "null"], "format": "date", "description": "Today when left out; never in the future" },
            "capacity": { "type": "string", "enum": ["client", "guardian", "representative"] },
            "requester": { "type": ["string", "null"], "description": "Who asked, when not the client; encrypted at rest" },
            "format": { "type": "string", "enum": ["electronic", "paper"] },
            "delivery": { "type": "string", "enum": ["collect", "email", "post"] },
            "notes": { "type": ["string", "null"], "description": "Encrypted at rest" },
        })),
        "DenyRequestInput": obj(&["reason"], json!({ "reason": { "type": "string", "description": "Encrypted at rest; shown only to those who may read the clinical record" } })),
        "ExtendRequestInput": obj(&["days", "reason"], json!({ "days": { "type": "integer", "minimum": 1, "maximum": 30 }, "reason": { "type": "string", "description": "The reasons for the delay, which the requester must be told in writing (45 CFR 164.524(b)(2)(iii)); encrypted at rest" } })),
        "RecordRequestSettings": obj(&["due_days"], json!({ "due_days": { "type": "integer", "minimum": 1, "maximum": 30 } })),
        "OnCallShiftInput": obj(&["user_id", "start", "end"], json!({
            "user_id": { "type": "string", "format": "uuid", "description": "An active clinician or supervisor" },
            "start": { "type": "string", "description": "Local wall-clock start, YYYY-MM-DDTHH:MM; a time skipped by the clocks is refused" },
            "end": { "type": "string", "description": "Local wall-clock end (exclusive), YYYY-MM-DDTHH:MM; after the start, at most 7 days later" },
            "time_zone": { "type": ["string", "null"], "description": "IANA zone; the practice's when left out" },
        })),
        "BreakGlassInput": obj(&["legal_name", "date_of_birth", "reason"], json!({
            "legal_name": { "type": "string", "description": "The client's legal name exactly (case and spacing aside)" },
            "date_of_birth": date,
            "reason": { "type": "string", "description": "Why the record is needed now, at least 20 characters; reviewed by an administrator" },
        })),
        "EmergencyReviewInput": obj(&["finding"], json!({
            "finding": { "type": "string", "enum": ["appropriate", "inappropriate"] },
            "note": opt_text,
        })),
        "Error": {
            "type": "object",
            "required": ["error", "message", "request_id"],
            "properties": {
                "error": { "type": "string", "description": "Stable, greppable code" },
                "message": { "type": "string" },
                "request_id": { "type": "string" },
                "fields": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } },
            },
        },
    })
}

/// Writes that answer 204 No Content (every other route answers 200, or 201 when it creates).
const NO_CONTENT: &[(&str, &str)] = &[
    ("POST", "/api/v1/clients/{id}/care-team"),
    ("DELETE", "/api/v1/clients/{id}/care-team/{user_id}"),
    ("PUT", "/api/v1/users/{id}/roles"),
    ("POST", "/api/v1/users/{id}/disable"),
    ("POST", "/api/v1/users/{id}/enable"),
    ("POST", "/api/v1/supervisions"),
    ("DELETE", "/api/v1/tokens/{id}"),
    ("POST", "/api/v1/emergency-access/{id}/review"),
    ("DELETE", "/api/v1/on-call-shifts/{id}"),
    ("DELETE", "/api/v1/availability-exceptions/{id}"),
    ("PUT", "/api/v1/clinicians/{id}/online-booking"),
    ("DELETE", "/api/v1/clinicians/{id}/calendar-feed"),
    ("POST", "/api/v1/waitlist/{id}/status"),
];

/// Creates that take no `Idempotency-Key` (those that do answer 201 too): a token, an account, a feed, a link.
const CREATED_WITHOUT_KEY: &[(&str, &str)] = &[
    ("POST", "/api/v1/users"),
    ("POST", "/api/v1/tokens"),
    ("POST", "/api/v1/units"),
    ("POST", "/api/v1/clients/{id}/diary-link"),
    ("POST", "/api/v1/clinicians/{id}/calendar-feed"),
];

/// The one success status a route answers; Schemathesis (`scripts/test`) fails on any status not documented.
fn success(r: &RouteSpec) -> (&'static str, &'static str) {
    let (method, path) = (r.method, r.path);
    let route = (method, path);
    if NO_CONTENT.contains(&route) || (method == "PUT" && path.starts_with("/api/v1/settings/")) {
        ("204", "Done; no content")
    } else if CREATED_WITHOUT_KEY.contains(&route) || r.idempotent {
        ("201", "Created; `Location` names the new resource")
    } else {
        ("200", "Success")
    }
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut op = json!({
            "summary": r.summary,
            "tags": [r.tag],
            "operationId": format!("{} {}", r.method, r.path),
            "parameters": params(r.path),
            "responses": {
                "401": error_response("Not signed in"),
                "403": error_response("Not allowed"),
                "404": error_response("Not found (or not visible to you)"),
                "422": error_response("Invalid input; `fields` names each problem"),
                "503": error_response("The database is not available; nothing was changed, try again"),
            },
        });
        let (status, description) = success(r);
        op["responses"][status] = json!({ "description": description });
        if let Some(schema) = body_schema(r.method, r.path) {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
            op["responses"]["413"] = error_response("Body larger than 1 MiB");
            op["responses"]["415"] =
                error_response("Body not sent as `Content-Type: application/json`");
        }
        if matches!(r.method, "POST" | "PUT") {
            op["responses"]["400"] = error_response("Malformed JSON");
            op["responses"]["409"] = error_response("Conflict (stale version or duplicate)");
        }
        if r.method != "GET" {
            op["responses"]["507"] =
                error_response("The server's disk is full; nothing was changed (`storage_full`)");
        }
        if r.method == "POST"
            && r.idempotent
            && let Some(p) = op["parameters"].as_array_mut()
        {
            p.push(json!({
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "1–255 printable ASCII characters, chosen by the caller. Within 24 hours, the same key with the same body answers the first answer again (status, body, Location) and creates nothing; with another body, 422 `idempotency.mismatch`. Keys are per caller.",
                "schema": { "type": "string", "minLength": 1, "maxLength": 255 }
            }));
        }
        // The registry's summary says which writes need the version they read.
        if r.summary.contains("If-Match") {
            if let Some(p) = op["parameters"].as_array_mut() {
                p.push(json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" } }));
            }
            op["responses"]["428"] = error_response("If-Match missing");
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Rapport API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Practice and clinical records for psychotherapists. Authenticate with a personal API token: `Authorization: Bearer rpt_…`.",
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_writing_route_documents_its_body() {
        for r in ROUTES.iter().filter(|r| matches!(r.method, "POST" | "PUT")) {
            // Actions named by their path that take no body.
            let bodiless = r.path.ends_with("/disable")
                || r.path.ends_with("/enable")
                || r.path.ends_with("/sign")
                || r.path.ends_with("/take-over")
                || r.path
                    .ends_with("/measure-assignments/{assignment_id}/stop")
                || r.path.ends_with("/retire")
                || r.path.ends_with("/diary-link")
                || r.path.ends_with("/diary-link/revoke")
                || r.path.ends_with("/fulfil")
                || r.path == "/api/v1/plans/{id}/activate"
                || r.path == "/api/v1/plans/{id}/close";
            assert_eq!(
                body_schema(r.method, r.path).is_some(),
                !bodiless,
                "{} {}",
                r.method,
                r.path
            );
        }
        let doc = build();
        for name in ["ClientInput", "ClinicianInput", "Error"] {
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }

    /// The lists of 204 and 201 routes name routes that exist, so a renamed route cannot fall back to 200.
    #[test]
    fn every_route_documents_one_success_status_and_the_lists_name_real_routes() {
        for &(method, path) in NO_CONTENT.iter().chain(CREATED_WITHOUT_KEY) {
            assert!(
                ROUTES.iter().any(|r| r.method == method && r.path == path),
                "{method} {path} is not a route"
            );
        }
        let doc = build();
        for r in ROUTES {
            let responses = &doc["paths"][r.path][r.method.to_lowercase()]["responses"];
            let successes: Vec<&String> = responses
                .as_object()
                .map(|o| o.keys().filter(|k| k.starts_with('2')).collect())
                .unwrap_or_default();
            assert_eq!(successes.len(), 1, "{} {}: {successes:?}", r.method, r.path);
        }
        let created = &doc["paths"]["/api/v1/appointments"]["post"]["responses"];
        assert!(created["201"].is_object() && created["415"].is_object());
        assert!(doc["paths"]["/api/v1/settings/waitlist"]["put"]["responses"]["204"].is_object());
        assert!(doc["paths"]["/api/v1/tokens"]["post"]["responses"]["201"].is_object());
        assert!(doc["paths"]["/api/v1/clients/{id}"]["get"]["responses"]["200"].is_object());
    }
}
