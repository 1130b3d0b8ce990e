//! Personal API tokens: stored as SHA-256 (the token itself is 256 random bits, so a slow hash adds nothing).

use crate::entity::api_tokens;
use crate::{StoreError, now_utc};
use rapport_domain::UserId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub use api_tokens::Model as ApiToken;

pub async fn insert(
    c: &impl ConnectionTrait,
    user: UserId,
    name: &str,
    token_hash: &str,
    prefix: &str,
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
