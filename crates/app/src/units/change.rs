//! Creating and changing couples and families: the label, members and their roles, and the end of the joint work.
//!
//! Every change asks the policy for `Resource::Unit` with the caller's relation to every member it concerns (the
//! current members, and a member being added), so a clinician changes only a unit whose every member they treat.
//! A member who is to be added but whom the caller may not see is answered like a client that does not exist.
//! Nothing is deleted: a member leaves (their joint notes of that time stay in their chart) and a unit ends.

use super::{Relations, UnitView};
use crate::{App, Ctx};
use rapport_domain::group::UnitKind;
use rapport_domain::policy::{Action, ClientRelation, Resource, authorize};
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::units::{self, Unit};
use rapport_store::{Tx, groups, now_utc};
use serde::Deserialize;
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

/// A member's role as typed, or the kind's default when left empty.
fn role_of(kind: UnitKind, raw: Option<&str>) -> Result<String> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(kind.default_role().into()),
        Some(r) => validate::required_line("role", r, 60),
    }
}

impl App {
    /// Refuses a member the caller may not see exactly like one that does not exist (auditing the refusal), so
    /// the answer reveals nothing about clients outside the caller's reach.
    async fn visible_client<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        rels: &Relations,
        client: ClientId,
        field: String,
        ev: AuditEvent,
    ) -> Result<Tx<'s>> {
        let exists = rapport_store::clients::get(tx.conn(), client)
            .await?
            .is_some();
        if exists && rels.sees(ctx, client) {
            return Ok(tx);
        }
        let e = Error::invalid(field, "there is no such client");
        if !exists {
            return Err(e);
        }
        // The refusal is audited; a failure to audit wins over the answer.
        match self.hidden::<()>(tx, ctx, ev.client(client.0)).await {
            Ok(()) | Err(Error::NotFound) => Err(e),
            Err(other) => Err(other),
        }
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
        if let Some(k) = kind {
            p.take(k.check_size(ids.len()));
        }
        let roles: Vec<Option<String>> = input
            .members
            .iter()
            .map(|m| kind.and_then(|k| p.take(role_of(k, m.role.as_deref()))))
            .collect();
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
        let rels = self.unit_relations(&tx, ctx, &ids).await?;
        // A member the caller may not see is "not found", as it always was for this API.
        let mut tx = tx;
        for m in &ids {
            tx = self
                .guard(
                    tx,
                    ctx,
                    Action::Read,
                    Resource::ClientDemographics(rels.get(*m)),
                    ev().client(m.0),
                )
                .await?;
        }
        let all: Vec<ClientRelation> = ids.iter().map(|c| rels.get(*c)).collect();
        let res = Resource::Unit(rapport_domain::policy::UnitRelation::fold(&all, &all));
        let tx = self.guard(tx, ctx, Action::Create, res, ev()).await?;
        let members: Vec<(ClientId, &str)> = ids
            .iter()
            .copied()
            .zip(
                roles
                    .iter()
                    .map(|r| r.as_deref().unwrap_or(kind.default_role())),
            )
            .collect();
        let id = groups::create_unit(&tx, kind, &label, &members).await?;
        for m in &ids {
            tx.audit(ev().resource(id).client(m.0).request(ctx.rid()))
                .await?;
        }
        tx.commit().await?;
        self.get_unit(ctx, id).await
    }

    /// Opens a unit for a change that concerns its current members and, when adding, `adding`: allowed only to
    /// whoever may change every one of them, and never once the unit has ended.
    async fn unit_for_change<'s>(
        &'s self,
        ctx: &Ctx,
        id: Uuid,
        adding: Option<ClientId>,
        ev: impl Fn() -> AuditEvent,
    ) -> Result<(Tx<'s>, Unit)> {
        let tx = self.store.begin().await?;
        let Some(unit) = units::get(tx.conn(), tx.cipher(), id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let everyone: Vec<ClientId> = unit
            .memberships
            .iter()
            .map(|m| m.client_id)
            .chain(adding)
            .collect();
        let rels = self.unit_relations(&tx, ctx, &everyone).await?;
        let mut concerned = rels.current(&unit);
        concerned.extend(adding.map(|c| rels.get(c)));
        let res = rels.unit(&unit, &concerned);
        // The unit first: whoever may not open it learns nothing, not even about the client being added.
        if !authorize(&ctx.actor, Action::Read, res).is_allowed() {
            return self.hidden(tx, ctx, ev()).await;
        }
        let tx = match adding {
            Some(c) => {
                self.visible_client(tx, ctx, &rels, c, "client_id".into(), ev())
                    .await?
            }
            None => tx,
        };
        let tx = self.guard(tx, ctx, Action::Update, res, ev()).await?;
        if unit.ended_at.is_some() {
            return Err(Error::Conflict(
                "this couple or family has ended and is no longer changed".into(),
            ));
        }
        Ok((tx, unit))
    }

    /// Audits a change against every current member (and `extra`), commits, and reads the unit back.
    async fn unit_changed(
        &self,
        tx: Tx<'_>,
        ctx: &Ctx,
        unit: &Unit,
        extra: Option<ClientId>,
        ev: AuditEvent,
    ) -> Result<UnitView> {
        let mut clients: Vec<ClientId> = unit.members.iter().map(|(c, _)| *c).collect();
        if let Some(c) = extra
            && !clients.contains(&c)
        {
            clients.push(c);
        }
        for c in clients {
            tx.audit(ev.clone().client(c.0).request(ctx.rid())).await?;
        }
        tx.commit().await?;
        self.get_unit(ctx, unit.id).await
    }

    pub async fn rename_unit(&self, ctx: &Ctx, id: Uuid, label: &str) -> Result<UnitView> {
        let label = validate::required_line("label", label, 200)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "unit.update", "unit")
                .resource(id)
                .detail("label")
        };
        let (tx, unit) = self.unit_for_change(ctx, id, None, ev).await?;
        units::set_label(&tx, id, &label).await?;
        self.unit_changed(tx, ctx, &unit, None, ev()).await
    }

    pub async fn add_unit_member(
        &self,
        ctx: &Ctx,
        id: Uuid,
        client: ClientId,
        role: Option<&str>,
    ) -> Result<UnitView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "unit.update", "unit")
                .resource(id)
                .detail("member added")
        };
        let (tx, unit) = self.unit_for_change(ctx, id, Some(client), ev).await?;
        if let Some(m) = unit.memberships.iter().find(|m| m.client_id == client) {
            return Err(Error::invalid(
                "client_id",
                if m.left_at.is_none() {
                    "this client is a member already"
                } else {
                    // The membership is one period: coming back would put the notes written meanwhile in their
                    // chart. A new unit keeps the two times apart.
                    "this client left this unit; start a new couple or family instead"
                },
            ));
        }
        unit.kind.check_size(unit.members.len() + 1)?;
        let role = role_of(unit.kind, role)?;
        units::add_member(&tx, id, client, &role, now_utc()).await?;
        self.unit_changed(tx, ctx, &unit, Some(client), ev()).await
    }

    pub async fn remove_unit_member(
        &self,
        ctx: &Ctx,
        id: Uuid,
        client: ClientId,
    ) -> Result<UnitView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "unit.update", "unit")
                .resource(id)
                .detail("member left")
        };
        let (tx, unit) = self.unit_for_change(ctx, id, None, ev).await?;
        if !unit.members.iter().any(|(c, _)| *c == client) {
            return Err(Error::invalid("client_id", "this client is not a member"));
        }
        unit.kind.check_size(unit.members.len() - 1).map_err(|_| {
            Error::invalid(
                "client_id",
                match unit.kind {
                    UnitKind::Couple => "a couple has two members; end the couple instead",
                    UnitKind::Family => {
                        "a family unit has at least two members; end the family unit instead"
                    }
                },
            )
        })?;
        units::remove_member(&tx, id, client, now_utc()).await?;
        self.unit_changed(tx, ctx, &unit, None, ev()).await
    }

    pub async fn set_unit_member_role(
        &self,
        ctx: &Ctx,
        id: Uuid,
        client: ClientId,
        role: &str,
    ) -> Result<UnitView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "unit.update", "unit")
                .resource(id)
                .detail("role")
        };
        let (tx, unit) = self.unit_for_change(ctx, id, None, ev).await?;
        if !unit.members.iter().any(|(c, _)| *c == client) {
            return Err(Error::invalid("client_id", "this client is not a member"));
        }
        let role = role_of(unit.kind, Some(role))?;
        units::set_role(&tx, id, client, &role).await?;
        self.unit_changed(tx, ctx, &unit, None, ev()).await
    }

    /// Ends the joint work: the unit and its joint notes stay, read as before; nothing is added or changed.
    pub async fn end_unit(&self, ctx: &Ctx, id: Uuid) -> Result<UnitView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "unit.update", "unit")
                .resource(id)
                .detail("ended")
        };
        let (tx, unit) = self.unit_for_change(ctx, id, None, ev).await?;
        units::end(&tx, id, now_utc()).await?;
        self.unit_changed(tx, ctx, &unit, None, ev()).await
    }
}
