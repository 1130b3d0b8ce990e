//! On-call shifts. Inserting checks the same person's overlapping shifts in the same transaction (which holds the
//! writers' turn, so no other writer can slip a clashing shift in between the check and the insert).

use crate::entity::on_call_shifts;
use crate::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rapport_domain::UserId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub id: Uuid,
    pub user_id: UserId,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub time_zone: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

fn shift(m: on_call_shifts::Model) -> Shift {
    Shift {
        id: m.id,
        user_id: UserId(m.user_id),
        start_at: m.start_at,
        end_at: m.end_at,
        time_zone: m.time_zone,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
    }
}

/// Shifts that share an instant with `[from, to)`, earliest first.
pub async fn in_range(
    c: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Shift>, StoreError> {
    use on_call_shifts::Column as C;
    Ok(on_call_shifts::Entity::find()
        .filter(C::StartAt.lt(to))
        .filter(C::EndAt.gt(from))
        .order_by_asc(C::StartAt)
        .order_by_asc(C::UserId)
        .all(c)
        .await?
        .into_iter()
        .map(shift)
        .collect())
}

/// Everyone's shifts covering `t` (start inclusive, end exclusive).
pub async fn on_call_at(
    c: &impl ConnectionTrait,
    t: DateTime<Utc>,
) -> Result<Vec<Shift>, StoreError> {
    use on_call_shifts::Column as C;
    Ok(on_call_shifts::Entity::find()
        .filter(C::StartAt.lte(t))
        .filter(C::EndAt.gt(t))
        .order_by_asc(C::StartAt)
        .all(c)
        .await?
        .into_iter()
        .map(shift)
        .collect())
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Shift>, StoreError> {
    Ok(on_call_shifts::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(shift))
}

/// Inserts the shift unless the same person already has one sharing an instant with it; then nothing is written
/// and those shifts are returned (the caller turns them into a refusal naming the field).
pub async fn insert(tx: &Tx<'_>, s: &Shift) -> Result<Vec<Shift>, StoreError> {
    use on_call_shifts::Column as C;
    let clashes: Vec<Shift> = on_call_shifts::Entity::find()
        .filter(C::UserId.eq(s.user_id.0))
        .filter(C::StartAt.lt(s.end_at))
        .filter(C::EndAt.gt(s.start_at))
        .order_by_asc(C::StartAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(shift)
        .collect();
    if !clashes.is_empty() {
        return Ok(clashes);
    }
    on_call_shifts::ActiveModel {
        id: Set(s.id),
        user_id: Set(s.user_id.0),
        start_at: Set(s.start_at),
        end_at: Set(s.end_at),
        time_zone: Set(s.time_zone.clone()),
        created_by: Set(s.created_by.0),
        created_at: Set(s.created_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(Vec::new())
}

/// Removes a shift; false when there was none.
pub async fn delete(tx: &Tx<'_>, id: Uuid) -> Result<bool, StoreError> {
    let r = on_call_shifts::Entity::delete_by_id(id)
        .exec(tx.conn())
        .await?;
    Ok(r.rows_affected == 1)
}
