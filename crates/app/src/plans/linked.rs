//! What works towards each objective between sessions: the behaviours the client logs and the homework set for it,
//! as linked to the plan's objectives (by the objective's stable id, so a link survives edits of the plan).
//!
//! Behaviour names and homework titles are clinical content of their own, so showing them in a plan is a read in
//! its own right, as the measured progress is: the policy is asked for `Read` on the client's clinical record and
//! a `homework.list` entry naming the plan is left in the plan's transaction when anything linked was read.

use crate::{App, Ctx};
use chrono::NaiveDate;
use rapport_domain::Result;
use rapport_domain::behaviour::HomeworkStatus;
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_store::audit::AuditEvent;
use rapport_store::behaviour as repo;
use rapport_store::plans::Plan;
use rapport_store::{Tx, care};
use serde::Serialize;
use uuid::Uuid;

/// A homework item linked to an objective, as the plan shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedHomework {
    pub id: Uuid,
    pub objective_id: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub status_label: &'static str,
    /// Still assigned after its due date (in the client's zone).
    pub overdue: bool,
}

/// A behaviour linked to an objective, as the plan shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedBehaviour {
    pub id: Uuid,
    pub objective_id: String,
    pub name: String,
    pub active: bool,
}

/// Everything linked to the plan's objectives.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkedWork {
    pub homework: Vec<LinkedHomework>,
    pub behaviours: Vec<LinkedBehaviour>,
}

impl App {
    pub(super) async fn linked_work(&self, tx: &Tx<'_>, ctx: &Ctx, p: &Plan) -> Result<LinkedWork> {
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, p.client_id).await?,
            None => Default::default(),
        };
        if !authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed() {
            return Ok(LinkedWork::default());
        }
        let today = match rapport_store::clients::get(tx.conn(), p.client_id).await? {
            Some(c) => crate::behaviour::client_today(&c, rapport_store::now_utc()).1,
            None => crate::today(),
        };
        let homework: Vec<LinkedHomework> = repo::homework_for_plan(tx, p.id)
            .await?
            .into_iter()
            .filter_map(|h| {
                Some(LinkedHomework {
                    id: h.id,
                    objective_id: h.objective_id?,
                    overdue: h.status == HomeworkStatus::Assigned && h.due_on < today,
                    status_label: h.status.label(),
                    title: h.title,
                    due_on: h.due_on,
                })
            })
            .collect();
        let behaviours: Vec<LinkedBehaviour> = repo::behaviours_for_plan(tx, p.id)
            .await?
            .into_iter()
            .filter_map(|b| {
                Some(LinkedBehaviour {
                    id: b.id,
                    objective_id: b.objective_id?,
                    name: b.name,
                    active: b.active,
                })
            })
            .collect();
        if !homework.is_empty() || !behaviours.is_empty() {
            tx.audit(
                AuditEvent::new(&ctx.actor, "homework.list", "client")
                    .resource(p.client_id)
                    .client(p.client_id.0)
                    .request(ctx.rid())
                    .detail(format!(
                        "plan {}: {} linked homework, {} linked behaviours",
                        p.id,
                        homework.len(),
                        behaviours.len()
                    )),
            )
            .await?;
        }
        Ok(LinkedWork {
            homework,
            behaviours,
        })
    }
}
