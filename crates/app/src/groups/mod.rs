//! The group directory: every staff member may see which groups run, who leads them and how full they are;
//! rosters stay on each member's own record.

use crate::{App, Ctx};
use rapport_domain::Result;
use rapport_domain::UserId;
use rapport_domain::policy::{Action, Resource};
use rapport_store::audit::AuditEvent;
use rapport_store::now_utc;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Facilitator {
    pub user_id: UserId,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: String,
    pub capacity: i32,
    pub active_members: usize,
    pub facilitators: Vec<Facilitator>,
}

impl App {
    pub async fn list_groups(&self, ctx: &Ctx) -> Result<Vec<GroupView>> {
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::List,
                Resource::GroupDirectory,
                AuditEvent::new(&ctx.actor, "group.list", "group"),
            )
            .await?;
        let list = rapport_store::groups::list(tx.conn(), now_utc().date_naive()).await?;
        tx.commit().await?;
        Ok(list
            .into_iter()
            .map(|g| GroupView {
                id: g.id,
                name: g.name,
                kind: g.kind,
                capacity: g.capacity,
                active_members: g.active_members,
                facilitators: g
                    .facilitators
                    .into_iter()
                    .map(|(user_id, display_name)| Facilitator {
                        user_id,
                        display_name,
                    })
                    .collect(),
            })
            .collect())
    }
}
