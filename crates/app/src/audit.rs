//! Reading the audit log: the administrator's browser, a client's "who accessed this record", and verification.

use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::{self, AuditEvent, AuditFilter};
use rapport_store::{clients, users};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use rapport_store::audit::VerifyReport;

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// The actor's display name, resolved for people reading the log (not stored in the entry).
    pub actor_name: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub client_id: Option<Uuid>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    pub actor_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<i64>,
    pub limit: Option<u64>,
}

impl App {
    /// The entries as people read them: with actors' names, and without the events of psychotherapy notes the
    /// viewer may not know of (HIPAA keeps those notes to their author; the access log and the audit page would
    /// otherwise tell the care team and administrators that one exists). A denied attempt to create one is shown
    /// to its actor alone. The chain still covers every entry; `audit verify` reads them all.
    async fn entries(
        c: &impl rapport_store::ConnectionTrait,
        ctx: &Ctx,
        mut rows: Vec<rapport_store::entity::audit_log::Model>,
    ) -> Result<Vec<AuditEntry>> {
        let viewer = ctx.actor.user_id().map(|u| u.0);
        let note_ids: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.resource_type == "note")
            .filter_map(|r| r.resource_id.as_deref()?.parse().ok())
            .collect();
        let private = rapport_store::note_privacy::psychotherapy_notes_among(c, &note_ids).await?;
        rows.retain(|r| {
            let about = r
                .resource_id
                .as_deref()
                .and_then(|id| id.parse::<Uuid>().ok())
                .and_then(|id| private.iter().find(|p| p.note == id));
            match about {
                Some(p) => p.known_to(viewer),
                None if r.detail.as_deref() == Some("psychotherapy") => {
                    r.actor_id.is_some() && r.actor_id == viewer
                }
                None => true,
            }
        });
        let accounts = users::list(c).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                actor_name: r.actor_id.and_then(|id| {
                    accounts
                        .iter()
                        .find(|u| u.id == id)
                        .map(|u| u.display_name.clone())
                }),
                seq: r.seq,
                at: r.at,
                actor_kind: r.actor_kind,
                actor_id: r.actor_id,
                action: r.action,
                resource_type: r.resource_type,
                resource_id: r.resource_id,
                client_id: r.client_id,
                outcome: r.outcome,
                request_id: r.request_id,
                detail: r.detail,
            })
            .collect())
    }

    /// The query as a filter; `since` and `until` inside the range every date keeps.
    fn filter(q: &AuditQuery) -> Result<AuditFilter> {
        let mut p = rapport_domain::error::Problems::new();
        if let Some(t) = q.since {
            p.take(rapport_domain::dates::instant_in_range("since", t));
        }
        if let Some(t) = q.until {
            p.take(rapport_domain::dates::instant_in_range("until", t));
        }
        p.finish()?;
        Ok(AuditFilter {
            actor_id: q.actor_id,
            client_id: q.client_id,
            action_prefix: q.action.clone().filter(|a| !a.trim().is_empty()),
            outcome: q.outcome.clone().filter(|o| !o.trim().is_empty()),
            since: q.since,
            until: q.until,
            before_seq: q.before,
            limit: q.limit.unwrap_or(100),
        })
    }

    /// The whole log, newest first, for administrators. Reading it is itself audited.
    pub async fn list_audit(&self, ctx: &Ctx, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let f = Self::filter(q)?;
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Read,
                Resource::AuditLog,
                AuditEvent::new(&ctx.actor, "audit.read", "audit_log"),
            )
            .await?;
        let rows = audit::list(tx.conn(), &f).await?;
        tx.audit(AuditEvent::new(&ctx.actor, "audit.read", "audit_log").request(ctx.rid()))
            .await?;
        let entries = Self::entries(tx.conn(), ctx, rows).await?;
        tx.commit().await?;
        Ok(entries)
    }

    /// Who accessed one client's record (every entry naming the client), for an administrator or the care team.
    pub async fn client_access_log(
        &self,
        ctx: &Ctx,
        client: ClientId,
        q: &AuditQuery,
    ) -> Result<Vec<AuditEntry>> {
        let mut f = Self::filter(q)?;
        let tx = self.store.begin_read().await?;
        clients::get(tx.conn(), client)
            .await?
            .ok_or(Error::NotFound)?;
        let rel = match ctx.actor.user_id() {
            Some(me) => rapport_store::care::relation(tx.conn(), me, client).await?,
            None => Default::default(),
        };
        let ev = || AuditEvent::new(&ctx.actor, "client.access_log", "audit_log").client(client.0);
        let tx = self
            .guard(tx, ctx, Action::Read, Resource::ClientAccessLog(rel), ev())
            .await?;
        f.client_id = Some(client.0);
        let rows = audit::list(tx.conn(), &f).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        let entries = Self::entries(tx.conn(), ctx, rows).await?;
        tx.commit().await?;
        Ok(entries)
    }

    /// A signed checkpoint of the chain (the CLI's `audit checkpoint`), to keep outside the database.
    pub async fn audit_checkpoint(&self) -> Result<String> {
        Ok(self.store.audit_checkpoint().await?)
    }

    /// `audit verify --checkpoint`: the chain, and that nothing the checkpoint saw was removed or changed.
    pub async fn verify_audit_against(&self, line: &str) -> Result<VerifyReport> {
        match self.store.verify_audit_against(line).await? {
            Ok(report) => Ok(report),
            Err(why) => Err(Error::invalid("checkpoint", why)),
        }
    }

    /// Recomputes the whole chain (the CLI's `audit verify`).
    pub async fn verify_audit(&self) -> Result<VerifyReport> {
        Ok(self.store.verify_audit().await?)
    }
}
