//! Couples and families as units: open one to see its members and joint notes (`get_unit`); create and change
//! them in `change`.
//!
//! Whoever sees at least one member opens the unit (`policy::Resource::Unit`): a partner's individual therapist
//! follows the joint work of their client. The page names only the members the caller may see; any other current
//! member appears as "another member" with their role, never with a name or an id. A joint note is listed when
//! the caller may read it (the care team of a member who belonged when it was written).

mod change;

pub use change::{NewUnit, UnitMemberInput};

use crate::notes::{Names, NoteSummary};
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::client::is_minor;
use rapport_domain::policy::{Action, ClientRelation, Resource, UnitRelation, authorize};
use rapport_domain::{ClientId, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::units::{self, Unit};
use rapport_store::{Tx, care};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct UnitMemberView {
    pub client_id: ClientId,
    pub name: String,
    pub role: String,
    pub is_minor: bool,
}

/// A current member the caller may not see: only their role in the unit.
#[derive(Debug, Clone, Serialize)]
pub struct WithheldMember {
    pub role: String,
}

/// Someone who left the unit, shown to those who may see them.
#[derive(Debug, Clone, Serialize)]
pub struct FormerMemberView {
    pub client_id: ClientId,
    pub name: String,
    pub role: String,
    pub left_at: DateTime<Utc>,
}

/// What the caller may do with the unit.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct UnitRights {
    /// Change the label and the members, end the unit (not once it has ended).
    pub edit: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub id: Uuid,
    pub kind: &'static str,
    /// "Couple" or "Family", for pages.
    pub kind_label: &'static str,
    pub label: String,
    /// The current members the caller may see.
    pub members: Vec<UnitMemberView>,
    /// Current members the caller may not see (role only).
    pub withheld_members: Vec<WithheldMember>,
    /// Former members the caller may see.
    pub former_members: Vec<FormerMemberView>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Joint notes the caller may read, when they may read a member's clinical record.
    pub notes: Option<Vec<NoteSummary>>,
    /// Whether the caller may write a joint note (on every current member's care team, unit not ended).
    pub can_write_notes: bool,
    pub rights: UnitRights,
}

/// The caller's relation to each client who ever belonged to the unit.
pub(crate) struct Relations(HashMap<ClientId, ClientRelation>);

impl Relations {
    fn get(&self, c: ClientId) -> ClientRelation {
        self.0.get(&c).copied().unwrap_or_default()
    }

    /// The unit as the policy weighs it: anyone ever in it for opening, `concerned` for changing.
    fn unit(&self, unit: &Unit, concerned: &[ClientRelation]) -> Resource {
        let ever: Vec<ClientRelation> = unit
            .memberships
            .iter()
            .map(|m| self.get(m.client_id))
            .collect();
        Resource::Unit(UnitRelation::fold(&ever, concerned))
    }

    fn current(&self, unit: &Unit) -> Vec<ClientRelation> {
        unit.members.iter().map(|(c, _)| self.get(*c)).collect()
    }

    fn sees(&self, ctx: &Ctx, c: ClientId) -> bool {
        authorize(
            &ctx.actor,
            Action::Read,
            Resource::ClientDemographics(self.get(c)),
        )
        .is_allowed()
    }
}

impl App {
    pub(crate) async fn unit_relations(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        clients: &[ClientId],
    ) -> Result<Relations> {
        let mut out = HashMap::new();
        for c in clients.iter().copied() {
            let rel = match ctx.actor.user_id() {
                Some(me) => care::relation(tx.conn(), me, c).await?,
                None => ClientRelation::default(),
            };
            out.insert(c, rel);
        }
        Ok(Relations(out))
    }

