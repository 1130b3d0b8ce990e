//! Therapy groups: the directory every staff member may see (names, kinds, facilitators, head counts), and the
//! management of one group: its settings, up to two facilitators, and a roster with join and leave dates. A member
//! may leave and rejoin: each stay is a period of its own (`rapport_domain::group::roster`), kept in the history.
//!
//! A roster names clients, so it follows `Resource::GroupRoster`: the front desk and the group's facilitators (and
//! their supervisors) see it. Adding a client also needs the caller to see that client: a facilitator cannot pull a
//! stranger's record into reach by putting them in a group. Sessions are in `sessions`; what one member's chart
//! shows of them is in `chart`.

pub(crate) mod chart;
pub(crate) mod demo;
mod sessions;

pub use chart::MemberSessionView;
pub use sessions::{
    AppointmentChoice, AttendanceEntry, AttendanceInput, IndividualNote, NewSession, NotesInput,
    SessionMember, SessionRights, SessionSummary, SessionView, ShareView, TalkInput, TalkView,
};

use crate::{App, Ctx};
use chrono::NaiveDate;
use rapport_domain::error::Problems;
use rapport_domain::group::roster::{self as periods, Period};
use rapport_domain::group::{self as rules, GroupKind};
use rapport_domain::policy::{Action, ClientRelation, GroupRelation, Resource, authorize};
use rapport_domain::{ClientId, Error, Result, UserId, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::groups::{self as repo, RosterEntry};
use rapport_store::{Tx, care, now_utc, users};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

/// A group's settings as submitted (create or change).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub name: String,
    /// process, psychoeducation, skills or support.
    pub kind: String,
    pub capacity: i32,
    pub facilitator_ids: Vec<UserId>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub client_id: ClientId,
    /// YYYY-MM-DD; today by default.
    #[serde(default)]
    pub joined_on: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveInput {
    /// The first day no longer a member (YYYY-MM-DD); today by default.
    #[serde(default)]
    pub left_on: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RosterMember {
    pub client_id: ClientId,
    pub name: String,
    /// The latest period's join date.
    pub joined_on: NaiveDate,
    /// The latest period's leave date (the first day no longer a member).
    pub left_on: Option<NaiveDate>,
    /// On the roster today.
    pub active: bool,
    /// Every period of membership, oldest first; the latest gives `joined_on` and `left_on`.
    pub periods: Vec<Period>,
}

/// What the caller may do with the group they are looking at (for buttons; the use cases check again).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GroupRights {
    pub edit: bool,
    pub read_sessions: bool,
    pub run_sessions: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupDetail {
    pub id: Uuid,
    pub name: String,
    pub kind: GroupKind,
    pub kind_label: &'static str,
    pub capacity: i32,
    pub version: i32,
    pub facilitators: Vec<Facilitator>,
    pub members: Vec<RosterMember>,
    pub active_members: usize,
    pub rights: GroupRights,
}

fn date_or_today(field: &str, raw: Option<&str>) -> Result<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => validate::date(field, s),
        None => Ok(crate::today()),
    }
}

/// The validated settings: name, kind, capacity, facilitators.
fn validated(input: &GroupInput) -> Result<(String, GroupKind, i32, Vec<UserId>)> {
    let mut p = Problems::new();
    let name = p.take(rules::name(&input.name));
    let kind = p.take(GroupKind::parse(&input.kind));
    let capacity = p.take(rules::capacity(input.capacity));
    let facilitators = p.take(rules::facilitators(&input.facilitator_ids));
    p.finish()?;
    match (name, kind, capacity, facilitators) {
        (Some(n), Some(k), Some(c), Some(f)) => Ok((n, k, c, f)),
        _ => Err(Error::internal("validation passed without values")),
    }
}

impl App {
    pub async fn list_groups(&self, ctx: &Ctx) -> Result<Vec<GroupView>> {
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::List,
                Resource::GroupDirectory,
                AuditEvent::new(&ctx.actor, "group.list", "group"),
            )
            .await?;
        let list = repo::list(tx.conn(), tx.cipher(), now_utc().date_naive()).await?;
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

    pub(crate) async fn group_relation(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        group: Uuid,
    ) -> Result<GroupRelation> {
        match ctx.actor.user_id() {
            Some(me) => Ok(repo::relation(tx.conn(), me, group).await?),
            None => Ok(GroupRelation::default()),
        }
    }

