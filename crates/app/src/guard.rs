//! The one path from a policy decision to a use case: allowed, or denied and the denial audited and committed.

use crate::{App, Ctx};
use rapport_domain::policy::{Action, ClientRelation, Decision, Resource, authorize};
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::{AuditEvent, Outcome};
use rapport_store::clients::Client;
use rapport_store::{Tx, care};

impl App {
    /// Asks the policy. On a denial the audit entry (outcome "denied") is committed on its own and the error is
    /// returned; on success the transaction is handed back to continue.
    pub(crate) async fn guard<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        action: Action,
        resource: Resource,
        event: AuditEvent,
    ) -> Result<Tx<'s>> {
        match authorize(&ctx.actor, action, resource) {
            Decision::Allow => Ok(tx),
            denied => {
                tx.rollback().await?;
                self.store
                    .audit_alone(event.outcome(Outcome::Denied).request(ctx.rid()))
                    .await?;
                Err(denied.into_result().err().unwrap_or(Error::NotFound))
            }
        }
    }

    /// `guard` for a use case that reads before it opens a transaction: on a denial the audit entry is committed
    /// on its own and the error returned.
    pub(crate) async fn permit(
        &self,
        ctx: &Ctx,
        action: Action,
        resource: Resource,
        event: AuditEvent,
    ) -> Result<()> {
        match authorize(&ctx.actor, action, resource) {
            Decision::Allow => Ok(()),
            denied => {
                self.store
                    .audit_alone(event.outcome(Outcome::Denied).request(ctx.rid()))
                    .await?;
                Err(denied.into_result().err().unwrap_or(Error::NotFound))
            }
        }
    }

    /// Refuses as "not found" a record the caller may not know about, auditing the denial like `guard` does.
    pub(crate) async fn hidden<T>(&self, tx: Tx<'_>, ctx: &Ctx, event: AuditEvent) -> Result<T> {
        tx.rollback().await?;
        self.store
            .audit_alone(event.outcome(Outcome::Denied).request(ctx.rid()))
            .await?;
        Err(Error::NotFound)
    }

    /// Opens one client's clinical record for `action`, as `guard` does: an unknown client is "not found", and a
    /// refusal is audited. Hands back the transaction and the client.
    pub(crate) async fn guard_clinical<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
        action: Action,
        event: AuditEvent,
    ) -> Result<(Tx<'s>, Client)> {
        let Some(c) = rapport_store::clients::get(tx.conn(), client).await? else {
            return self.hidden(tx, ctx, event).await;
        };
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, client).await?,
            None => ClientRelation::default(),
        };
        let tx = self
            .guard(tx, ctx, action, Resource::ClientClinical(rel), event)
            .await?;
        Ok((tx, c))
    }
}
