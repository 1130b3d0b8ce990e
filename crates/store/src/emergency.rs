//! Break-the-glass emergency accesses: one row per use, live while `expires_at` is ahead; reviewed once, with an
//! `UPDATE … WHERE reviewed_at IS NULL` so that two administrators cannot both record a finding. The reason and the
//! review note are sealed with the row as associated data.

use crate::crypto::{Aad, Encrypted};
use crate::entity::emergency_access;
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::emergency::Finding;
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyAccess {
    pub id: Uuid,
    pub user_id: UserId,
    pub client_id: ClientId,
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub finding: Option<Finding>,
    pub review_note: Option<String>,
}

fn aad<'a>(column: &'a str, row: &'a str) -> Aad<'a> {
    Aad {
        table: "emergency_access",
        column,
        row,
    }
}

fn open(tx: &Tx<'_>, m: emergency_access::Model) -> Result<EmergencyAccess, StoreError> {
    let row = m.id.to_string();
    Ok(EmergencyAccess {
        reason: Encrypted::<String>::open(tx.cipher(), aad("reason", &row), &m.reason)?,
        review_note: Encrypted::<String>::open_opt(
            tx.cipher(),
            aad("review_note", &row),
            m.review_note.as_deref(),
        )?,
        finding: m
            .finding
            .as_deref()
            .map(Finding::parse)
            .transpose()
            .map_err(|e| StoreError::Integrity(e.to_string()))?,
        id: m.id,
        user_id: UserId(m.user_id),
        client_id: ClientId(m.client_id),
        started_at: m.started_at,
        expires_at: m.expires_at,
        reviewed_by: m.reviewed_by.map(UserId),
        reviewed_at: m.reviewed_at,
    })
}

pub async fn insert(
    tx: &Tx<'_>,
    user: UserId,
    client: ClientId,
    reason: &str,
    started_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let row = id.to_string();
    emergency_access::ActiveModel {
        id: Set(id),
        user_id: Set(user.0),
        client_id: Set(client.0),
        reason: Set(Encrypted::<String>::seal(
            tx.cipher(),
            aad("reason", &row),
            &reason.to_string(),
        )?),
        started_at: Set(started_at),
        expires_at: Set(expires_at),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        finding: Set(None),
        review_note: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

/// When the user's live emergency access to this client ends, if they hold one.
pub async fn live_until(
    c: &impl ConnectionTrait,
    user: UserId,
    client: ClientId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(emergency_access::Entity::find()
        .filter(emergency_access::Column::UserId.eq(user.0))
        .filter(emergency_access::Column::ClientId.eq(client.0))
        .filter(emergency_access::Column::ExpiresAt.gt(now_utc()))
        .order_by_desc(emergency_access::Column::ExpiresAt)
        .one(c)
        .await?
        .map(|m| m.expires_at))
}

/// Whether the user holds a live emergency access to this client (for `care::relation`).
pub async fn is_live(
    c: &impl ConnectionTrait,
    user: UserId,
    client: ClientId,
) -> Result<bool, StoreError> {
    Ok(emergency_access::Entity::find()
        .filter(emergency_access::Column::UserId.eq(user.0))
        .filter(emergency_access::Column::ClientId.eq(client.0))
        .filter(emergency_access::Column::ExpiresAt.gt(now_utc()))
        .count(c)
        .await?
        > 0)
}

/// The register: unreviewed first, then newest first; at most `limit`.
pub async fn list(tx: &Tx<'_>, limit: u64) -> Result<Vec<EmergencyAccess>, StoreError> {
    let rows = emergency_access::Entity::find()
        .order_by_asc(Expr::col(emergency_access::Column::ReviewedAt).is_not_null())
        .order_by_desc(emergency_access::Column::StartedAt)
        .limit(limit)
        .all(tx.conn())
        .await?;
    rows.into_iter().map(|m| open(tx, m)).collect()
}

pub async fn get(tx: &Tx<'_>, id: Uuid) -> Result<Option<EmergencyAccess>, StoreError> {
    emergency_access::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

/// Records the review; false if it was reviewed already.
pub async fn review(
    tx: &Tx<'_>,
    id: Uuid,
    by: UserId,
    finding: Finding,
    note: Option<&str>,
) -> Result<bool, StoreError> {
    let row = id.to_string();
    let note = Encrypted::<String>::seal_opt(
        tx.cipher(),
        aad("review_note", &row),
        note.map(str::to_string).as_ref(),
    )?;
    Ok(emergency_access::Entity::update_many()
        .col_expr(
            emergency_access::Column::ReviewedBy,
            Expr::value(Some(by.0)),
        )
        .col_expr(
            emergency_access::Column::ReviewedAt,
            Expr::value(Some(now_utc())),
        )
        .col_expr(
            emergency_access::Column::Finding,
            Expr::value(Some(finding.as_str().to_string())),
        )
        .col_expr(emergency_access::Column::ReviewNote, Expr::value(note))
        .filter(emergency_access::Column::Id.eq(id))
        .filter(emergency_access::Column::ReviewedAt.is_null())
        .exec(tx.conn())
        .await?
        .rows_affected
        == 1)
}
