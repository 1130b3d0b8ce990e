//! Group sessions: the session row with its sealed shared note and saved talk tally, attendance rows with sealed
//! individual notes, and the talk-time clicks. Writes that change what a signature covers check the version and
//! that the session is still open, in the same statement.

use crate::crypto::{Aad, Encrypted};
use crate::entity::{appointments, group_attendance, group_sessions, group_talk_events};
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::group::Attendance;
use rapport_domain::group::talk::{TalkEvent, Tally};
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub const OPEN: &str = "open";
pub const SIGNED: &str = "signed";

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Uuid,
    pub group_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub date: NaiveDate,
    pub signed: bool,
    pub shared_note: Option<String>,
    pub talk_tally: Option<Tally>,
    pub version: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub signed_by: Option<UserId>,
    pub signed_at: Option<DateTime<Utc>>,
    pub content_hash: Option<String>,
}

/// A session without its sealed note: what lists show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionHead {
    pub id: Uuid,
    pub group_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub date: NaiveDate,
    pub signed: bool,
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    pub client_id: ClientId,
    pub status: Attendance,
    pub note: Option<String>,
    pub note_hash: Option<String>,
}

fn integrity(e: impl std::fmt::Display) -> StoreError {
    StoreError::Integrity(e.to_string())
}

fn note_row(session: Uuid, client: ClientId) -> String {
    format!("{session}/{client}")
}

const SHARED: (&str, &str) = ("group_sessions", "shared_note");
const INDIVIDUAL: (&str, &str) = ("group_attendance", "note");

fn aad<'a>(place: (&'static str, &'static str), row: &'a str) -> Aad<'a> {
    Aad {
        table: place.0,
        column: place.1,
        row,
    }
}

fn head(m: &group_sessions::Model) -> SessionHead {
    SessionHead {
        id: m.id,
        group_id: m.group_id,
        appointment_id: m.appointment_id,
        date: m.session_date,
        signed: m.status == SIGNED,
        signed_at: m.signed_at,
    }
}

/// Opens the shared note of a session row.
pub fn shared_note(tx: &Tx<'_>, m: &group_sessions::Model) -> Result<Option<String>, StoreError> {
    let row = m.id.to_string();
    m.shared_note
        .as_ref()
        .map(|b| Encrypted::<String>::open(tx.cipher(), aad(SHARED, &row), b))
        .transpose()
        .map_err(StoreError::from)
}

fn open(tx: &Tx<'_>, m: group_sessions::Model) -> Result<Session, StoreError> {
    let talk_tally = m
        .talk_tally
        .as_deref()
        .map(serde_json::from_str::<Tally>)
        .transpose()
        .map_err(|e| integrity(format!("group session {}: unreadable tally: {e}", m.id)))?;
    Ok(Session {
        shared_note: shared_note(tx, &m)?,
        talk_tally,
        id: m.id,
        group_id: m.group_id,
        appointment_id: m.appointment_id,
        date: m.session_date,
        signed: m.status == SIGNED,
        version: m.version,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
        updated_at: m.updated_at,
        signed_by: m.signed_by.map(UserId),
        signed_at: m.signed_at,
        content_hash: m.content_hash,
    })
}

