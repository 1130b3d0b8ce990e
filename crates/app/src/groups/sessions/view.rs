//! The whole session as its facilitators (and their supervisors) see it: every member on the roster that day with
//! attendance and individual note, the shared note with the member names found in it, the talk tally with the
//! quieter members, and the lists of a group's sessions.
//!
//! The talk tally shown runs through the last click, like the saved one: time after the last click is not yet
//! anyone's, so a page opened an hour later does not credit the last speaker with that hour.

use super::{member_names, note_hash, session_hash};
use crate::notes::{Names, Person};
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::group::Attendance;
use rapport_domain::group::names::find_member_names;
use rapport_domain::group::talk::talk_tally;
use rapport_domain::policy::{Action, GroupRelation, Resource, authorize};
use rapport_domain::{ClientId, Result};
use rapport_store::Tx;
use rapport_store::audit::AuditEvent;
use rapport_store::group_sessions::{self as repo, Session};
use rapport_store::groups::{self as groups_repo, Group};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct SessionMember {
    pub client_id: ClientId,
    pub name: String,
    /// On the roster on the session's date (someone who left since still shows if attendance was recorded).
    pub on_roster: bool,
    pub attendance: Option<Attendance>,
    pub attendance_label: &'static str,
    pub attended: bool,
    pub note: Option<String>,
    pub note_hash: Option<String>,
    /// Other members' names found in this member's individual note (refused at signing).
    pub names_in_note: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShareView {
    pub client_id: ClientId,
    pub name: String,
    pub seconds: i64,
    pub percent: u32,
    pub share: f64,
    pub quieter: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TalkView {
    /// Who speaks since the last click (nobody after a pause).
    pub speaking: Option<ClientId>,
    pub speaking_name: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub clicks: usize,
    pub total_seconds: i64,
    /// One per attending member (and anyone else clicked), in roster order.
    pub shares: Vec<ShareView>,
    /// Names of the quieter members: below half an equal share.
    pub quieter: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SessionRights {
    pub edit: bool,
    pub sign: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: Uuid,
    pub group_id: Uuid,
    pub group_name: String,
    pub group_kind_label: &'static str,
    pub date: NaiveDate,
    pub date_label: String,
    pub appointment_id: Option<Uuid>,
    pub signed: bool,
    pub version: i32,
    pub members: Vec<SessionMember>,
    pub shared_note: Option<String>,
    /// Member names found in the shared note: shown before signing, refused at signing.
    pub names_in_shared_note: Vec<String>,
    pub talk: TalkView,
    pub signed_by: Option<Person>,
    pub signed_at: Option<DateTime<Utc>>,
    pub content_hash: Option<String>,
    /// Whether the stored record still matches the hash taken at signing.
    pub hash_verified: Option<bool>,
    pub rights: SessionRights,
}

/// A group appointment a new session can document.
#[derive(Debug, Clone, Serialize)]
pub struct AppointmentChoice {
    pub id: Uuid,
    /// Local start in the appointment's zone, e.g. "Tue 1 Dec 2026, 18:00".
    pub label: String,
    pub date: NaiveDate,
    /// The session that documents it already, if any.
    pub session_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    pub id: Uuid,
    pub date: NaiveDate,
    pub date_label: String,
    pub appointment_id: Option<Uuid>,
    pub signed: bool,
    pub signed_at: Option<DateTime<Utc>>,
}

impl App {
    pub(crate) async fn session_view(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        s: Session,
        g: Group,
        rel: GroupRelation,
    ) -> Result<SessionView> {
        let roster = groups_repo::roster(tx.conn(), g.id).await?;
        let attendance = repo::attendance(tx, s.id).await?;
        let events = repo::talk_events(tx.conn(), s.id).await?;
        let name_of = |c: ClientId| {
            roster
                .iter()
                .find(|m| m.client_id == c)
                .map(|m| m.display_name())
                .unwrap_or_else(|| "(former member)".into())
        };
        let mut members = Vec::new();
        for m in &roster {
            let row = attendance.iter().find(|a| a.client_id == m.client_id);
            if !m.on(s.date) && row.is_none() {
                continue;
            }
            let others: Vec<_> = roster
                .iter()
                .filter(|o| o.client_id != m.client_id)
                .cloned()
                .collect();
            members.push(SessionMember {
                client_id: m.client_id,
                name: m.display_name(),
                on_roster: m.on(s.date),
                attendance: row.map(|a| a.status),
                attendance_label: row.map(|a| a.status.label()).unwrap_or("Not recorded"),
                attended: row.is_some_and(|a| a.status.attended()),
                names_in_note: row
                    .and_then(|a| a.note.as_deref())
                    .map(|n| find_member_names(n, &member_names(&others)))
                    .unwrap_or_default(),
                note: row.and_then(|a| a.note.clone()),
                note_hash: row.and_then(|a| a.note_hash.clone()),
            });
        }
        let until = events
            .last()
            .map(|e| e.at)
            .unwrap_or_else(rapport_store::now_utc);
        // Bars in roster order, like the attendance list above them.
        let taking_part: Vec<ClientId> = members
            .iter()
            .filter(|m| m.attended)
            .map(|m| m.client_id)
            .collect();
        let tally = talk_tally(&events, until, &taking_part);
        let last = events.last();
        let talk = TalkView {
            speaking: last.and_then(|e| e.speaker),
            speaking_name: last.and_then(|e| e.speaker).map(name_of),
            since: last.map(|e| e.at),
            clicks: events.len(),
            total_seconds: tally.total_millis / 1000,
            quieter: tally.quieter().map(|q| name_of(q.client_id)).collect(),
            shares: tally
                .shares
                .iter()
                .map(|x| ShareView {
                    client_id: x.client_id,
                    name: name_of(x.client_id),
                    seconds: x.seconds(),
                    percent: x.percent(),
                    share: x.share,
                    quieter: x.quieter,
                })
                .collect(),
        };
        let mut names = Names::default();
        let signed_by = match s.signed_by {
            Some(u) => Some(names.person(tx, u).await?),
            None => None,
        };
        let hash_verified = match (s.signed_by, s.signed_at, &s.content_hash) {
            (Some(by), Some(at), Some(h)) => Some(
                &session_hash(&s, &attendance, by, at) == h
                    && attendance.iter().all(|a| match (&a.note, &a.note_hash) {
                        (Some(_), Some(nh)) => &note_hash(s.id, a, at) == nh,
                        (None, None) => true,
                        _ => false,
                    }),
            ),
            _ => None,
        };
        let can = |a: Action| authorize(&ctx.actor, a, Resource::GroupSession(rel)).is_allowed();
        Ok(SessionView {
            names_in_shared_note: s
                .shared_note
                .as_deref()
                .map(|n| find_member_names(n, &member_names(&roster)))
                .unwrap_or_default(),
            rights: SessionRights {
                edit: !s.signed && can(Action::Update),
                sign: !s.signed && can(Action::Sign),
            },
            id: s.id,
            group_id: g.id,
            group_name: g.name,
            group_kind_label: g.kind.label(),
            date_label: super::label_date(s.date),
            date: s.date,
            appointment_id: s.appointment_id,
            signed: s.signed,
            version: s.version,
            members,
            shared_note: s.shared_note,
            talk,
            signed_by,
            signed_at: s.signed_at,
            content_hash: s.content_hash,
            hash_verified,
        })
    }

    /// A group's sessions, newest first (no content); the listing is audited.
    pub async fn list_group_sessions(&self, ctx: &Ctx, group: Uuid) -> Result<Vec<SessionSummary>> {
        let tx = self.store.begin_read().await?;
        let ev = AuditEvent::new(&ctx.actor, "group_session.list", "group").resource(group);
        let (tx, _, _) = self
            .group_for(
                tx,
                ctx,
                group,
                Action::List,
                Resource::GroupSession,
                ev.clone(),
            )
            .await?;
        let list: Vec<SessionSummary> = repo::for_group(tx.conn(), group)
            .await?
            .into_iter()
            .map(|h| SessionSummary {
                id: h.id,
                date_label: super::label_date(h.date),
                date: h.date,
                appointment_id: h.appointment_id,
                signed: h.signed,
                signed_at: h.signed_at,
            })
            .collect();
        tx.audit(
            ev.request(ctx.rid())
                .detail(format!("{} sessions", list.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }
}

impl App {
    /// The group's appointments from four weeks back to four weeks ahead, for starting a session that documents
    /// one of them.
    pub async fn group_appointment_choices(
        &self,
        ctx: &Ctx,
        group: Uuid,
    ) -> Result<Vec<AppointmentChoice>> {
        let tx = self.store.begin_read().await?;
        let ev = AuditEvent::new(&ctx.actor, "group_session.appointments", "group").resource(group);
        let (tx, _, _) = self
            .group_for(
                tx,
                ctx,
                group,
                Action::Create,
                Resource::GroupSession,
                ev.clone(),
            )
            .await?;
        let now = rapport_store::now_utc();
        let weeks = chrono::Duration::weeks(4);
        let list = repo::group_appointments(tx.conn(), group, now - weeks, now + weeks)
            .await?
            .into_iter()
            .map(|a| {
                let tz: chrono_tz::Tz = a.time_zone.parse().unwrap_or(chrono_tz::UTC);
                let local = a.start.with_timezone(&tz);
                AppointmentChoice {
                    id: a.id,
                    label: local.format("%a %-d %b %Y, %H:%M").to_string(),
                    date: local.date_naive(),
                    session_id: a.session_id,
                }
            })
            .collect();
        tx.audit(ev.request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(list)
    }
}
