//! One-time booking links: created for a client, found by token hash while unexpired and unused, used once.

use crate::entity::booking_links;
use crate::{StoreError, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::ClientId;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub use booking_links::Model as BookingLink;

pub async fn create(
    c: &impl ConnectionTrait,
    client: ClientId,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    booking_links::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client.0),
        token_hash: Set(token_hash.into()),
        created_at: Set(now_utc()),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// A link that can still be used.
pub async fn live(
    c: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<BookingLink>, StoreError> {
    Ok(booking_links::Entity::find()
        .filter(booking_links::Column::TokenHash.eq(token_hash))
        .filter(booking_links::Column::UsedAt.is_null())
        .filter(booking_links::Column::ExpiresAt.gt(now_utc()))
        .one(c)
        .await?)
}

/// Marks the link used; false if it was used (or expired) in the meantime.
pub async fn consume(c: &impl ConnectionTrait, id: Uuid) -> Result<bool, StoreError> {
    Ok(booking_links::Entity::update_many()
        .col_expr(booking_links::Column::UsedAt, Expr::value(Some(now_utc())))
        .filter(booking_links::Column::Id.eq(id))
        .filter(booking_links::Column::UsedAt.is_null())
        .exec(c)
        .await?
        .rows_affected
        == 1)
}
