//! What signing a group session vouches for and refuses: the hashes of the session record and of each individual
//! note, and the checks before signing (attendance for everyone on the roster that day, a shared note that names
//! no member, individual notes that name no other member).

use super::member_names;
use chrono::{DateTime, Utc};
use rapport_domain::group::names::{MemberNames, find_member_names};
use rapport_domain::{ClientId, FieldError, UserId};
use rapport_store::group_sessions::{AttendanceRow, Session};
use rapport_store::groups::RosterEntry;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// The hash recorded at signing: SHA-256 over a canonical JSON of the session record (without individual notes,
/// which carry hashes of their own, so one member's chart can show theirs without the others).
pub(crate) fn session_hash(
    s: &Session,
    attendance: &[AttendanceRow],
    by: UserId,
    at: DateTime<Utc>,
) -> String {
    let mut rows: Vec<(String, &str)> = attendance
        .iter()
        .map(|a| (a.client_id.to_string(), a.status.as_str()))
        .collect();
    rows.sort();
    let doc = serde_json::json!({
        "session": s.id,
        "group": s.group_id,
        "date": s.date,
        "shared_note": s.shared_note,
        "attendance": rows,
        "signed_by": by,
        "signed_at": at.to_rfc3339(),
    });
    hex::encode(Sha256::digest(doc.to_string().as_bytes()))
}

pub(crate) fn note_hash(session: Uuid, a: &AttendanceRow, at: DateTime<Utc>) -> String {
    let doc = serde_json::json!({
        "session": session,
        "client": a.client_id,
        "status": a.status.as_str(),
        "note": a.note,
        "signed_at": at.to_rfc3339(),
    });
    hex::encode(Sha256::digest(doc.to_string().as_bytes()))
}

/// Why a session cannot be signed yet, field by field.
pub(super) fn sign_problems(
    s: &Session,
    roster: &[RosterEntry],
    attendance: &[AttendanceRow],
) -> Vec<FieldError> {
    let mut out = Vec::new();
    let everyone = member_names(roster);
    match s
        .shared_note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        None => out.push(FieldError::new(
            "shared_note",
            "write the shared note before signing",
        )),
        Some(note) => {
            let found = find_member_names(note, &everyone);
            if !found.is_empty() {
                out.push(FieldError::new(
                    "shared_note",
                    format!(
                        "the shared note names group members: {}. Every member's chart shows this note; describe members without their names (\u{201c}one member\u{201d}, \u{201c}a newer member\u{201d}) before signing",
                        found.join(", ")
                    ),
                ));
            }
        }
    }
    let recorded: HashMap<ClientId, &AttendanceRow> =
        attendance.iter().map(|a| (a.client_id, a)).collect();
    let missing = roster
        .iter()
        .filter(|m| m.on(s.date) && !recorded.contains_key(&m.client_id))
        .count();
    if missing > 0 {
        out.push(FieldError::new(
            "attendance",
            format!("record attendance for every member first ({missing} without)"),
        ));
    }
    for a in attendance {
        let Some(note) = a.note.as_deref() else {
            continue;
        };
        let others: Vec<MemberNames> = roster
            .iter()
            .filter(|m| m.client_id != a.client_id)
            .map(|m| MemberNames::new(m.legal_name.clone(), m.preferred_name.clone()))
            .collect();
        let found = find_member_names(note, &others);
        if !found.is_empty() {
            let whose = roster
                .iter()
                .find(|m| m.client_id == a.client_id)
                .map(|m| m.display_name())
                .unwrap_or_else(|| "a member".into());
            out.push(FieldError::new(
                format!("individual_notes.{}", a.client_id),
                format!(
                    "the note for {whose} names other members: {}; it is shown in {whose}'s chart",
                    found.join(", ")
                ),
            ));
        }
    }
    out
}
