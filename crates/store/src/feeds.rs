//! Calendar feed tokens: one live token per clinician; only its SHA-256 is stored.

use crate::entity::calendar_feeds;
use crate::{StoreError, now_utc};
use rapport_domain::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub use calendar_feeds::Model as Feed;

/// Revokes any live feed of the clinician and stores a new one.
pub async fn replace(
    c: &impl ConnectionTrait,
    clinician: UserId,
    token_hash: &str,
    show: &str,
) -> Result<Feed, StoreError> {
    revoke_all(c, clinician).await?;
    Ok(calendar_feeds::ActiveModel {
        id: Set(Uuid::now_v7()),
        clinician_id: Set(clinician.0),
        token_hash: Set(token_hash.into()),
        show: Set(show.into()),
        created_at: Set(now_utc()),
        revoked_at: Set(None),
    }
    .insert(c)
    .await?)
}

pub async fn revoke_all(c: &impl ConnectionTrait, clinician: UserId) -> Result<u64, StoreError> {
    Ok(calendar_feeds::Entity::update_many()
        .col_expr(
            calendar_feeds::Column::RevokedAt,
            Expr::value(Some(now_utc())),
        )
        .filter(calendar_feeds::Column::ClinicianId.eq(clinician.0))
        .filter(calendar_feeds::Column::RevokedAt.is_null())
        .exec(c)
        .await?
        .rows_affected)
}

pub async fn by_hash(
    c: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<Feed>, StoreError> {
    Ok(calendar_feeds::Entity::find()
        .filter(calendar_feeds::Column::TokenHash.eq(token_hash))
        .filter(calendar_feeds::Column::RevokedAt.is_null())
        .one(c)
        .await?)
}

/// The clinician's live feed, if any (its token is not stored, only when and how it was made).
pub async fn live_for(
    c: &impl ConnectionTrait,
    clinician: UserId,
) -> Result<Option<Feed>, StoreError> {
    Ok(calendar_feeds::Entity::find()
        .filter(calendar_feeds::Column::ClinicianId.eq(clinician.0))
        .filter(calendar_feeds::Column::RevokedAt.is_null())
        .one(c)
        .await?)
}
