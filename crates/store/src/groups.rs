//! Relationship units and therapy groups: creation, rosters, and the memberships shown on a client's record.

use crate::entity::{group_facilitators, group_members, groups, unit_members, units, users};
use crate::{StoreError, now_utc};
use chrono::NaiveDate;
use rapport_domain::group::{GroupKind, UnitKind};
use rapport_domain::{ClientId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: Uuid,
    pub kind: String,
    pub label: String,
    pub member_role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub capacity: i32,
    pub facilitators: Vec<(UserId, String)>,
    pub active_members: usize,
}

pub async fn create_unit(
    c: &impl ConnectionTrait,
    kind: UnitKind,
    label: &str,
    members: &[(ClientId, &str)],
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let now = now_utc();
    units::ActiveModel {
        id: Set(id),
        kind: Set(kind.as_str().into()),
        label: Set(label.into()),
        created_at: Set(now),
    }
    .insert(c)
    .await?;
    for (client, role) in members {
        unit_members::ActiveModel {
            unit_id: Set(id),
            client_id: Set(client.0),
            member_role: Set((*role).into()),
            added_at: Set(now),
        }
        .insert(c)
        .await?;
    }
    Ok(id)
}

pub async fn create_group(
    c: &impl ConnectionTrait,
    name: &str,
    kind: GroupKind,
    capacity: i32,
    facilitators: &[UserId],
    members: &[(ClientId, NaiveDate)],
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    groups::ActiveModel {
        id: Set(id),
        name: Set(name.into()),
        kind: Set(kind.as_str().into()),
        capacity: Set(capacity),
        created_at: Set(now_utc()),
    }
    .insert(c)
    .await?;
    for f in facilitators {
        group_facilitators::ActiveModel {
            group_id: Set(id),
            user_id: Set(f.0),
        }
        .insert(c)
        .await?;
    }
    for (client, joined) in members {
        group_members::ActiveModel {
            group_id: Set(id),
            client_id: Set(client.0),
            joined_on: Set(*joined),
            left_on: Set(None),
        }
        .insert(c)
        .await?;
    }
    Ok(id)
}

/// The units and groups one client belongs to (never the other members).
pub async fn memberships(
    c: &impl ConnectionTrait,
    client: ClientId,
) -> Result<(Vec<UnitRef>, Vec<GroupRef>), StoreError> {
    let mut out_units = Vec::new();
    for m in unit_members::Entity::find()
        .filter(unit_members::Column::ClientId.eq(client.0))
        .all(c)
        .await?
    {
        if let Some(u) = units::Entity::find_by_id(m.unit_id).one(c).await? {
            out_units.push(UnitRef {
                id: u.id,
                kind: u.kind,
                label: u.label,
                member_role: m.member_role,
            });
        }
    }
    let mut out_groups = Vec::new();
    for m in group_members::Entity::find()
        .filter(group_members::Column::ClientId.eq(client.0))
        .all(c)
        .await?
    {
        if let Some(g) = groups::Entity::find_by_id(m.group_id).one(c).await? {
            out_groups.push(GroupRef {
                id: g.id,
                name: g.name,
                kind: g.kind,
                joined_on: m.joined_on,
                left_on: m.left_on,
            });
        }
    }
    Ok((out_units, out_groups))
}

pub async fn list(
    c: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<Vec<GroupSummary>, StoreError> {
    let mut out = Vec::new();
    for g in groups::Entity::find()
        .order_by_asc(groups::Column::Name)
        .all(c)
        .await?
    {
        let mut facilitators = Vec::new();
        for f in group_facilitators::Entity::find()
            .filter(group_facilitators::Column::GroupId.eq(g.id))
            .all(c)
            .await?
        {
            let name = users::Entity::find_by_id(f.user_id)
                .one(c)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            facilitators.push((UserId(f.user_id), name));
        }
        let active_members = group_members::Entity::find()
            .filter(group_members::Column::GroupId.eq(g.id))
            .all(c)
            .await?
            .iter()
            .filter(|m| m.joined_on <= today && m.left_on.is_none_or(|l| l > today))
            .count();
        out.push(GroupSummary {
            id: g.id,
            name: g.name,
            kind: g.kind,
            capacity: g.capacity,
            facilitators,
            active_members,
        });
    }
    Ok(out)
}

/// Whether `client` is on `group`'s roster on `day`.
pub async fn on_roster(
    c: &impl ConnectionTrait,
    group: Uuid,
    client: ClientId,
    day: NaiveDate,
) -> Result<bool, StoreError> {
    Ok(group_members::Entity::find_by_id((group, client.0))
        .one(c)
        .await?
        .is_some_and(|m| m.joined_on <= day && m.left_on.is_none_or(|l| l > day)))
}

pub async fn exists(c: &impl ConnectionTrait, group: Uuid) -> Result<bool, StoreError> {
    Ok(groups::Entity::find_by_id(group).one(c).await?.is_some())
}