    pub async fn get_unit(&self, ctx: &Ctx, id: Uuid) -> Result<UnitView> {
        let tx = self.store.begin_read().await?;
        let ev = || AuditEvent::new(&ctx.actor, "unit.read", "unit").resource(id);
        let Some(unit) = units::get(tx.conn(), tx.cipher(), id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let ever: Vec<ClientId> = unit.memberships.iter().map(|m| m.client_id).collect();
        let rels = self.unit_relations(&tx, ctx, &ever).await?;
        let current = rels.current(&unit);
        let res = rels.unit(&unit, &current);
        if !authorize(&ctx.actor, Action::Read, res).is_allowed() {
            return self.hidden(tx, ctx, ev()).await;
        }
        let today = crate::today();
        let (mut members, mut withheld, mut former) = (Vec::new(), Vec::new(), Vec::new());
        let mut shown = Vec::new();
        for m in &unit.memberships {
            if !rels.sees(ctx, m.client_id) {
                if m.left_at.is_none() {
                    withheld.push(WithheldMember {
                        role: m.role.clone(),
                    });
                }
                continue;
            }
            let Some(cl) = rapport_store::clients::get(tx.conn(), m.client_id).await? else {
                continue;
            };
            shown.push(m.client_id);
            let name = cl.preferred_name.unwrap_or(cl.legal_name);
            match m.left_at {
                None => members.push(UnitMemberView {
                    client_id: m.client_id,
                    is_minor: is_minor(cl.date_of_birth, today),
                    name,
                    role: m.role.clone(),
                }),
                Some(left_at) => former.push(FormerMemberView {
                    client_id: m.client_id,
                    name,
                    role: m.role.clone(),
                    left_at,
                }),
            }
        }
        let reads_clinical = unit.memberships.iter().any(|m| {
            authorize(
                &ctx.actor,
                Action::Read,
                Resource::ClientClinical(rels.get(m.client_id)),
            )
            .is_allowed()
        });
        let open = unit.ended_at.is_none();
        let can_write_notes = open
            && !current.is_empty()
            && current.iter().all(|r| {
                authorize(&ctx.actor, Action::Create, Resource::ClientClinical(*r)).is_allowed()
            });
        let notes = if reads_clinical {
            let mut readable = Vec::new();
            for h in rapport_store::notes::for_unit(tx.conn(), id).await? {
                let rel = self
                    .note_relation(
                        &tx,
                        ctx,
                        h.client_id,
                        h.author_id,
                        Some(h.id),
                        Some((id, h.created_at)),
                    )
                    .await?;
                if authorize(
                    &ctx.actor,
                    Action::Read,
                    crate::notes::resource(h.kind, rel),
                )
                .is_allowed()
                {
                    readable.push(h);
                }
            }
            let mut names = Names::default();
            Some(self.note_summaries(&tx, readable, &mut names).await?)
        } else {
            None
        };
        // One entry per member the caller saw, so each member's accounting of access shows the visit; a member
        // who was withheld was not disclosed and gets none.
        for c in &shown {
            tx.audit(
                ev().client(c.0)
                    .request(ctx.rid())
                    .detail(if notes.is_some() {
                        "members and joint notes"
                    } else {
                        "members"
                    }),
            )
            .await?;
        }
        if shown.is_empty() {
            tx.audit(ev().request(ctx.rid()).detail("unit")).await?;
        }
        tx.commit().await?;
        Ok(UnitView {
            id,
            kind: unit.kind.as_str(),
            kind_label: unit.kind.label(),
            label: unit.label,
            members,
            withheld_members: withheld,
            former_members: former,
            ended_at: unit.ended_at,
            notes,
            can_write_notes,
            rights: UnitRights {
                edit: open && authorize(&ctx.actor, Action::Update, res).is_allowed(),
            },
        })
    }
}

impl App {
    /// The clients picked so far for a new couple or family, as the form shows them (name, date of birth to tell
    /// equal names apart). A client the caller may not see, or that does not exist, is left out: the form never
    /// names someone the directory would not show; the refusal of an existing one is audited.
    pub async fn unit_draft(
        &self,
        ctx: &Ctx,
        picked: &[ClientId],
    ) -> Result<Vec<crate::clients::ClientSummary>> {
        let tx = self.store.begin_read().await?;
        let rels = self.unit_relations(&tx, ctx, picked).await?;
        let mut out = Vec::new();
        let mut refused = Vec::new();
        for c in picked {
            let Some(client) = rapport_store::clients::get(tx.conn(), *c).await? else {
                continue;
            };
            if !rels.sees(ctx, *c) {
                refused.push(*c);
                continue;
            }
            tx.audit(
                AuditEvent::new(&ctx.actor, "client.read", "client")
                    .resource(c.0)
                    .client(c.0)
                    .request(ctx.rid())
                    .detail("name for a new couple or family"),
            )
            .await?;
            out.push(crate::clients::summary(client));
        }
        tx.commit().await?;
        for c in refused {
            self.store
                .audit_alone(
                    AuditEvent::new(&ctx.actor, "client.read", "client")
                        .resource(c.0)
                        .client(c.0)
                        .outcome(rapport_store::audit::Outcome::Denied)
                        .request(ctx.rid()),
                )
                .await?;
        }
        Ok(out)
    }
}
