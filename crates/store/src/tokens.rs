//! Personal API tokens: stored as SHA-256 (the token itself is 256 random bits, so a slow hash adds nothing).

use crate::entity::api_tokens;
use crate::{StoreError, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub use api_tokens::Model as ApiToken;

/// How long a token lives when its maker does not say, and at most.
pub const DEFAULT_LIFETIME_DAYS: i64 = 90;
pub const MAX_LIFETIME_DAYS: i64 = 365;

/// When a token stops working (tokens made before expiry existed: 90 days after creation).
pub fn expires_at(t: &ApiToken) -> DateTime<Utc> {
    t.expires_at
        .unwrap_or(t.created_at + chrono::Duration::days(DEFAULT_LIFETIME_DAYS))
}

pub async fn insert(
    c: &impl ConnectionTrait,
    user: UserId,
    name: &str,
    token_hash: &str,
    prefix: &str,
    expires_at: DateTime<Utc>,
) -> Result<ApiToken, StoreError> {
    Ok(api_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.0),
        name: Set(name.to_string()),
        token_hash: Set(token_hash.to_string()),
        prefix: Set(prefix.to_string()),
        created_at: Set(now_utc()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        expires_at: Set(Some(expires_at)),
    }
    .insert(c)
    .await?)
}

/// A live (not revoked) token by its hash.
pub async fn by_hash(
    c: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<ApiToken>, StoreError> {
    Ok(api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(token_hash))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(c)
        .await?)
}

pub async fn by_id(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<ApiToken>, StoreError> {
    Ok(api_tokens::Entity::find_by_id(id).one(c).await?)
}

pub async fn list_for_user(
    c: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<ApiToken>, StoreError> {
    Ok(api_tokens::Entity::find()
        .filter(api_tokens::Column::UserId.eq(user.0))
        .order_by_desc(api_tokens::Column::CreatedAt)
        .all(c)
        .await?)
}

pub async fn revoke(c: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    api_tokens::ActiveModel {
        id: Set(id),
        revoked_at: Set(Some(now_utc())),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}

/// Revokes every live token of an account (its password was changed or reset, or it was disabled).
pub async fn revoke_all_for_user(
    c: &impl ConnectionTrait,
    user: UserId,
) -> Result<u64, StoreError> {
    Ok(api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(Some(now_utc())))
        .filter(api_tokens::Column::UserId.eq(user.0))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(c)
        .await?
        .rows_affected)
}

pub async fn touch(c: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    api_tokens::ActiveModel {
        id: Set(id),
        last_used_at: Set(Some(now_utc())),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}
