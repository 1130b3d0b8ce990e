//! A client's safety plan: read by whoever may read the clinical record (the care team, supervisors, and a
//! clinician under emergency access, who needs it most), written by the care team against the version they saw,
//! and shown to the client in the portal and in every copy of the record.

use crate::notes::{Names, Person};
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::policy::Action;
use rapport_domain::safety::SafetyPlan;
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::{Tx, now_utc, safety_plans};
use serde::Serialize;

/// The plan with who last changed it. `version` is 0 while there is no plan yet (send it back to create one).
#[derive(Debug, Clone, Serialize)]
pub struct SafetyPlanView {
    pub client_id: ClientId,
    pub plan: SafetyPlan,
    pub version: i32,
    pub updated_by: Option<Person>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl SafetyPlanView {
    pub fn exists(&self) -> bool {
        self.version > 0
    }
}

/// The stored plan as a view; the caller asked the policy.
pub(crate) async fn read(tx: &Tx<'_>, client: ClientId) -> Result<SafetyPlanView> {
    Ok(match safety_plans::get(tx, client).await? {
        Some(s) => SafetyPlanView {
            client_id: client,
            plan: s.plan,
            version: s.version,
            updated_by: Some(Names::default().person(tx, s.updated_by).await?),
            updated_at: Some(s.updated_at),
        },
        None => SafetyPlanView {
            client_id: client,
            plan: SafetyPlan::default(),
            version: 0,
            updated_by: None,
            updated_at: None,
        },
    })
}

impl App {
    pub async fn safety_plan(&self, ctx: &Ctx, client: ClientId) -> Result<SafetyPlanView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "safety_plan.read", "safety_plan")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin_read().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Read, ev())
            .await?;
        let view = read(&tx, client).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Saves the plan if `version` is the one the writer saw (0 for the first plan); a stale save is a conflict
    /// and stores nothing.
    pub async fn save_safety_plan(
        &self,
        ctx: &Ctx,
        client: ClientId,
        version: i32,
        plan: SafetyPlan,
    ) -> Result<SafetyPlanView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "safety_plan.save", "safety_plan")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Update, ev())
            .await?;
        let plan = plan.validated()?;
        let Some(new_version) =
            safety_plans::save(&tx, client, version, &plan, me, now_utc()).await?
        else {
            return Err(Error::Conflict(
                "someone saved this safety plan in the meantime; reload it to see their version"
                    .into(),
            ));
        };
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("version {new_version}")),
        )
        .await?;
        let view = read(&tx, client).await?;
        tx.commit().await?;
        Ok(view)
    }
}
