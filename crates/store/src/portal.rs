//! The client portal's tables: accounts, grants, one-time invitations and sessions. Tokens and session ids are
//! stored as SHA-256 hashes only, as for staff.

use crate::entity::{portal_accounts, portal_grants, portal_invitations, portal_sessions};
use crate::{StoreError, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::portal::Capacity;
use rapport_domain::{ClientId, PortalAccountId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

pub use portal_accounts::Model as Account;
pub use portal_sessions::Model as Session;

/// A grant as the use cases need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: Uuid,
    pub account_id: PortalAccountId,
    pub client_id: ClientId,
    pub capacity: Capacity,
    pub granted_by: UserId,
    pub granted_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn grant(m: portal_grants::Model) -> Result<Grant, StoreError> {
    Ok(Grant {
        capacity: Capacity::parse(&m.capacity)
            .map_err(|_| StoreError::Integrity(format!("portal grant {}: bad capacity", m.id)))?,
        id: m.id,
        account_id: PortalAccountId(m.account_id),
        client_id: ClientId(m.client_id),
        granted_by: UserId(m.granted_by),
        granted_at: m.granted_at,
        revoked_at: m.revoked_at,
    })
}

pub async fn account(
    c: &impl ConnectionTrait,
    id: PortalAccountId,
) -> Result<Option<Account>, StoreError> {
    Ok(portal_accounts::Entity::find_by_id(id.0).one(c).await?)
}

/// By e-mail address, compared as stored: callers normalise it (`validate::Email`) first.
pub async fn account_by_email(
    c: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Account>, StoreError> {
    Ok(portal_accounts::Entity::find()
        .filter(portal_accounts::Column::Email.eq(email))
        .one(c)
        .await?)
}

/// A new account without a password: it becomes usable when its invitation is accepted.
pub async fn create_account(
    c: &impl ConnectionTrait,
    email: &str,
    display_name: &str,
) -> Result<Account, StoreError> {
    Ok(portal_accounts::ActiveModel {
        id: Set(PortalAccountId::new().0),
        email: Set(email.to_string()),
        display_name: Set(display_name.to_string()),
        password_hash: Set(None),
        disabled: Set(false),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now_utc()),
        activated_at: Set(None),
    }
    .insert(c)
    .await?)
}

/// Sets the password and clears any lock; `activated_at` is stamped the first time.
pub async fn set_password(
    c: &impl ConnectionTrait,
    account: &Account,
    hash: &str,
) -> Result<(), StoreError> {
    let activated = account.activated_at.unwrap_or_else(now_utc);
    portal_accounts::Entity::update_many()
        .col_expr(
            portal_accounts::Column::PasswordHash,
            Expr::value(Some(hash.to_string())),
        )
        .col_expr(portal_accounts::Column::FailedLogins, Expr::value(0))
        .col_expr(
            portal_accounts::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            portal_accounts::Column::ActivatedAt,
            Expr::value(Some(activated)),
        )
        .filter(portal_accounts::Column::Id.eq(account.id))
        .exec(c)
        .await?;
    Ok(())
}

/// Adds one failed sign-in to the account's count, in the database (guesses sent in parallel each count), and
/// returns the new count.
pub async fn count_failure(
    c: &impl ConnectionTrait,
    id: PortalAccountId,
) -> Result<i32, StoreError> {
    portal_accounts::Entity::update_many()
        .col_expr(
            portal_accounts::Column::FailedLogins,
            Expr::col(portal_accounts::Column::FailedLogins).add(1),
        )
        .filter(portal_accounts::Column::Id.eq(id.0))
        .exec(c)
        .await?;
    let count: Option<i32> = portal_accounts::Entity::find_by_id(id.0)
        .select_only()
        .column(portal_accounts::Column::FailedLogins)
        .into_tuple()
        .one(c)
        .await?;
    Ok(count.unwrap_or(0))
}

/// Records sign-in failures (and the lock they lead to), or clears them after a success.
pub async fn set_failures(
    c: &impl ConnectionTrait,
    id: PortalAccountId,
    failures: i32,
    locked_until: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    portal_accounts::Entity::update_many()
        .col_expr(portal_accounts::Column::FailedLogins, Expr::value(failures))
        .col_expr(
            portal_accounts::Column::LockedUntil,
            Expr::value(locked_until),
        )
        .filter(portal_accounts::Column::Id.eq(id.0))
        .exec(c)
        .await?;
    Ok(())
}

/// Gives (or gives back) an account access to a client: one row per pair, so a revoked grant is revived in place
/// with the new capacity, giver and date.
pub async fn grant_access(
    c: &impl ConnectionTrait,
    account: PortalAccountId,
    client: ClientId,
    capacity: Capacity,
    by: UserId,
) -> Result<Grant, StoreError> {
    let existing = portal_grants::Entity::find()
        .filter(portal_grants::Column::AccountId.eq(account.0))
        .filter(portal_grants::Column::ClientId.eq(client.0))
        .one(c)
        .await?;
    let row = match existing {
        Some(g) => {
            let mut a: portal_grants::ActiveModel = g.into();
            a.capacity = Set(capacity.as_str().into());
            a.granted_by = Set(by.0);
            a.granted_at = Set(now_utc());
            a.revoked_at = Set(None);
            a.revoked_by = Set(None);
            a.update(c).await?
        }
        None => {
            portal_grants::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: Set(account.0),
                client_id: Set(client.0),
                capacity: Set(capacity.as_str().into()),
                granted_by: Set(by.0),
                granted_at: Set(now_utc()),
                revoked_at: Set(None),
                revoked_by: Set(None),
            }
            .insert(c)
            .await?
        }
    };
    grant(row)
}

/// Revokes one grant of this client; false if there is no such unrevoked grant.
pub async fn revoke(
    c: &impl ConnectionTrait,
    client: ClientId,
    grant_id: Uuid,
    by: UserId,
) -> Result<bool, StoreError> {
    let r = portal_grants::Entity::update_many()
        .col_expr(
            portal_grants::Column::RevokedAt,
            Expr::value(Some(now_utc())),
        )
        .col_expr(portal_grants::Column::RevokedBy, Expr::value(Some(by.0)))
        .filter(portal_grants::Column::Id.eq(grant_id))
        .filter(portal_grants::Column::ClientId.eq(client.0))
        .filter(portal_grants::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(r.rows_affected == 1)
}

/// The unrevoked grant of this account for this client, if any.
pub async fn grant_for(
    c: &impl ConnectionTrait,
    account: PortalAccountId,
    client: ClientId,
) -> Result<Option<Grant>, StoreError> {
    portal_grants::Entity::find()
        .filter(portal_grants::Column::AccountId.eq(account.0))
        .filter(portal_grants::Column::ClientId.eq(client.0))
        .filter(portal_grants::Column::RevokedAt.is_null())
        .one(c)
        .await?
        .map(grant)
        .transpose()
}

/// The account's unrevoked grants, oldest first.
pub async fn grants_of_account(
    c: &impl ConnectionTrait,
    account: PortalAccountId,
) -> Result<Vec<Grant>, StoreError> {
    portal_grants::Entity::find()
        .filter(portal_grants::Column::AccountId.eq(account.0))
        .filter(portal_grants::Column::RevokedAt.is_null())
        .order_by_asc(portal_grants::Column::GrantedAt)
        .all(c)
        .await?
        .into_iter()
        .map(grant)
        .collect()
}

/// Every grant of a client, revoked ones included, with its account; oldest first.
pub async fn grants_of_client(
    c: &impl ConnectionTrait,
    client: ClientId,
) -> Result<Vec<(Grant, Account)>, StoreError> {
    let rows = portal_grants::Entity::find()
        .filter(portal_grants::Column::ClientId.eq(client.0))
        .order_by_asc(portal_grants::Column::GrantedAt)
        .all(c)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for g in rows {
        let a = account(c, PortalAccountId(g.account_id))
            .await?
            .ok_or_else(|| StoreError::Integrity(format!("portal grant {}: no account", g.id)))?;
        out.push((grant(g)?, a));
    }
    Ok(out)
}

pub async fn create_invitation(
    c: &impl ConnectionTrait,
    account: PortalAccountId,
    token_hash: &str,
    by: UserId,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    portal_invitations::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account.0),
        token_hash: Set(token_hash.to_string()),
        created_by: Set(by.0),
        created_at: Set(now_utc()),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// The invitation with this token hash while it is unused and unexpired.
pub async fn live_invitation(
    c: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<portal_invitations::Model>, StoreError> {
    Ok(portal_invitations::Entity::find()
        .filter(portal_invitations::Column::TokenHash.eq(token_hash))
        .filter(portal_invitations::Column::UsedAt.is_null())
        .filter(portal_invitations::Column::ExpiresAt.gt(now_utc()))
        .one(c)
        .await?)
}

/// Marks the invitation used; false if it was used in the meantime (two tabs racing).
pub async fn consume_invitation(c: &impl ConnectionTrait, id: Uuid) -> Result<bool, StoreError> {
    Ok(portal_invitations::Entity::update_many()
        .col_expr(
            portal_invitations::Column::UsedAt,
            Expr::value(Some(now_utc())),
        )
        .filter(portal_invitations::Column::Id.eq(id))
        .filter(portal_invitations::Column::UsedAt.is_null())
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

pub async fn create_session(
    c: &impl ConnectionTrait,
    id_hash: &str,
    account: PortalAccountId,
    csrf_token: &str,
) -> Result<(), StoreError> {
    let now = now_utc();
    portal_sessions::ActiveModel {
        id_hash: Set(id_hash.to_string()),
        account_id: Set(account.0),
        created_at: Set(now),
        last_seen_at: Set(now),
        csrf_token: Set(csrf_token.to_string()),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn session(
    c: &impl ConnectionTrait,
    id_hash: &str,
) -> Result<Option<Session>, StoreError> {
    Ok(portal_sessions::Entity::find_by_id(id_hash.to_string())
        .one(c)
        .await?)
}

pub async fn touch_session(
    c: &impl ConnectionTrait,
    id_hash: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    portal_sessions::Entity::update_many()
        .col_expr(portal_sessions::Column::LastSeenAt, Expr::value(at))
        .filter(portal_sessions::Column::IdHash.eq(id_hash))
        .exec(c)
        .await?;
    Ok(())
}

pub async fn delete_session(c: &impl ConnectionTrait, id_hash: &str) -> Result<(), StoreError> {
    portal_sessions::Entity::delete_by_id(id_hash.to_string())
        .exec(c)
        .await?;
    Ok(())
}

/// Ends every session of an account (a new password was set).
pub async fn delete_sessions_of(
    c: &impl ConnectionTrait,
    account: PortalAccountId,
) -> Result<(), StoreError> {
    portal_sessions::Entity::delete_many()
        .filter(portal_sessions::Column::AccountId.eq(account.0))
        .exec(c)
        .await?;
    Ok(())
}
