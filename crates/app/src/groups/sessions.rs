//! Group sessions as their facilitators run them: start a session (optionally for a group appointment), record
//! attendance, log who is speaking, write the shared note and the individual notes, and sign.
//!
//! Everything a signature covers (attendance, notes) moves the session's version, so two tabs cannot overwrite each
//! other; talk clicks only append and move nothing. Signing refuses a shared note that names a member, and an
//! individual note that names another member: both end up in members' charts. The facilitator's view of the whole
//! session, with the roster and the talk tally, is built in `view`.

mod signing;
mod view;

use signing::sign_problems;
pub(crate) use signing::{note_hash, session_hash};

pub use view::{
    AppointmentChoice, SessionMember, SessionRights, SessionSummary, SessionView, ShareView,
    TalkView,
};

use crate::{App, Ctx};
use chrono::NaiveDate;
use rapport_domain::group::Attendance;
use rapport_domain::group::names::MemberNames;
use rapport_domain::group::talk::{TalkEvent, talk_tally};
use rapport_domain::policy::{Action, GroupRelation, Resource, authorize};
use rapport_domain::scheduling::appointment::AppointmentKind;
use rapport_domain::{ClientId, Error, FieldError, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::group_sessions::{self as repo, AttendanceRow, Session};
use rapport_store::groups::{self as groups_repo, Group, RosterEntry};
use rapport_store::{Tx, care, now_utc, schedule};
use serde::Deserialize;
use uuid::Uuid;

/// The shared note is a full session note; individual notes are short by design.
const SHARED_NOTE_MAX: usize = 20_000;
const INDIVIDUAL_NOTE_MAX: usize = 4_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// YYYY-MM-DD; the appointment's local date, else today.
    #[serde(default)]
    pub date: Option<String>,
    /// The group appointment this session documents.
    #[serde(default)]
    pub appointment_id: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntry {
    pub client_id: ClientId,
    /// present, late, absent or excused.
    pub status: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub entries: Vec<AttendanceEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndividualNote {
    pub client_id: ClientId,
    /// Blank clears the note.
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotesInput {
    /// The shared note; absent leaves it as it is, blank clears it.
    #[serde(default)]
    pub shared_note: Option<String>,
    /// Notes of attending members; members not listed keep theirs.
    #[serde(default)]
    pub individual_notes: Vec<IndividualNote>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TalkInput {
    /// Who speaks from now on; absent or null for "nobody / pause".
    #[serde(default)]
    pub client_id: Option<ClientId>,
    /// How many milliseconds ago the speaker changed: a change the facilitator's screen held while the connection
    /// was down arrives with its age, measured by the screen's own clock, so the tally stays true without trusting
    /// the screen's time of day. Absent for "now"; at most `TALK_HELD_MAX_MS`.
    #[serde(default)]
    pub ago_ms: Option<u64>,
}

/// The longest a facilitator's screen may hold a change of speaker before sending it (ten minutes): enough for a
/// dropped connection, short enough that a stale tab cannot rewrite a session's history.
pub const TALK_HELD_MAX_MS: u64 = 10 * 60 * 1000;

pub(crate) fn member_names(roster: &[RosterEntry]) -> Vec<MemberNames> {
    roster
        .iter()
        .map(|m| MemberNames::new(m.legal_name.clone(), m.preferred_name.clone()))
        .collect()
}

fn attending(rows: &[AttendanceRow]) -> Vec<ClientId> {
    rows.iter()
        .filter(|a| a.status.attended())
        .map(|a| a.client_id)
        .collect()
}

impl App {
    /// Loads a session and asks the policy about its group; a session the caller may not know of is "not found",
    /// and the denial is audited either way.
    pub(crate) async fn session_for<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
        audit_action: &'static str,
    ) -> Result<(Tx<'s>, Session, Group, GroupRelation)> {
        let ev = AuditEvent::new(&ctx.actor, audit_action, "group_session").resource(id);
        let Some(group) = repo::group_of(tx.conn(), id).await? else {
            return self.hidden(tx, ctx, ev).await;
        };
        let (tx, g, rel) = self
            .group_for(
                tx,
                ctx,
                group,
                action,
                Resource::GroupSession,
                ev.detail(format!("group {group}")),
            )
            .await?;
        let s = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        Ok((tx, s, g, rel))
    }

    fn event(ctx: &Ctx, action: &'static str, s: &Session) -> AuditEvent {
        AuditEvent::new(&ctx.actor, action, "group_session")
            .resource(s.id)
            .request(ctx.rid())
    }

    /// A name for an error message: the roster's name, or the client's when the caller may see them.
    async fn client_label(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        roster: &[RosterEntry],
        client: ClientId,
    ) -> Result<String> {
        if let Some(m) = roster.iter().find(|m| m.client_id == client) {
            return Ok(m.display_name());
        }
        if let (Some(me), Some(c)) = (
            ctx.actor.user_id(),
            rapport_store::clients::get(tx.conn(), client).await?,
        ) {
            let rel = care::relation(tx.conn(), me, client).await?;
            if authorize(&ctx.actor, Action::Read, Resource::ClientDemographics(rel)).is_allowed() {
                return Ok(c.preferred_name.unwrap_or(c.legal_name));
            }
        }
        Ok(format!("client {client}"))
    }

    /// Starts a session of a group. For a group appointment the appointment must belong to this group, be
    /// documented by no other session, and gives its local date.
    pub async fn create_group_session(
        &self,
        ctx: &Ctx,
        group: Uuid,
        input: NewSession,
    ) -> Result<SessionView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let ev = AuditEvent::new(&ctx.actor, "group_session.create", "group").resource(group);
        let (tx, g, rel) = self
            .group_for(
                tx,
                ctx,
                group,
                Action::Create,
                Resource::GroupSession,
                ev.clone(),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        let given = input
            .date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| validate::date("date", s))
            .transpose()?;
        let date = match input.appointment_id {
            Some(a) => {
                let appt = schedule::get(tx.conn(), a)
                    .await?
                    .filter(|x| x.kind == AppointmentKind::Group && x.group_id == Some(group))
                    .ok_or_else(|| {
                        Error::invalid("appointment_id", "this is not an appointment of this group")
                    })?;
                if repo::by_appointment(tx.conn(), a).await?.is_some() {
                    return Err(Error::Conflict(
                        "a session documenting this appointment exists already".into(),
                    ));
                }
                let tz: chrono_tz::Tz = appt.time_zone.parse().unwrap_or(chrono_tz::UTC);
                given.unwrap_or_else(|| appt.session.start.with_timezone(&tz).date_naive())
            }
            None => given.unwrap_or_else(crate::today),
        };
        let now = now_utc();
        let s = Session {
            id: Uuid::now_v7(),
            group_id: group,
            appointment_id: input.appointment_id,
            date,
            signed: false,
            shared_note: None,
            talk_tally: None,
            version: 1,
            created_by: me,
            created_at: now,
            updated_at: now,
            signed_by: None,
            signed_at: None,
            content_hash: None,
        };
        repo::insert(&tx, &s).await?;
        tx.audit(
            Self::event(ctx, "group_session.create", &s).detail(format!("group {group} on {date}")),
        )
        .await?;
        let view = self.session_view(&tx, ctx, s, g, rel).await?;
        self.commit_once(tx, ctx, view).await
    }

    /// One session as its facilitators see it; the read is audited.
    pub async fn get_group_session(&self, ctx: &Ctx, id: Uuid) -> Result<SessionView> {
        let tx = self.store.begin_read().await?;
        let (tx, s, g, rel) = self
            .session_for(tx, ctx, id, Action::Read, "group_session.read")
            .await?;
        let ev = Self::event(ctx, "group_session.read", &s);
        let view = self.session_view(&tx, ctx, s, g, rel).await?;
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Records attendance for some or all members. Every entry is checked first (a member on the roster that
    /// day, a known status, no member twice); one bad entry refuses them all and nothing is stored.
    pub async fn record_attendance(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: AttendanceInput,
    ) -> Result<SessionView> {
        let tx = self.store.begin().await?;
        let (tx, s, g, rel) = self
            .session_for(tx, ctx, id, Action::Update, "group_session.attendance")
            .await?;
        if s.signed {
            return Err(Error::Conflict(
                "this session is signed and locked; attendance can no longer change".into(),
            ));
        }
        let roster = groups_repo::roster(tx.conn(), g.id).await?;
        let current = repo::attendance(&tx, id).await?;
        let mut problems: Vec<FieldError> = Vec::new();
        let mut entries: Vec<(ClientId, Attendance)> = Vec::with_capacity(input.entries.len());
        for (i, e) in input.entries.iter().enumerate() {
            let field = format!("entries[{i}].client_id");
            let on = roster
                .iter()
                .any(|m| m.client_id == e.client_id && m.on(s.date));
            if !on {
                let who = self.client_label(&tx, ctx, &roster, e.client_id).await?;
                problems.push(FieldError::new(
                    field,
                    format!(
                        "{who} is not on this group's roster on {}; attendance is recorded for members only",
                        s.date
                    ),
                ));
                continue;
            }
            if entries.iter().any(|(c, _)| *c == e.client_id) {
                problems.push(FieldError::new(field, "this member is listed twice"));
                continue;
            }
            match Attendance::parse(&format!("entries[{i}].status"), &e.status) {
                Ok(status) => {
                    let had_note = current
                        .iter()
                        .any(|a| a.client_id == e.client_id && a.note.is_some());
                    if had_note && !status.attended() {
                        let who = self.client_label(&tx, ctx, &roster, e.client_id).await?;
                        problems.push(FieldError::new(
                            format!("entries[{i}].status"),
                            format!(
                                "{who} has an individual note; clear it before marking them {}",
                                status.as_str()
                            ),
                        ));
                    }
                    entries.push((e.client_id, status));
                }
                Err(Error::Validation(f)) => problems.extend(f),
                Err(other) => return Err(other),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let version = repo::set_attendance(&tx, id, version, &entries).await?;
        let count = |st: Attendance| entries.iter().filter(|(_, a)| *a == st).count();
        tx.audit(
            Self::event(ctx, "group_session.attendance", &s).detail(format!(
                "{} present, {} late, {} absent, {} excused",
                count(Attendance::Present),
                count(Attendance::Late),
                count(Attendance::Absent),
                count(Attendance::Excused)
            )),
        )
        .await?;
        let s = Session { version, ..s };
        let view = self.session_view(&tx, ctx, s, g, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Saves the shared note and individual notes (drafts: names are flagged in the view, refused at signing).
    pub async fn save_group_notes(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: NotesInput,
    ) -> Result<SessionView> {
        let tx = self.store.begin().await?;
        let (tx, s, g, rel) = self
            .session_for(tx, ctx, id, Action::Update, "group_session.notes")
            .await?;
        if s.signed {
            return Err(Error::Conflict(
                "this session is signed and locked; its notes can no longer change".into(),
            ));
        }
        let roster = groups_repo::roster(tx.conn(), g.id).await?;
        let current = repo::attendance(&tx, id).await?;
        let mut problems: Vec<FieldError> = Vec::new();
        let shared = match &input.shared_note {
            Some(raw) => match validate::optional_text("shared_note", raw, SHARED_NOTE_MAX) {
                Ok(v) => v,
                Err(Error::Validation(f)) => {
                    problems.extend(f);
                    None
                }
                Err(other) => return Err(other),
            },
            None => s.shared_note.clone(),
        };
        let mut notes: Vec<(ClientId, Option<String>)> = Vec::new();
        for (i, n) in input.individual_notes.iter().enumerate() {
            let field = format!("individual_notes[{i}]");
            let attended = current
                .iter()
                .any(|a| a.client_id == n.client_id && a.status.attended());
            if !attended {
                let who = self.client_label(&tx, ctx, &roster, n.client_id).await?;
                problems.push(FieldError::new(
                    format!("{field}.client_id"),
                    format!("{who} did not attend this session; individual notes are for attending members"),
                ));
                continue;
            }
            match validate::optional_text(&format!("{field}.note"), &n.note, INDIVIDUAL_NOTE_MAX) {
                Ok(v) => notes.push((n.client_id, v)),
                Err(Error::Validation(f)) => problems.extend(f),
                Err(other) => return Err(other),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let version = repo::save_notes(&tx, id, version, shared.as_deref(), &notes).await?;
        tx.audit(Self::event(ctx, "group_session.notes", &s).detail(format!(
            "shared note {}, {} individual notes",
            if shared.is_some() { "written" } else { "empty" },
            notes.len()
        )))
        .await?;
        let s = Session {
            version,
            shared_note: shared,
            ..s
        };
        let view = self.session_view(&tx, ctx, s, g, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// One "now speaking" click (or "nobody / pause") at this instant; the tally through this click is saved
    /// with the session.
    pub async fn log_talk(&self, ctx: &Ctx, id: Uuid, input: TalkInput) -> Result<SessionView> {
        let ago = input.ago_ms.unwrap_or(0);
        if ago > TALK_HELD_MAX_MS {
            return Err(Error::invalid(
                "ago_ms",
                "this change of speaker was held for more than ten minutes and is not recorded; the tally stands as it was",
            ));
        }
        let at = now_utc() - chrono::Duration::milliseconds(i64::try_from(ago).unwrap_or(0));
        self.log_talk_at(ctx, id, input, at).await
    }

    /// A click at `at`: the live screen clicks now; the demo replays a past session's clicks.
    pub(crate) async fn log_talk_at(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: TalkInput,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<SessionView> {
        let tx = self.store.begin().await?;
        let (tx, s, g, rel) = self
            .session_for(tx, ctx, id, Action::Update, "group_session.talk")
            .await?;
        if s.signed {
            return Err(Error::Conflict(
                "this session is signed; talk time can no longer be logged".into(),
            ));
        }
        let present = attending(&repo::attendance(&tx, id).await?);
        if let Some(c) = input.client_id
            && !present.contains(&c)
        {
            let roster = groups_repo::roster(tx.conn(), g.id).await?;
            let who = self.client_label(&tx, ctx, &roster, c).await?;
            return Err(Error::invalid(
                "client_id",
                format!(
                    "{who} is not marked present or late in this session; record attendance first"
                ),
            ));
        }
        // Changes are recorded in the order they happened: one held offline that is older than a change already
        // recorded (another screen's, say) would rewrite who spoke when.
        let mut events = repo::talk_events(tx.conn(), id).await?;
        if events.last().is_some_and(|last| at < last.at) {
            return Err(Error::Conflict(
                "a later change of speaker is recorded already, so this one was not saved".into(),
            ));
        }
        let event = TalkEvent {
            at,
            speaker: input.client_id,
        };
        repo::add_talk_event(tx.conn(), id, event).await?;
        // The new change is the latest, so the stored order plus this one is the order the tally needs.
        events.push(event);
        let tally = talk_tally(&events, at, &present);
        repo::save_tally(tx.conn(), id, &tally).await?;
        tx.audit(
            Self::event(ctx, "group_session.talk", &s).detail(match input.client_id {
                Some(c) => format!("speaking: client {c}"),
                None => "pause".to_string(),
            }),
        )
        .await?;
        let s = Session {
            talk_tally: Some(tally),
            ..s
        };
        let view = self.session_view(&tx, ctx, s, g, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Signs the session at `version`: attendance for every member on the roster that day, a shared note that
    /// names no member, individual notes that name no other member; then locks it with the hashes.
    pub async fn sign_group_session(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
    ) -> Result<SessionView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let (tx, mut s, g, rel) = self
            .session_for(tx, ctx, id, Action::Sign, "group_session.sign")
            .await?;
        if s.signed {
            return Err(Error::Conflict("this session is signed already".into()));
        }
        if s.version != version {
            return Err(Error::Conflict(
                "this session was changed elsewhere since you opened it; review it before signing"
                    .into(),
            ));
        }
        let roster = groups_repo::roster(tx.conn(), g.id).await?;
        let attendance = repo::attendance(&tx, id).await?;
        let problems = sign_problems(&s, &roster, &attendance);
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let at = now_utc();
        let hash = session_hash(&s, &attendance, me, at);
        let note_hashes: Vec<(ClientId, String)> = attendance
            .iter()
            .filter(|a| a.note.is_some())
            .map(|a| (a.client_id, note_hash(id, a, at)))
            .collect();
        // The saved tally is refreshed with the final attendance; it runs through the last click.
        let events = repo::talk_events(tx.conn(), id).await?;
        let until = events.last().map(|e| e.at).unwrap_or(at);
        let tally = talk_tally(&events, until, &attending(&attendance));
        repo::save_tally(tx.conn(), id, &tally).await?;
        repo::sign(&tx, id, version, me, at, &hash, &note_hashes).await?;
        tx.audit(Self::event(ctx, "group_session.sign", &s).detail(format!("sha256:{hash}")))
            .await?;
        s.signed = true;
        s.signed_by = Some(me);
        s.signed_at = Some(at);
        s.content_hash = Some(hash);
        s.talk_tally = Some(tally);
        s.version += 1;
        let view = self.session_view(&tx, ctx, s, g, rel).await?;
        tx.commit().await?;
        Ok(view)
    }
}

/// The date a session is listed under on a page.
pub(crate) fn label_date(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}
