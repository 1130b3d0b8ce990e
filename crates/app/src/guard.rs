//! The one path from a policy decision to a use case: allowed, or denied and the denial audited and committed.

use crate::{App, Ctx};
use rapport_domain::policy::{Action, Decision, Resource, authorize};
use rapport_domain::{Error, Result};
use rapport_store::Tx;
use rapport_store::audit::{AuditEvent, Outcome};

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

    /// Refuses as "not found" a record the caller may not know about, auditing the denial like `guard` does.
    pub(crate) async fn hidden<T>(&self, tx: Tx<'_>, ctx: &Ctx, event: AuditEvent) -> Result<T> {
        tx.rollback().await?;
        self.store
            .audit_alone(event.outcome(Outcome::Denied).request(ctx.rid()))
            .await?;
        Err(Error::NotFound)
    }
}
