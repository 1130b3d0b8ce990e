//! Couples and families as units: who belongs, in which role, since when and until when. A membership is a
//! period (`added_at` to `left_at`) rather than a row that comes and goes, because a joint note stays in the chart
//! of everyone who was a member when it was written. A unit's members are shown only to those who may see each
//! member (the policy's `Resource::Unit`). The label is sealed (`sealed_labels`).

use crate::crypto::Cipher;
use crate::entity::{unit_members, units};
use crate::sealed_labels::Sealed;
use crate::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rapport_domain::ClientId;
use rapport_domain::group::UnitKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

/// One period of membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub client_id: ClientId,
    /// "partner", "parent", "child", "sibling", "member", …
    pub role: String,
    pub added_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

impl Membership {
    /// Whether the client belonged to the unit at `t` (a joint note written then is in their chart).
    pub fn covers(&self, t: DateTime<Utc>) -> bool {
        self.added_at <= t && self.left_at.is_none_or(|l| t < l)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: Uuid,
    pub kind: UnitKind,
    pub label: String,
    pub ended_at: Option<DateTime<Utc>>,
    /// Current members and their roles, in the order they were added.
    pub members: Vec<(ClientId, String)>,
    /// Everyone who ever belonged, current members included, in the order they were added.
    pub memberships: Vec<Membership>,
}

impl Unit {
    /// The members whose charts a joint note written at `t` is in.
    pub fn members_at(&self, t: DateTime<Utc>) -> Vec<ClientId> {
        self.memberships
            .iter()
            .filter(|m| m.covers(t))
            .map(|m| m.client_id)
            .collect()
    }
}

pub async fn get(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    id: Uuid,
) -> Result<Option<Unit>, StoreError> {
    let Some(u) = units::Entity::find_by_id(id).one(c).await? else {
        return Ok(None);
    };
    let memberships: Vec<Membership> = unit_members::Entity::find()
        .filter(unit_members::Column::UnitId.eq(id))
        .order_by_asc(unit_members::Column::AddedAt)
        .all(c)
        .await?
        .into_iter()
        .map(|m| Membership {
            client_id: ClientId(m.client_id),
            role: m.member_role,
            added_at: m.added_at,
            left_at: m.left_at,
        })
        .collect();
    Ok(Some(Unit {
        id: u.id,
        kind: UnitKind::parse(&u.kind).map_err(|e| StoreError::Integrity(e.to_string()))?,
        label: Sealed::UnitLabel.open(cipher, u.id, u.sealed_label.as_deref(), &u.label)?,
        ended_at: u.ended_at,
        members: memberships
            .iter()
            .filter(|m| m.left_at.is_none())
            .map(|m| (m.client_id, m.role.clone()))
            .collect(),
        memberships,
    }))
}

pub async fn set_label(tx: &Tx<'_>, id: Uuid, label: &str) -> Result<(), StoreError> {
    units::Entity::update_many()
        .col_expr(units::Column::Label, Expr::value(""))
        .col_expr(
            units::Column::SealedLabel,
            Expr::value(Some(Sealed::UnitLabel.seal(tx.cipher(), id, label)?)),
        )
        .filter(units::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

pub async fn add_member(
    tx: &Tx<'_>,
    id: Uuid,
    client: ClientId,
    role: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    unit_members::ActiveModel {
        unit_id: Set(id),
        client_id: Set(client.0),
        member_role: Set(role.into()),
        added_at: Set(at),
        left_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// Changes a current member's role; a former member's stays as it was.
pub async fn set_role(
    tx: &Tx<'_>,
    id: Uuid,
    client: ClientId,
    role: &str,
) -> Result<(), StoreError> {
    update_current_member(
        tx,
        id,
        client,
        unit_members::Column::MemberRole,
        Expr::value(role),
    )
    .await
}

/// Ends a current membership at `at`; inside the transaction, so two removals cannot both count.
pub async fn remove_member(
    tx: &Tx<'_>,
    id: Uuid,
    client: ClientId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    update_current_member(
        tx,
        id,
        client,
        unit_members::Column::LeftAt,
        Expr::value(Some(at)),
    )
    .await
}

/// Sets one column of a client's current membership; a conflict when there is none (they left meanwhile).
async fn update_current_member(
    tx: &Tx<'_>,
    id: Uuid,
    client: ClientId,
    column: unit_members::Column,
    value: sea_orm::sea_query::SimpleExpr,
) -> Result<(), StoreError> {
    let r = unit_members::Entity::update_many()
        .col_expr(column, value)
        .filter(unit_members::Column::UnitId.eq(id))
        .filter(unit_members::Column::ClientId.eq(client.0))
        .filter(unit_members::Column::LeftAt.is_null())
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this client is no longer a member".into(),
        ))
    }
}

pub async fn end(tx: &Tx<'_>, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
    let r = units::Entity::update_many()
        .col_expr(units::Column::EndedAt, Expr::value(Some(at)))
        .filter(units::Column::Id.eq(id))
        .filter(units::Column::EndedAt.is_null())
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("this unit has ended already".into()))
    }
}
