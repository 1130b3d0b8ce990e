//! Relationship units and therapy groups: creation and changes, rosters as periods of membership (a client who
//! left and came back has one row per period), the caller's relation to a group (for the policy), and the
//! memberships shown on a client's record. Group names and unit labels are sealed (`sealed_labels`): lists are
//! sorted after they are opened.

use crate::crypto::Cipher;
use crate::entity::{
    clients, group_facilitators, group_memberships, groups, supervisions, unit_members, units,
    users,
};
use crate::sealed_labels::Sealed;
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::group::roster::{self as periods, Period};
use rapport_domain::group::{GroupKind, UnitKind};
use rapport_domain::policy::GroupRelation;
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

/// One group with its facilitators (id and display name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub kind: GroupKind,
    pub capacity: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub facilitators: Vec<(UserId, String)>,
}

/// A roster line: who, under which names, and their periods of membership (oldest first, never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub client_id: ClientId,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub periods: Vec<Period>,
}

impl RosterEntry {
    pub fn on(&self, day: NaiveDate) -> bool {
        periods::member_on(&self.periods, day)
    }

    /// The latest period: the current one, or the last before they left.
    pub fn latest(&self) -> Option<&Period> {
        self.periods.last()
    }

    /// Still on the roster, or joining later: no leave date on the latest period.
    pub fn current(&self) -> bool {
        self.latest().is_some_and(|p| p.left_on.is_none())
    }

    /// The name staff see: the preferred name with the family name, else the legal name.
    pub fn display_name(&self) -> String {
        match &self.preferred_name {
            Some(p) => format!(
                "{p} {}",
                self.legal_name.split_whitespace().last().unwrap_or("")
            )
            .trim()
            .to_string(),
            None => self.legal_name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: Uuid,
    pub kind: String,
    pub label: String,
    pub member_role: String,
    /// The client has left the unit (its joint notes from their time stay in their chart).
    pub left: bool,
    /// The unit's joint work has ended.
    pub ended: bool,
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
    tx: &Tx<'_>,
    kind: UnitKind,
    label: &str,
    members: &[(ClientId, &str)],
) -> Result<Uuid, StoreError> {
    let c = tx.conn();
    let id = Uuid::now_v7();
    let now = now_utc();
    units::ActiveModel {
        id: Set(id),
        kind: Set(kind.as_str().into()),
        label: Set(String::new()),
        sealed_label: Set(Some(Sealed::UnitLabel.seal(tx.cipher(), id, label)?)),
        created_at: Set(now),
        ended_at: Set(None),
    }
    .insert(c)
    .await?;
    for (client, role) in members {
        unit_members::ActiveModel {
            unit_id: Set(id),
            client_id: Set(client.0),
            member_role: Set((*role).into()),
            added_at: Set(now),
            left_at: Set(None),
        }
        .insert(c)
        .await?;
    }
    Ok(id)
}

pub async fn create_group(
    tx: &Tx<'_>,
    name: &str,
    kind: GroupKind,
    capacity: i32,
    facilitators: &[UserId],
    members: &[(ClientId, NaiveDate)],
) -> Result<Uuid, StoreError> {
    let c = tx.conn();
    let id = Uuid::now_v7();
    groups::ActiveModel {
        id: Set(id),
        name: Set(String::new()),
        sealed_name: Set(Some(Sealed::GroupName.seal(tx.cipher(), id, name)?)),
        kind: Set(kind.as_str().into()),
        capacity: Set(capacity),
        created_at: Set(now_utc()),
        version: Set(1),
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
        add_member(c, id, *client, *joined).await?;
    }
    Ok(id)
}

/// The units and groups one client belongs to (never the other members); one entry per period in a group.
pub async fn memberships(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
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
                label: Sealed::UnitLabel.open(cipher, u.id, u.sealed_label.as_deref(), &u.label)?,
                id: u.id,
                kind: u.kind,
                member_role: m.member_role,
                left: m.left_at.is_some(),
                ended: u.ended_at.is_some(),
            });
        }
    }
    let mut out_groups = Vec::new();
    for m in group_memberships::Entity::find()
        .filter(group_memberships::Column::ClientId.eq(client.0))
        .order_by_asc(group_memberships::Column::JoinedOn)
        .all(c)
        .await?
    {
        if let Some(g) = groups::Entity::find_by_id(m.group_id).one(c).await? {
            out_groups.push(GroupRef {
                name: Sealed::GroupName.open(cipher, g.id, g.sealed_name.as_deref(), &g.name)?,
                id: g.id,
                kind: g.kind,
                joined_on: m.joined_on,
                left_on: m.left_on,
            });
        }
    }
    Ok((out_units, out_groups))
}

