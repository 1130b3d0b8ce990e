//! Staff passkeys (WebAuthn credentials) and the state of a ceremony between its two steps.
//!
//! The store does not know WebAuthn: a credential and a ceremony's state arrive as JSON values and are kept
//! sealed (associated data: table, column, row). A ceremony is taken at most once, by a conditional delete, so one
//! challenge answers one registration or one sign-in even when the answer is sent on several connections at once.

use crate::crypto::{Aad, Cipher, Encrypted};
use crate::entity::{passkey_ceremonies, passkeys};
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;
use uuid::Uuid;

pub use passkeys::Model as PasskeyRow;

/// How long a ceremony's challenge may wait for its answer.
pub const CEREMONY_MINUTES: i64 = 5;

fn passkey_aad(row: &str) -> Aad<'_> {
    Aad {
        table: "passkeys",
        column: "passkey",
        row,
    }
}

fn ceremony_aad(row: &str) -> Aad<'_> {
    Aad {
        table: "passkey_ceremonies",
        column: "state",
        row,
    }
}

pub struct NewPasskey<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub passkey: &'a Value,
}

/// Registers a credential; a credential id already registered (to this account or another) is a conflict.
pub async fn insert(tx: &Tx<'_>, p: NewPasskey<'_>) -> Result<(), StoreError> {
    let row = p.id.to_string();
    let sealed = Encrypted::<Value>::seal(tx.cipher(), passkey_aad(&row), p.passkey)?;
    let r = passkeys::ActiveModel {
        id: Set(p.id),
        user_id: Set(p.user.0),
        credential_id: Set(p.credential_id.to_string()),
        name: Set(p.name.to_string()),
        passkey: Set(sealed),
        created_at: Set(now_utc()),
        last_used_at: Set(None),
    }
    .insert(tx.conn())
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                Err(StoreError::Conflict(
                    "this passkey is already registered".into(),
                ))
            } else {
                Err(e)
            }
        }
    }
}

pub async fn list_for_user(
    c: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<PasskeyRow>, StoreError> {
    Ok(passkeys::Entity::find()
        .filter(passkeys::Column::UserId.eq(user.0))
        .order_by_asc(passkeys::Column::CreatedAt)
        .all(c)
        .await?)
}

pub async fn count_for_user(c: &impl ConnectionTrait, user: UserId) -> Result<u64, StoreError> {
    Ok(passkeys::Entity::find()
        .filter(passkeys::Column::UserId.eq(user.0))
        .count(c)
        .await?)
}

/// Whether this credential id is registered to any account.
pub async fn credential_exists(
    c: &impl ConnectionTrait,
    credential_id: &str,
) -> Result<bool, StoreError> {
    Ok(passkeys::Entity::find()
        .filter(passkeys::Column::CredentialId.eq(credential_id))
        .count(c)
        .await?
        > 0)
}

/// The credential kept in a row.
pub fn open(cipher: &Cipher, row: &PasskeyRow) -> Result<Value, StoreError> {
    let id = row.id.to_string();
    Ok(Encrypted::<Value>::open(
        cipher,
        passkey_aad(&id),
        &row.passkey,
    )?)
}

/// Keeps the credential as it is after a sign-in (its counter moved) and when it was used.
pub async fn record_use(tx: &Tx<'_>, id: Uuid, passkey: &Value) -> Result<(), StoreError> {
    let row = id.to_string();
    let sealed = Encrypted::<Value>::seal(tx.cipher(), passkey_aad(&row), passkey)?;
    passkeys::Entity::update_many()
        .col_expr(passkeys::Column::Passkey, Expr::value(sealed))
        .col_expr(passkeys::Column::LastUsedAt, Expr::value(Some(now_utc())))
        .filter(passkeys::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Removes one passkey of this account; false if the account has none with that id.
pub async fn delete(c: &impl ConnectionTrait, user: UserId, id: Uuid) -> Result<bool, StoreError> {
    let r = passkeys::Entity::delete_many()
        .filter(passkeys::Column::Id.eq(id))
        .filter(passkeys::Column::UserId.eq(user.0))
        .exec(c)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Removes every passkey of an account (an administrator's reset of its second factor).
pub async fn delete_all_for_user(
    c: &impl ConnectionTrait,
    user: UserId,
) -> Result<u64, StoreError> {
    Ok(passkeys::Entity::delete_many()
        .filter(passkeys::Column::UserId.eq(user.0))
        .exec(c)
        .await?
        .rows_affected)
}

/// Starts a ceremony bound to `binding` (a session's id hash, or a sign-in handle's hash), replacing any earlier
/// one so bound (its challenge is then void).
pub async fn put_ceremony(
    tx: &Tx<'_>,
    binding: &str,
    kind: &str,
    state: &Value,
) -> Result<(), StoreError> {
    passkey_ceremonies::Entity::delete_by_id(binding.to_string())
        .exec(tx.conn())
        .await?;
    let sealed = Encrypted::<Value>::seal(tx.cipher(), ceremony_aad(binding), state)?;
    passkey_ceremonies::ActiveModel {
        binding: Set(binding.to_string()),
        kind: Set(kind.to_string()),
        state: Set(sealed),
        created_at: Set(now_utc()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// Takes the ceremony bound to `binding`, if of this kind, once: the row is deleted by a conditional delete, and
/// only the caller whose delete removed it gets the state. A ceremony older than `CEREMONY_MINUTES` is dropped, not used.
pub async fn take_ceremony(
    tx: &Tx<'_>,
    binding: &str,
    kind: &str,
) -> Result<Option<Value>, StoreError> {
    let Some(row) = passkey_ceremonies::Entity::find_by_id(binding.to_string())
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let taken = passkey_ceremonies::Entity::delete_many()
        .filter(passkey_ceremonies::Column::Binding.eq(binding))
        .filter(passkey_ceremonies::Column::CreatedAt.eq(row.created_at))
        .exec(tx.conn())
        .await?;
    if taken.rows_affected != 1 || row.kind != kind || expired(row.created_at) {
        return Ok(None);
    }
    Ok(Some(Encrypted::<Value>::open(
        tx.cipher(),
        ceremony_aad(binding),
        &row.state,
    )?))
}

fn expired(created_at: DateTime<Utc>) -> bool {
    now_utc() - created_at > chrono::Duration::minutes(CEREMONY_MINUTES)
}

/// Deletes ceremonies past their time (run with the session sweep).
pub async fn sweep_ceremonies(c: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(passkey_ceremonies::Entity::delete_many()
        .filter(
            passkey_ceremonies::Column::CreatedAt
                .lt(now_utc() - chrono::Duration::minutes(CEREMONY_MINUTES)),
        )
        .exec(c)
        .await?
        .rows_affected)
}
