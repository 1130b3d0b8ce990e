//! The plan's measured progress: each objective linked to an instrument, read against the client's scores on it
//! (`rapport_domain::plans::measure_objective`).
//!
//! Scores are measure data, so showing them in a plan is a read of the client's results in its own right: it asks
//! the policy for `Read` on the client's clinical record (a caller allowed to change a plan is, but the question is
//! asked anyway) and leaves a `measure.results.read` entry naming the plan, in the plan's transaction. Only the
//! plain score columns are read; answers stay sealed.

use crate::{App, Ctx};
use rapport_domain::Result;
use rapport_domain::measures::{self as m, Scored};
use rapport_domain::plans::{MeasuredObjective, measure_objective};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_store::audit::AuditEvent;
use rapport_store::measures as repo;
use rapport_store::plans::Plan;
use rapport_store::{Tx, care};

impl App {
    pub(super) async fn measured_objectives(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        p: &Plan,
    ) -> Result<Vec<MeasuredObjective>> {
        let linked: Vec<_> = p
            .content
            .objectives()
            .filter_map(|o| {
                let id = o.instrument.as_deref()?.trim();
                m::instrument(id).ok().map(|i| (o, i))
            })
            .collect();
        if linked.is_empty() {
            return Ok(Vec::new());
        }
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, p.client_id).await?,
            None => Default::default(),
        };
        if !authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed() {
            return Ok(Vec::new());
        }
        let heads = repo::responses_for_client(tx.conn(), p.client_id).await?;
        let out: Vec<MeasuredObjective> = linked
            .into_iter()
            .map(|(o, i)| {
                let scores: Vec<Scored> = heads
                    .iter()
                    .filter(|h| h.instrument == i.id && h.valid)
                    .filter_map(|h| {
                        h.total.map(|total| Scored {
                            at: h.completed_at,
                            total,
                        })
                    })
                    .collect();
                measure_objective(o, i, &scores)
            })
            .collect();
        tx.audit(
            AuditEvent::new(&ctx.actor, "measure.results.read", "client")
                .resource(p.client_id)
                .client(p.client_id.0)
                .request(ctx.rid())
                .detail(format!("plan {}: {} measured objectives", p.id, out.len())),
        )
        .await?;
        Ok(out)
    }
}
