//! Couples and families as units: create one from existing clients, and open it to see its members and joint
//! notes. Seeing a unit shows who its members are, so it needs the right to see every member; its joint notes are
//! listed to those who may read the clinical record of at least one member (the note is in that member's chart).

use crate::notes::{Names, NoteSummary};
use crate::{App, Ctx};
use rapport_domain::client::is_minor;
use rapport_domain::group::UnitKind;
use rapport_domain::policy::{Action, ClientRelation, Resource, authorize};
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::{care, groups, units};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitMemberInput {
    pub client_id: ClientId,
    /// "partner", "parent", "child", "sibling", …
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub kind: String,
    pub label: String,
    pub members: Vec<UnitMemberInput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitMemberView {
    pub client_id: ClientId,
    pub name: String,
    pub role: String,
    pub is_minor: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub id: Uuid,
    pub kind: &'static str,
    pub label: String,
    pub members: Vec<UnitMemberView>,
    /// Joint notes, when the caller may read a member's clinical record.
    pub notes: Option<Vec<NoteSummary>>,
    /// Whether the caller may write a joint note (on every member's care team).
    pub can_write_notes: bool,
}

impl App {
    async fn relations(
        &self,
        tx: &rapport_store::Tx<'_>,
        ctx: &Ctx,
        members: &[ClientId],
    ) -> Result<Vec<ClientRelation>> {
        let mut out = Vec::new();
        for m in members {
            out.push(match ctx.actor.user_id() {
                Some(me) => care::relation(tx.conn(), me, *m).await?,
                None => ClientRelation::default(),
            });
        }
        Ok(out)
    }

    pub async fn create_unit(&self, ctx: &Ctx, input: NewUnit) -> Result<UnitView> {
        let mut p = rapport_domain::error::Problems::new();
        let kind = p.take(UnitKind::parse(&input.kind));
        let label = p.take(validate::required_line("label", &input.label, 200));
        let ids: Vec<ClientId> = input.members.iter().map(|m| m.client_id).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != ids.len() {
            p.add("members", "a client is listed twice");
        }
        match kind {
            Some(UnitKind::Couple) if ids.len() != 2 => {
                p.add("members", "a couple has two members")
            }
            Some(UnitKind::Family) if ids.len() < 2 => {
                p.add("members", "a family unit has at least two members")
            }
            _ => {}
        }
        p.finish()?;
        let (Some(kind), Some(label)) = (kind, label) else {
            return Err(Error::internal("validation passed without values"));
        };
        let tx = self.store.begin().await?;
        let ev = || AuditEvent::new(&ctx.actor, "unit.create", "unit");
        for (i, m) in ids.iter().enumerate() {
            if rapport_store::clients::get(tx.conn(), *m).await?.is_none() {
                return Err(Error::invalid(
                    format!("members[{i}].client_id"),
                    "there is no such client",
                ));
            }
        }
        let rels = self.relations(&tx, ctx, &ids).await?;
        let mut tx = tx;
        for (m, rel) in ids.iter().zip(rels) {
            tx = self
                .guard(
                    tx,
                    ctx,
                    Action::Update,
                    Resource::ClientDemographics(rel),
                    ev().client(m.0),
                )
                .await?;
        }
        let default_role = match kind {
            UnitKind::Couple => "partner",
            UnitKind::Family => "member",
        };
        let roles: Vec<String> = input
            .members
            .iter()
            .map(|m| {
                m.role
                    .clone()
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or(default_role.into())
            })
            .collect();
        let members: Vec<(ClientId, &str)> = ids
            .iter()
            .copied()
            .zip(roles.iter().map(String::as_str))
            .collect();
        let id = groups::create_unit(&tx, kind, &label, &members).await?;
        for m in &ids {
            tx.audit(ev().resource(id).client(m.0).request(ctx.rid()))
                .await?;
        }
        tx.commit().await?;
        self.get_unit(ctx, id).await
    }

    pub async fn get_unit(&self, ctx: &Ctx, id: Uuid) -> Result<UnitView> {
        let tx = self.store.begin_read().await?;
        let ev = || AuditEvent::new(&ctx.actor, "unit.read", "unit").resource(id);
        let Some(unit) = units::get(tx.conn(), tx.cipher(), id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let ids: Vec<ClientId> = unit.members.iter().map(|(c, _)| *c).collect();
        let rels = self.relations(&tx, ctx, &ids).await?;
        if !rels.iter().all(|r| {
            authorize(&ctx.actor, Action::Read, Resource::ClientDemographics(*r)).is_allowed()
        }) {
            return self.hidden(tx, ctx, ev()).await;
        }
        let today = crate::today();
        let mut members = Vec::new();
        for (c, role) in &unit.members {
            if let Some(cl) = rapport_store::clients::get(tx.conn(), *c).await? {
                members.push(UnitMemberView {
                    client_id: *c,
                    is_minor: is_minor(cl.date_of_birth, today),
                    name: cl.preferred_name.unwrap_or(cl.legal_name),
                    role: role.clone(),
                });
            }
        }
        let reads_clinical = rels.iter().any(|r| {
            authorize(&ctx.actor, Action::Read, Resource::ClientClinical(*r)).is_allowed()
        });
        let can_write_notes = rels.iter().all(|r| {
            authorize(&ctx.actor, Action::Create, Resource::ClientClinical(*r)).is_allowed()
        });
        let notes = if reads_clinical {
            let heads = rapport_store::notes::for_unit(tx.conn(), id).await?;
            let mut names = Names::default();
            Some(self.note_summaries(&tx, heads, &mut names).await?)
        } else {
            None
        };
        for c in &ids {
            tx.audit(
                ev().client(c.0)
                    .request(ctx.rid())
                    .detail(if reads_clinical {
                        "members and joint notes"
                    } else {
                        "members"
                    }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(UnitView {
            id,
            kind: unit.kind.as_str(),
            label: unit.label,
            members,
            notes,
            can_write_notes,
        })
    }
}
