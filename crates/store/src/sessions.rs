//! Server-side sessions. The cookie holds a random token; the table holds its SHA-256, so a database leak yields
//! no usable session.

use crate::entity::sessions;
use crate::{StoreError, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::UserId;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub use sessions::Model as Session;

pub async fn create(
    c: &impl ConnectionTrait,
    id_hash: &str,
    user: UserId,
    mfa_passed: bool,
    csrf_token: &str,
) -> Result<(), StoreError> {
    let now = now_utc();
    sessions::ActiveModel {
        id_hash: Set(id_hash.to_string()),
        user_id: Set(user.0),
        created_at: Set(now),
        last_seen_at: Set(now),
        mfa_passed: Set(mfa_passed),
        csrf_token: Set(csrf_token.to_string()),
        reauth_at: Set(None),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn get(c: &impl ConnectionTrait, id_hash: &str) -> Result<Option<Session>, StoreError> {
    Ok(sessions::Entity::find_by_id(id_hash.to_string())
        .one(c)
        .await?)
}

pub async fn touch(
    c: &impl ConnectionTrait,
    id_hash: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sessions::Entity::update_many()
        .col_expr(
            sessions::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(at),
        )
        .filter(sessions::Column::IdHash.eq(id_hash))
        .exec(c)
        .await?;
    Ok(())
}

pub async fn mark_mfa_passed(c: &impl ConnectionTrait, id_hash: &str) -> Result<(), StoreError> {
    sessions::ActiveModel {
        id_hash: Set(id_hash.to_string()),
        mfa_passed: Set(true),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}

pub async fn mark_reauthenticated(
    c: &impl ConnectionTrait,
    id_hash: &str,
) -> Result<(), StoreError> {
    sessions::ActiveModel {
        id_hash: Set(id_hash.to_string()),
        reauth_at: Set(Some(now_utc())),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}

pub async fn delete(c: &impl ConnectionTrait, id_hash: &str) -> Result<(), StoreError> {
    sessions::Entity::delete_by_id(id_hash.to_string())
        .exec(c)
        .await?;
    Ok(())
}

/// Ends every session of a user (password reset, account disabled), optionally keeping one.
pub async fn delete_for_user(
    c: &impl ConnectionTrait,
    user: UserId,
    keep: Option<&str>,
) -> Result<(), StoreError> {
    let mut q = sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user.0));
    if let Some(k) = keep {
        q = q.filter(sessions::Column::IdHash.ne(k));
    }
    q.exec(c).await?;
    Ok(())
}

/// Removes sessions past their idle or absolute limit.
pub async fn delete_expired(
    c: &impl ConnectionTrait,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let r = sessions::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(sessions::Column::LastSeenAt.lt(idle_before))
                .add(sessions::Column::CreatedAt.lt(created_before)),
        )
        .exec(c)
        .await?;
    Ok(r.rows_affected)
}