    /// Loads the group's relation and asks the policy about `resource(rel)`; an unknown group is "not found".
    pub(crate) async fn group_for<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        group: Uuid,
        action: Action,
        resource: fn(GroupRelation) -> Resource,
        ev: AuditEvent,
    ) -> Result<(Tx<'s>, repo::Group, GroupRelation)> {
        let Some(g) = repo::get(tx.conn(), tx.cipher(), group).await? else {
            return self.hidden(tx, ctx, ev).await;
        };
        let rel = self.group_relation(&tx, ctx, group).await?;
        let tx = self.guard(tx, ctx, action, resource(rel), ev).await?;
        Ok((tx, g, rel))
    }

    /// Every facilitator must be an active clinician or supervisor.
    async fn check_facilitators(&self, tx: &Tx<'_>, ids: &[UserId]) -> Result<()> {
        for id in ids {
            let ok = users::by_id(tx.conn(), *id)
                .await?
                .is_some_and(|u| !u.disabled && users::roles(&u).iter().any(|r| r.is_clinical()));
            if !ok {
                return Err(Error::invalid(
                    "facilitator_ids",
                    format!(
                        "{id} is not an active clinician; facilitators are clinicians or supervisors"
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn group_detail(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        g: repo::Group,
        rel: GroupRelation,
    ) -> Result<GroupDetail> {
        let today = crate::today();
        let roster = repo::roster(tx.conn(), g.id).await?;
        let can = |a: Action, r: Resource| authorize(&ctx.actor, a, r).is_allowed();
        let members: Vec<RosterMember> = roster
            .iter()
            .filter_map(|m: &RosterEntry| {
                let latest = m.latest()?;
                Some(RosterMember {
                    client_id: m.client_id,
                    name: m.display_name(),
                    joined_on: latest.joined_on,
                    left_on: latest.left_on,
                    active: m.on(today),
                    periods: m.periods.clone(),
                })
            })
            .collect();
        Ok(GroupDetail {
            active_members: members.iter().filter(|m| m.active).count(),
            members,
            rights: GroupRights {
                edit: can(Action::Update, Resource::GroupRoster(rel)),
                read_sessions: can(Action::List, Resource::GroupSession(rel)),
                run_sessions: can(Action::Create, Resource::GroupSession(rel)),
            },
            id: g.id,
            name: g.name,
            kind_label: g.kind.label(),
            kind: g.kind,
            capacity: g.capacity,
            version: g.version,
            facilitators: g
                .facilitators
                .into_iter()
                .map(|(user_id, display_name)| Facilitator {
                    user_id,
                    display_name,
                })
                .collect(),
        })
    }

    /// Creates a group with its facilitators and an empty roster.
    pub async fn create_group(&self, ctx: &Ctx, input: GroupInput) -> Result<GroupDetail> {
        let (name, kind, capacity, facilitators) = validated(&input)?;
        let tx = self.store.begin().await?;
        let ev = AuditEvent::new(&ctx.actor, "group.create", "group");
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::GroupDirectory,
                ev.clone(),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        self.check_facilitators(&tx, &facilitators).await?;
        let id = repo::create_group(&tx, &name, kind, capacity, &facilitators, &[]).await?;
        tx.audit(ev.resource(id).request(ctx.rid()).detail(kind.as_str()))
            .await?;
        let g = repo::get(tx.conn(), tx.cipher(), id)
            .await?
            .ok_or(Error::NotFound)?;
        let rel = self.group_relation(&tx, ctx, id).await?;
        let view = self.group_detail(&tx, ctx, g, rel).await?;
        self.commit_once(tx, ctx, view).await
    }

    /// One group with its roster; the read is audited.
    pub async fn get_group(&self, ctx: &Ctx, id: Uuid) -> Result<GroupDetail> {
        let tx = self.store.begin_read().await?;
        let ev = AuditEvent::new(&ctx.actor, "group.read", "group").resource(id);
        let (tx, g, rel) = self
            .group_for(tx, ctx, id, Action::Read, Resource::GroupRoster, ev.clone())
            .await?;
        let view = self.group_detail(&tx, ctx, g, rel).await?;
        tx.audit(
            ev.request(ctx.rid())
                .detail(format!("{} members listed", view.members.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Changes the settings of a group still at `version`. The capacity may not drop below the members holding a
    /// place today.
    pub async fn update_group(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: GroupInput,
    ) -> Result<GroupDetail> {
        let (name, kind, capacity, facilitators) = validated(&input)?;
        let tx = self.store.begin().await?;
        let ev = AuditEvent::new(&ctx.actor, "group.update", "group").resource(id);
        let (tx, _, _) = self
            .group_for(
                tx,
                ctx,
                id,
                Action::Update,
                Resource::GroupRoster,
                ev.clone(),
            )
            .await?;
        self.check_facilitators(&tx, &facilitators).await?;
        let taken = repo::places_taken(tx.conn(), id, crate::today()).await?;
        if i64::from(capacity) < taken as i64 {
            return Err(Error::invalid(
                "capacity",
                format!("{taken} members hold a place; the capacity cannot be lower"),
            ));
        }
        repo::update(&tx, id, version, &name, kind, capacity).await?;
        repo::set_facilitators(tx.conn(), id, &facilitators).await?;
        tx.audit(ev.request(ctx.rid())).await?;
        let g = repo::get(tx.conn(), tx.cipher(), id)
            .await?
            .ok_or(Error::NotFound)?;
        let rel = self.group_relation(&tx, ctx, id).await?;
        let view = self.group_detail(&tx, ctx, g, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Adds a client to the roster from a join date: a first period, or a new one for someone who left. Someone on
    /// the roster already is a conflict, a period overlapping an earlier one is refused, and so is a full group,
    /// with the count.
    pub async fn add_group_member(
        &self,
        ctx: &Ctx,
        group: Uuid,
        input: MemberInput,
    ) -> Result<GroupDetail> {
        let joined_on = date_or_today("joined_on", input.joined_on.as_deref())?;
        let client = input.client_id;
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "group.member.add", "group")
                .resource(group)
                .client(client.0)
        };
        let (tx, g, rel) = self
            .group_for(tx, ctx, group, Action::Update, Resource::GroupRoster, ev())
            .await?;
        if rapport_store::clients::get(tx.conn(), client)
            .await?
            .is_none()
        {
            return self.hidden(tx, ctx, ev()).await;
        }
        let client_rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, client).await?,
            None => ClientRelation::default(),
        };
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::ClientEnrolment(client_rel),
                ev(),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        let held = repo::membership(tx.conn(), group, client).await?;
        periods::check_join(&held, joined_on)?;
        let taken = repo::places_taken(tx.conn(), group, joined_on).await?;
        if taken >= u64::try_from(g.capacity).unwrap_or(0) {
            return Err(Error::invalid(
                "client_id",
                format!(
                    "the group is full: all {} places are taken; raise the capacity or wait for a member to leave",
                    g.capacity
                ),
            ));
        }
        let rejoins = !held.is_empty();
        repo::add_member(tx.conn(), group, client, joined_on).await?;
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} {joined_on}",
            if rejoins { "rejoins" } else { "joins" }
        )))
        .await?;
        let g = repo::get(tx.conn(), tx.cipher(), group)
            .await?
            .ok_or(Error::NotFound)?;
        let view = self.group_detail(&tx, ctx, g, rel).await?;
        self.commit_once(tx, ctx, view).await
    }

    /// Records that a member leaves the group, closing their open period; the leave date is the first day they are
    /// no longer a member, and comes after every session with attendance recorded for them.
    pub async fn leave_group(
        &self,
        ctx: &Ctx,
        group: Uuid,
        client: ClientId,
        input: LeaveInput,
    ) -> Result<GroupDetail> {
        let left_on = date_or_today("left_on", input.left_on.as_deref())?;
        let tx = self.store.begin().await?;
        let ev = AuditEvent::new(&ctx.actor, "group.member.leave", "group")
            .resource(group)
            .client(client.0);
        let (tx, _, rel) = self
            .group_for(
                tx,
                ctx,
                group,
                Action::Update,
                Resource::GroupRoster,
                ev.clone(),
            )
            .await?;
        let held = repo::membership(tx.conn(), group, client).await?;
        let last =
            rapport_store::group_sessions::last_attendance_date(tx.conn(), group, client).await?;
        periods::check_leave(&held, left_on, last)?;
        if !repo::set_left(tx.conn(), group, client, left_on).await? {
            return Err(Error::Conflict("this member left already".into()));
        }
        tx.audit(ev.request(ctx.rid()).detail(format!("leaves {left_on}")))
            .await?;
        let g = repo::get(tx.conn(), tx.cipher(), group)
            .await?
            .ok_or(Error::NotFound)?;
        let view = self.group_detail(&tx, ctx, g, rel).await?;
        tx.commit().await?;
        Ok(view)
    }
}