/// Every group, by name (sorted here: names are sealed).
pub async fn list(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    today: NaiveDate,
) -> Result<Vec<GroupSummary>, StoreError> {
    let mut out = Vec::new();
    for g in groups::Entity::find().all(c).await? {
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
        // Periods of one client never overlap, so counting the periods covering today counts members.
        let active_members = group_memberships::Entity::find()
            .filter(group_memberships::Column::GroupId.eq(g.id))
            .all(c)
            .await?
            .iter()
            .filter(|m| period(m).on(today))
            .count();
        out.push(GroupSummary {
            name: Sealed::GroupName.open(cipher, g.id, g.sealed_name.as_deref(), &g.name)?,
            id: g.id,
            kind: g.kind,
            capacity: g.capacity,
            facilitators,
            active_members,
        });
    }
    out.sort_by_cached_key(|g| (g.name.to_lowercase(), g.id));
    Ok(out)
}

/// Whether `client` is on `group`'s roster on `day`.
pub async fn on_roster(
    c: &impl ConnectionTrait,
    group: Uuid,
    client: ClientId,
    day: NaiveDate,
) -> Result<bool, StoreError> {
    Ok(periods::member_on(
        &membership(c, group, client).await?,
        day,
    ))
}

pub async fn exists(c: &impl ConnectionTrait, group: Uuid) -> Result<bool, StoreError> {
    Ok(groups::Entity::find_by_id(group).one(c).await?.is_some())
}

async fn facilitators_of(
    c: &impl ConnectionTrait,
    group: Uuid,
) -> Result<Vec<(UserId, String)>, StoreError> {
    let mut out = Vec::new();
    for f in group_facilitators::Entity::find()
        .filter(group_facilitators::Column::GroupId.eq(group))
        .all(c)
        .await?
    {
        let name = users::Entity::find_by_id(f.user_id)
            .one(c)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        out.push((UserId(f.user_id), name));
    }
    Ok(out)
}

pub async fn get(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    id: Uuid,
) -> Result<Option<Group>, StoreError> {
    let Some(g) = groups::Entity::find_by_id(id).one(c).await? else {
        return Ok(None);
    };
    Ok(Some(Group {
        kind: GroupKind::parse(&g.kind)
            .map_err(|_| StoreError::Integrity(format!("group {id}: unknown kind")))?,
        facilitators: facilitators_of(c, id).await?,
        name: Sealed::GroupName.open(cipher, g.id, g.sealed_name.as_deref(), &g.name)?,
        id: g.id,
        capacity: g.capacity,
        version: g.version,
        created_at: g.created_at,
    }))
}

/// Changes a group's name, kind and capacity if it is still at `version`; returns the new version.
pub async fn update(
    tx: &Tx<'_>,
    id: Uuid,
    version: i32,
    name: &str,
    kind: GroupKind,
    capacity: i32,
) -> Result<i32, StoreError> {
    let c = tx.conn();
    let r = groups::Entity::update_many()
        .col_expr(groups::Column::Name, Expr::value(""))
        .col_expr(
            groups::Column::SealedName,
            Expr::value(Some(Sealed::GroupName.seal(tx.cipher(), id, name)?)),
        )
        .col_expr(groups::Column::Kind, Expr::value(kind.as_str()))
        .col_expr(groups::Column::Capacity, Expr::value(capacity))
        .col_expr(groups::Column::Version, Expr::value(version + 1))
        .filter(groups::Column::Id.eq(id))
        .filter(groups::Column::Version.eq(version))
        .exec(c)
        .await?;
    if r.rows_affected == 1 {
        Ok(version + 1)
    } else {
        Err(StoreError::Conflict(
            "this group was changed by someone else since you opened it".into(),
        ))
    }
}

/// Replaces the facilitators.
pub async fn set_facilitators(
    c: &impl ConnectionTrait,
    group: Uuid,
    ids: &[UserId],
) -> Result<(), StoreError> {
    group_facilitators::Entity::delete_many()
        .filter(group_facilitators::Column::GroupId.eq(group))
        .exec(c)
        .await?;
    for f in ids {
        group_facilitators::ActiveModel {
            group_id: Set(group),
            user_id: Set(f.0),
        }
        .insert(c)
        .await?;
    }
    Ok(())
}

fn period(m: &group_memberships::Model) -> Period {
    Period::new(m.joined_on, m.left_on)
}