pub async fn insert(tx: &Tx<'_>, s: &Session) -> Result<(), StoreError> {
    group_sessions::ActiveModel {
        id: Set(s.id),
        group_id: Set(s.group_id),
        appointment_id: Set(s.appointment_id),
        session_date: Set(s.date),
        status: Set(OPEN.into()),
        shared_note: Set(None),
        talk_tally: Set(None),
        version: Set(s.version),
        created_by: Set(s.created_by.0),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        signed_by: Set(None),
        signed_at: Set(None),
        content_hash: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn get(tx: &Tx<'_>, id: Uuid) -> Result<Option<Session>, StoreError> {
    group_sessions::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

/// The group a session belongs to, without opening anything.
pub async fn group_of(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Uuid>, StoreError> {
    Ok(group_sessions::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(|m| m.group_id))
}

pub async fn by_appointment(
    c: &impl ConnectionTrait,
    appointment: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    Ok(group_sessions::Entity::find()
        .filter(group_sessions::Column::AppointmentId.eq(appointment))
        .one(c)
        .await?
        .map(|m| m.id))
}

/// A group's sessions, newest first.
pub async fn for_group(
    c: &impl ConnectionTrait,
    group: Uuid,
) -> Result<Vec<SessionHead>, StoreError> {
    Ok(group_sessions::Entity::find()
        .filter(group_sessions::Column::GroupId.eq(group))
        .order_by_desc(group_sessions::Column::SessionDate)
        .order_by_desc(group_sessions::Column::CreatedAt)
        .all(c)
        .await?
        .iter()
        .map(head)
        .collect())
}

/// The latest date of a session of `group` with attendance recorded for `client` (to keep a leave date after it).
pub async fn last_attendance_date(
    c: &impl ConnectionTrait,
    group: Uuid,
    client: ClientId,
) -> Result<Option<NaiveDate>, StoreError> {
    let sessions: Vec<Uuid> = group_attendance::Entity::find()
        .filter(group_attendance::Column::ClientId.eq(client.0))
        .all(c)
        .await?
        .into_iter()
        .map(|a| a.session_id)
        .collect();
    if sessions.is_empty() {
        return Ok(None);
    }
    Ok(group_sessions::Entity::find()
        .filter(group_sessions::Column::GroupId.eq(group))
        .filter(group_sessions::Column::Id.is_in(sessions))
        .order_by_desc(group_sessions::Column::SessionDate)
        .one(c)
        .await?
        .map(|s| s.session_date))
}

fn stale() -> StoreError {
    StoreError::Conflict(
        "this session was changed elsewhere (another tab or device) since you opened it, or it is signed"
            .into(),
    )
}

/// Moves an open session at `version` to the next version (the guard for every change a signature covers).
async fn bump(tx: &Tx<'_>, id: Uuid, version: i32) -> Result<i32, StoreError> {
    let r = group_sessions::Entity::update_many()
        .col_expr(group_sessions::Column::Version, Expr::value(version + 1))
        .col_expr(group_sessions::Column::UpdatedAt, Expr::value(now_utc()))
        .filter(group_sessions::Column::Id.eq(id))
        .filter(group_sessions::Column::Version.eq(version))
        .filter(group_sessions::Column::Status.eq(OPEN))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(version + 1)
    } else {
        Err(stale())
    }
}

fn seal_note(
    tx: &Tx<'_>,
    session: Uuid,
    client: ClientId,
    note: Option<&str>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = note_row(session, client);
    note.map(|n| Encrypted::<String>::seal(tx.cipher(), aad(INDIVIDUAL, &row), &n.to_string()))
        .transpose()
        .map_err(StoreError::from)
}

/// Records attendance (creating or changing each member's row, keeping their note); returns the new version.
pub async fn set_attendance(
    tx: &Tx<'_>,
    id: Uuid,
    version: i32,
    entries: &[(ClientId, Attendance)],
) -> Result<i32, StoreError> {
    let next = bump(tx, id, version).await?;
    let now = now_utc();
    for (client, status) in entries {
        match group_attendance::Entity::find_by_id((id, client.0))
            .one(tx.conn())
            .await?
        {
            Some(m) => {
                let mut a: group_attendance::ActiveModel = m.into();
                a.status = Set(status.as_str().into());
                a.updated_at = Set(now);
                a.update(tx.conn()).await?;
            }
            None => {
                group_attendance::ActiveModel {
                    session_id: Set(id),
                    client_id: Set(client.0),
                    status: Set(status.as_str().into()),
                    note: Set(None),
                    note_hash: Set(None),
                    updated_at: Set(now),
                }
                .insert(tx.conn())
                .await?;
            }
        }
    }
    Ok(next)
}

/// Saves the shared note and the individual notes of members with an attendance row; returns the new version.
pub async fn save_notes(
    tx: &Tx<'_>,
    id: Uuid,
    version: i32,
    shared: Option<&str>,
    individual: &[(ClientId, Option<String>)],
) -> Result<i32, StoreError> {
    let next = bump(tx, id, version).await?;
    let row = id.to_string();
    let sealed = shared
        .map(|n| Encrypted::<String>::seal(tx.cipher(), aad(SHARED, &row), &n.to_string()))
        .transpose()?;
    group_sessions::Entity::update_many()
        .col_expr(group_sessions::Column::SharedNote, Expr::value(sealed))
        .filter(group_sessions::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let now = now_utc();
    for (client, note) in individual {
        let r = group_attendance::Entity::update_many()
            .col_expr(
                group_attendance::Column::Note,
                Expr::value(seal_note(tx, id, *client, note.as_deref())?),
            )
            .col_expr(group_attendance::Column::UpdatedAt, Expr::value(now))
            .filter(group_attendance::Column::SessionId.eq(id))
            .filter(group_attendance::Column::ClientId.eq(client.0))
            .exec(tx.conn())
            .await?;
        if r.rows_affected != 1 {
            return Err(integrity(format!(
                "group session {id}: no attendance row for an individual note"
            )));
        }
    }
    Ok(next)
}

fn attendance_row(tx: &Tx<'_>, m: group_attendance::Model) -> Result<AttendanceRow, StoreError> {
    let row = note_row(m.session_id, ClientId(m.client_id));
    Ok(AttendanceRow {
        client_id: ClientId(m.client_id),
        status: Attendance::parse("status", &m.status).map_err(integrity)?,
        note: m
            .note
            .as_ref()
            .map(|b| Encrypted::<String>::open(tx.cipher(), aad(INDIVIDUAL, &row), b))
            .transpose()?,
        note_hash: m.note_hash,
    })
}

pub async fn attendance(tx: &Tx<'_>, session: Uuid) -> Result<Vec<AttendanceRow>, StoreError> {
    group_attendance::Entity::find()
        .filter(group_attendance::Column::SessionId.eq(session))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| attendance_row(tx, m))
        .collect()
}

/// Appends a "now speaking" click.
pub async fn add_talk_event(
    c: &impl ConnectionTrait,
    session: Uuid,
    e: TalkEvent,
) -> Result<(), StoreError> {
    group_talk_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session),
        client_id: Set(e.speaker.map(|c| c.0)),
        at: Set(e.at),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn talk_events(
    c: &impl ConnectionTrait,
    session: Uuid,
) -> Result<Vec<TalkEvent>, StoreError> {
    Ok(group_talk_events::Entity::find()
        .filter(group_talk_events::Column::SessionId.eq(session))
        .order_by_asc(group_talk_events::Column::At)
        .order_by_asc(group_talk_events::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(|m| TalkEvent {
            at: m.at,
            speaker: m.client_id.map(ClientId),
        })
        .collect())
}

/// Saves the tally with an open session (talk clicks do not move the version: they only ever append).
pub async fn save_tally(
    c: &impl ConnectionTrait,
    session: Uuid,
    t: &Tally,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(t).map_err(integrity)?;
    let r = group_sessions::Entity::update_many()
        .col_expr(group_sessions::Column::TalkTally, Expr::value(Some(json)))
        .filter(group_sessions::Column::Id.eq(session))
        .filter(group_sessions::Column::Status.eq(OPEN))
        .exec(c)
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this session is signed; talk time can no longer be logged".into(),
        ))
    }
}

/// Locks an open session at `version` with the hash of its shared note and of each individual note.
pub async fn sign(
    tx: &Tx<'_>,
    id: Uuid,
    version: i32,
    by: UserId,
    at: DateTime<Utc>,
    hash: &str,
    note_hashes: &[(ClientId, String)],
) -> Result<(), StoreError> {
    let r = group_sessions::Entity::update_many()
        .col_expr(group_sessions::Column::Status, Expr::value(SIGNED))
        .col_expr(group_sessions::Column::SignedBy, Expr::value(Some(by.0)))
        .col_expr(group_sessions::Column::SignedAt, Expr::value(Some(at)))
        .col_expr(
            group_sessions::Column::ContentHash,
            Expr::value(Some(hash.to_string())),
        )
        .col_expr(group_sessions::Column::UpdatedAt, Expr::value(at))
        .col_expr(group_sessions::Column::Version, Expr::value(version + 1))
        .filter(group_sessions::Column::Id.eq(id))
        .filter(group_sessions::Column::Version.eq(version))
        .filter(group_sessions::Column::Status.eq(OPEN))
        .exec(tx.conn())
        .await?;
    if r.rows_affected != 1 {
        return Err(stale());
    }
    for (client, h) in note_hashes {
        group_attendance::Entity::update_many()
            .col_expr(
                group_attendance::Column::NoteHash,
                Expr::value(Some(h.clone())),
            )
            .filter(group_attendance::Column::SessionId.eq(id))
            .filter(group_attendance::Column::ClientId.eq(client.0))
            .exec(tx.conn())
            .await?;
    }
    Ok(())
}

/// One member's part of one session: the session row (note still sealed) and their own attendance.
pub struct MemberPart {
    pub session: group_sessions::Model,
    pub attendance: AttendanceRow,
}

/// The sessions a client has an attendance row in, newest first; only that client's row is read.
pub async fn for_client(tx: &Tx<'_>, client: ClientId) -> Result<Vec<MemberPart>, StoreError> {
    let rows = group_attendance::Entity::find()
        .filter(group_attendance::Column::ClientId.eq(client.0))
        .all(tx.conn())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let Some(s) = group_sessions::Entity::find_by_id(a.session_id)
            .one(tx.conn())
            .await?
        else {
            continue;
        };
        out.push(MemberPart {
            session: s,
            attendance: attendance_row(tx, a)?,
        });
    }
    out.sort_by(|a, b| {
        (b.session.session_date, b.session.created_at)
            .cmp(&(a.session.session_date, a.session.created_at))
    });
    Ok(out)
}

/// A group appointment a session could document: its start and zone, and the session documenting it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAppointment {
    pub id: Uuid,
    pub start: DateTime<Utc>,
    pub time_zone: String,
    pub session_id: Option<Uuid>,
}

/// The group's appointments that are not cancelled, starting within `from..to`, in time order.
pub async fn group_appointments(
    c: &impl ConnectionTrait,
    group: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<GroupAppointment>, StoreError> {
    use rapport_domain::scheduling::appointment::Status;
    let rows = appointments::Entity::find()
        .filter(appointments::Column::GroupId.eq(group))
        .filter(appointments::Column::StartAt.gte(from))
        .filter(appointments::Column::StartAt.lt(to))
        .filter(appointments::Column::Status.ne(Status::Cancelled.as_str()))
        .filter(appointments::Column::Status.ne(Status::LateCancelled.as_str()))
        .order_by_asc(appointments::Column::StartAt)
        .all(c)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(GroupAppointment {
            session_id: by_appointment(c, a.id).await?,
            id: a.id,
            start: a.start_at,
            time_zone: a.time_zone,
        });
    }
    Ok(out)
}
