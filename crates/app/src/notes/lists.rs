//! Lists of notes: one client's notes, the caller's unsigned and late notes, and a supervisor's co-signature queue.
//! Lists carry no note content.

use super::{Names, Person, resource};
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::notes::{NoteKind, NoteStatus, Template, built_in, lifecycle};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::{ClientId, Error, NoteId, Result, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::notes::{self as repo, NoteHead};
use rapport_store::{Tx, care};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct NoteSummary {
    pub id: NoteId,
    pub client_id: ClientId,
    pub client_name: String,
    pub kind: NoteKind,
    pub kind_label: &'static str,
    pub template_label: String,
    pub author: Person,
    pub service_date: NaiveDate,
    pub status: NoteStatus,
    pub status_label: &'static str,
    pub late: bool,
    pub signed_at: Option<DateTime<Utc>>,
}

/// The caller's own work: drafts (late ones first), signed notes waiting for their supervisor, and (for
/// supervisors) their trainees' notes waiting for a co-signature.
#[derive(Debug, Clone, Serialize)]
pub struct NotesDashboard {
    pub drafts: Vec<NoteSummary>,
    pub awaiting_my_supervisor: Vec<NoteSummary>,
    pub to_cosign: Vec<NoteSummary>,
    pub late_count: usize,
    pub due_days: u32,
}

impl NotesDashboard {
    /// What an audit entry says of the dashboard: counts only.
    pub(crate) fn audit_detail(&self) -> String {
        format!(
            "{} drafts, {} awaiting co-signature, {} to co-sign",
            self.drafts.len(),
            self.awaiting_my_supervisor.len(),
            self.to_cosign.len()
        )
    }
}

impl App {
    pub(crate) async fn note_summaries(
        &self,
        tx: &Tx<'_>,
        heads: Vec<NoteHead>,
        names: &mut Names,
    ) -> Result<Vec<NoteSummary>> {
        let due = self.note_due_days(tx).await?;
        let today = crate::today();
        let mut clients: HashMap<ClientId, String> = HashMap::new();
        let mut out = Vec::with_capacity(heads.len());
        for h in heads {
            let client_name = match clients.get(&h.client_id) {
                Some(n) => n.clone(),
                None => {
                    let n = rapport_store::clients::get(tx.conn(), h.client_id)
                        .await?
                        .map(|c| c.preferred_name.unwrap_or(c.legal_name))
                        .unwrap_or_default();
                    clients.insert(h.client_id, n.clone());
                    n
                }
            };
            out.push(NoteSummary {
                id: h.id,
                client_id: h.client_id,
                client_name,
                kind: h.kind,
                kind_label: h.kind.label(),
                template_label: h.template_label,
                author: names.person(tx, h.author_id).await?,
                late: lifecycle::is_late(h.status, h.service_date, today, due),
                service_date: h.service_date,
                status: h.status,
                status_label: h.status.label(),
                signed_at: h.signed_at,
            });
        }
        Ok(out)
    }

    /// One client's notes the caller may know of (psychotherapy notes only their own or shared with them).
    pub async fn client_notes(&self, ctx: &Ctx, client: ClientId) -> Result<Vec<NoteSummary>> {
        let tx = self.store.begin_read().await?;
        let (tx, items) = self.read_client_notes(tx, ctx, client).await?;
        tx.commit().await?;
        Ok(items)
    }

    /// `client_notes` inside the caller's transaction: authorised and audited, not committed.
    pub(crate) async fn read_client_notes<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<(Tx<'s>, Vec<NoteSummary>)> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "note.list", "client")
                .resource(client)
                .client(client.0)
        };
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::List, ev())
            .await?;
        let heads = repo::list_for_client(tx.conn(), client, me).await?;
        let mut names = Names::default();
        let items = self.note_summaries(&tx, heads, &mut names).await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} notes", items.len())),
        )
        .await?;
        Ok((tx, items))
    }

    /// The caller's unsigned and late notes, and the co-signature queue of a supervisor. Each listed note is
    /// checked against the policy (a clinician who has left a care team no longer sees that client's drafts).
    pub async fn notes_dashboard(&self, ctx: &Ctx) -> Result<NotesDashboard> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin_read().await?;
        let out = self.notes_queue(&tx, ctx, me).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "note.dashboard", "note")
                .request(ctx.rid())
                .detail(out.audit_detail()),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The notes dashboard read inside the caller's transaction, not audited (the caller audits what it shows).
    pub(crate) async fn notes_queue(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        me: UserId,
    ) -> Result<NotesDashboard> {
        let mine = repo::by_author(
            tx.conn(),
            me,
            &[NoteStatus::Draft, NoteStatus::AwaitingCosign],
        )
        .await?;
        let supervisees = care::supervisees(tx.conn(), me).await?;
        let queue = repo::awaiting_cosign(tx.conn(), &supervisees).await?;
        let mut readable = Vec::new();
        for h in mine.into_iter().chain(queue) {
            let rel = self
                .note_relation(
                    tx,
                    ctx,
                    h.client_id,
                    h.author_id,
                    Some(h.id),
                    h.unit_id.map(|u| (u, h.created_at)),
                )
                .await?;
            if authorize(&ctx.actor, Action::Read, resource(h.kind, rel)).is_allowed() {
                readable.push(h);
            }
        }
        let mut names = Names::default();
        let all = self.note_summaries(tx, readable, &mut names).await?;
        let (mut drafts, mut awaiting, mut to_cosign) = (Vec::new(), Vec::new(), Vec::new());
        for s in all {
            match (s.author.id == me, s.status) {
                (true, NoteStatus::Draft) => drafts.push(s),
                (true, _) => awaiting.push(s),
                (false, _) => to_cosign.push(s),
            }
        }
        // Late drafts first, each group oldest first.
        drafts.sort_by_key(|s| (!s.late, s.service_date));
        let due_days = self.note_due_days(tx).await?;
        Ok(NotesDashboard {
            late_count: drafts.iter().filter(|d| d.late).count(),
            drafts,
            awaiting_my_supervisor: awaiting,
            to_cosign,
            due_days,
        })
    }

    /// The templates a note can be written with: the built-in ones, then the practice's own. Templates hold no
    /// client data, so this read takes no audit lock.
    pub async fn note_templates(&self, ctx: &Ctx) -> Result<Vec<Template>> {
        authorize(&ctx.actor, Action::Read, Resource::PracticeSettings).into_result()?;
        let mut all = built_in();
        all.extend(repo::templates(self.store.unaudited(Unaudited::Configuration)).await?);
        Ok(all)
    }

    /// `note_templates` inside the caller's transaction.
    pub(crate) async fn read_note_templates(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
    ) -> Result<Vec<Template>> {
        authorize(&ctx.actor, Action::Read, Resource::PracticeSettings).into_result()?;
        let mut all = built_in();
        all.extend(repo::templates(tx.conn()).await?);
        Ok(all)
    }

    /// The caller's own supervisors: whom a psychotherapy note may be shared with.
    pub async fn my_supervisors(&self, ctx: &Ctx) -> Result<Vec<Person>> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut out = Vec::new();
        for id in care::supervisors_of(self.store.unaudited(Unaudited::Directory), &[me]).await? {
            if let Some(u) =
                rapport_store::users::by_id(self.store.unaudited(Unaudited::Directory), id).await?
            {
                out.push(Person {
                    id,
                    name: u.display_name,
                });
            }
        }
        Ok(out)
    }
}