/// Everyone ever on the roster with all their periods, current members first, then by name.
pub async fn roster(c: &impl ConnectionTrait, group: Uuid) -> Result<Vec<RosterEntry>, StoreError> {
    let rows = group_memberships::Entity::find()
        .filter(group_memberships::Column::GroupId.eq(group))
        .order_by_asc(group_memberships::Column::JoinedOn)
        .all(c)
        .await?;
    let mut by_client: std::collections::BTreeMap<Uuid, Vec<Period>> = Default::default();
    for m in &rows {
        by_client.entry(m.client_id).or_default().push(period(m));
    }
    let ids: Vec<Uuid> = by_client.keys().copied().collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let people: std::collections::HashMap<Uuid, clients::Model> = clients::Entity::find()
            .filter(clients::Column::Id.is_in(chunk.to_vec()))
            .all(c)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        for id in chunk {
            let (Some(p), Some(ps)) = (people.get(id), by_client.remove(id)) else {
                continue;
            };
            out.push(RosterEntry {
                client_id: ClientId(*id),
                legal_name: p.legal_name.clone(),
                preferred_name: p.preferred_name.clone(),
                periods: ps,
            });
        }
    }
    out.sort_by(|a, b| {
        (!a.current(), a.display_name().to_lowercase())
            .cmp(&(!b.current(), b.display_name().to_lowercase()))
    });
    Ok(out)
}

/// One client's periods in one group, oldest first (empty if never a member).
pub async fn membership(
    c: &impl ConnectionTrait,
    group: Uuid,
    client: ClientId,
) -> Result<Vec<Period>, StoreError> {
    Ok(group_memberships::Entity::find()
        .filter(group_memberships::Column::GroupId.eq(group))
        .filter(group_memberships::Column::ClientId.eq(client.0))
        .order_by_asc(group_memberships::Column::JoinedOn)
        .all(c)
        .await?
        .iter()
        .map(period)
        .collect())
}

/// Members who hold a place from `day` on: not left, or leaving only after `day`; each client once.
pub async fn places_taken(
    c: &impl ConnectionTrait,
    group: Uuid,
    day: NaiveDate,
) -> Result<u64, StoreError> {
    let holders: std::collections::HashSet<Uuid> = group_memberships::Entity::find()
        .filter(group_memberships::Column::GroupId.eq(group))
        .filter(
            sea_orm::Condition::any()
                .add(group_memberships::Column::LeftOn.is_null())
                .add(group_memberships::Column::LeftOn.gt(day)),
        )
        .all(c)
        .await?
        .into_iter()
        .map(|m| m.client_id)
        .collect();
    Ok(holders.len() as u64)
}

/// Opens a new period of membership from `joined_on` (the caller has checked it against the earlier ones).
pub async fn add_member(
    c: &impl ConnectionTrait,
    group: Uuid,
    client: ClientId,
    joined_on: NaiveDate,
) -> Result<(), StoreError> {
    group_memberships::ActiveModel {
        id: Set(Uuid::now_v7()),
        group_id: Set(group),
        client_id: Set(client.0),
        joined_on: Set(joined_on),
        left_on: Set(None),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// Closes the member's open period on `left_on`; false when they have no open period.
pub async fn set_left(
    c: &impl ConnectionTrait,
    group: Uuid,
    client: ClientId,
    left_on: NaiveDate,
) -> Result<bool, StoreError> {
    let r = group_memberships::Entity::update_many()
        .col_expr(
            group_memberships::Column::LeftOn,
            Expr::value(Some(left_on)),
        )
        .filter(group_memberships::Column::GroupId.eq(group))
        .filter(group_memberships::Column::ClientId.eq(client.0))
        .filter(group_memberships::Column::LeftOn.is_null())
        .exec(c)
        .await?;
    Ok(r.rows_affected == 1)
}

/// How `user` relates to `group`: facilitating it, or supervising one of its facilitators.
pub async fn relation(
    c: &impl ConnectionTrait,
    user: UserId,
    group: Uuid,
) -> Result<GroupRelation, StoreError> {
    let facilitators: Vec<Uuid> = group_facilitators::Entity::find()
        .filter(group_facilitators::Column::GroupId.eq(group))
        .all(c)
        .await?
        .into_iter()
        .map(|f| f.user_id)
        .collect();
    let facilitates = facilitators.contains(&user.0);
    let supervises_facilitator = !facilitators.is_empty()
        && supervisions::Entity::find()
            .filter(supervisions::Column::SupervisorId.eq(user.0))
            .filter(supervisions::Column::SuperviseeId.is_in(facilitators))
            .count(c)
            .await?
            > 0;
    Ok(GroupRelation {
        facilitates,
        supervises_facilitator,
    })
}
