//! What one member's chart shows of their group sessions: the group's name, the date, their own attendance, the
//! shared note and their own individual note, and nothing about anyone else.
//!
//! Access is that member's `ClientClinical` (their care team), not the group's. Only this member's attendance row
//! is read. Notes appear once the session is signed, and only for sessions the member attended (an absence is
//! recorded, but what others said while they were away is not theirs). Every other member's name is replaced by
//! "[group member]": signing already refuses a shared note that names a member, and this is the second safety net
//! (for a member who joined after the note was signed, say).
//!
//! A member who left and rejoined sees the sessions of each of their periods, and none from the time between:
//! a session is shown only when its date falls in one of this member's own periods of that group.

use super::sessions::member_names;
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::group::Attendance;
use rapport_domain::group::names::redact;
use rapport_domain::group::roster::{Period, member_on};
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::group_sessions as repo;
use rapport_store::groups::{self as groups_repo, RosterEntry};
use rapport_store::{Tx, care};
use serde::Serialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use uuid::Uuid;

pub const REDACTED: &str = "[group member]";

#[derive(Debug, Clone, Serialize)]
pub struct MemberSessionView {
    pub session_id: Uuid,
    pub group_id: Uuid,
    pub group_name: String,
    pub date: NaiveDate,
    pub attendance: Attendance,
    pub attendance_label: &'static str,
    pub signed: bool,
    pub signed_at: Option<DateTime<Utc>>,
    /// The shared note, once signed and if the member attended, with other members' names replaced.
    pub shared_note: Option<String>,
    /// This member's own individual note, once signed (other members' names replaced too).
    pub own_note: Option<String>,
}

impl App {
    /// The group sessions in one client's chart; the read is audited against that client.
    pub async fn client_group_sessions(
        &self,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<Vec<MemberSessionView>> {
        let tx = self.store.begin_read().await?;
        let (tx, out) = self.read_client_group_sessions(tx, ctx, client).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// `client_group_sessions` inside the caller's transaction: authorised and audited, not committed.
    pub(crate) async fn read_client_group_sessions<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<(Tx<'s>, Vec<MemberSessionView>)> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "group_session.chart", "client")
                .resource(client)
                .client(client.0)
        };
        if rapport_store::clients::get(tx.conn(), client)
            .await?
            .is_none()
        {
            return self.hidden(tx, ctx, ev()).await;
        }
        let rel = care::relation(tx.conn(), me, client).await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::ClientClinical(rel), ev())
            .await?;
        let out = member_sessions(&tx, client).await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} group sessions", out.len())),
        )
        .await?;
        Ok((tx, out))
    }
}

pub(crate) async fn member_sessions(
    tx: &Tx<'_>,
    client: ClientId,
) -> Result<Vec<MemberSessionView>> {
    let parts = repo::for_client(tx, client).await?;
    let mut groups: HashMap<Uuid, (String, Vec<RosterEntry>, Vec<Period>)> = HashMap::new();
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        let gid = p.session.group_id;
        if let Entry::Vacant(slot) = groups.entry(gid) {
            let name = groups_repo::get(tx.conn(), tx.cipher(), gid)
                .await?
                .map(|g| g.name)
                .unwrap_or_default();
            let (own, others): (Vec<RosterEntry>, Vec<RosterEntry>) =
                groups_repo::roster(tx.conn(), gid)
                    .await?
                    .into_iter()
                    .partition(|m| m.client_id == client);
            let own = own.into_iter().flat_map(|m| m.periods).collect();
            slot.insert((name, others, own));
        }
        let Some((group_name, others, own)) = groups.get(&gid) else {
            continue;
        };
        if !member_on(own, p.session.session_date) {
            continue;
        }
        let hide = member_names(others);
        let signed = p.session.status == repo::SIGNED;
        // A member who was absent or excused gets the fact of it, not the content of a session they missed.
        let (shared_note, own_note) = if signed && p.attendance.status.attended() {
            (
                repo::shared_note(tx, &p.session)?.map(|n| redact(&n, &hide, REDACTED)),
                p.attendance
                    .note
                    .as_deref()
                    .map(|n| redact(n, &hide, REDACTED)),
            )
        } else {
            (None, None)
        };
        out.push(MemberSessionView {
            session_id: p.session.id,
            group_id: gid,
            group_name: group_name.clone(),
            date: p.session.session_date,
            attendance: p.attendance.status,
            attendance_label: p.attendance.status.label(),
            signed,
            signed_at: p.session.signed_at,
            shared_note,
            own_note,
        });
    }
    Ok(out)
}
