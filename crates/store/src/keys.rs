//! Data keys in the database, wrapped by the keyring's key-encryption keys; loading and rotation.

use crate::crypto::{Cipher, open_with, seal_with};
use crate::entity::data_keys;
use crate::keyring::{Key, Keyring, random_key};
use crate::{StoreError, now_utc};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, Set, TransactionTrait,
};
use zeroize::Zeroizing;

fn aad(id: i32) -> Vec<u8> {
    format!("rapport:data-key:{id}").into_bytes()
}

fn unwrap_key(keyring: &Keyring, row: &data_keys::Model) -> Result<Key, StoreError> {
    let kek = keyring.kek(&row.kek_id).ok_or_else(|| {
        StoreError::Integrity(format!(
            "data key {} is wrapped by key '{}', which the keyring {} does not hold; is this the keyring that belongs to this database?",
            row.id,
            row.kek_id,
            keyring.path().display()
        ))
    })?;
    let raw = Zeroizing::new(open_with(kek, &aad(row.id), &row.wrapped).map_err(|_| {
        StoreError::Integrity(format!(
            "data key {} does not unwrap with the keyring (wrong or damaged keyring)",
            row.id
        ))
    })?);
    let arr: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Integrity(format!("data key {} has the wrong length", row.id)))?;
    Ok(Zeroizing::new(arr))
}

async fn insert_new(
    db: &impl sea_orm::ConnectionTrait,
    keyring: &Keyring,
    id: i32,
) -> Result<Key, StoreError> {
    let key = random_key();
    let (kek_id, kek) = keyring.active_kek();
    data_keys::ActiveModel {
        id: Set(id),
        kek_id: Set(kek_id.to_string()),
        wrapped: Set(seal_with(kek, &aad(id), &key[..])?),
        created_at: Set(now_utc()),
    }
    .insert(db)
    .await?;
    Ok(key)
}

pub(crate) async fn load_or_create(
    db: &DatabaseConnection,
    keyring: &Keyring,
) -> Result<Cipher, StoreError> {
    let rows = data_keys::Entity::find()
        .order_by_asc(data_keys::Column::Id)
        .all(db)
        .await?;
    let mut keys = Vec::with_capacity(rows.len().max(1));
    for row in &rows {
        keys.push((row.id as u32, unwrap_key(keyring, row)?));
    }
    if keys.is_empty() {
        keys.push((1, insert_new(db, keyring, 1).await?));
    }
    Cipher::new(keys).ok_or_else(|| StoreError::Integrity("no data key".into()))
}

#[derive(Debug, Clone)]
pub struct Rotation {
    pub new_kek_id: String,
    pub new_data_key_id: i32,
    pub rewrapped: usize,
    /// The audit key the chain continues with (set by `Store::rotate_keys`).
    pub new_audit_key_id: String,
}

pub(crate) async fn rotate(
    db: &DatabaseConnection,
    keyring: &mut Keyring,
) -> Result<Rotation, StoreError> {
    // 1. The keyring gains the new key-encryption key first (old ones kept), so a crash at any later step leaves
    //    every data key unwrappable.
    let rows = data_keys::Entity::find()
        .order_by_asc(data_keys::Column::Id)
        .all(db)
        .await?;
    let mut plain = Vec::new();
    for row in &rows {
        plain.push((row.id, unwrap_key(keyring, row)?));
    }
    let new_kek_id = keyring.add_kek()?;
    // 2. Re-wrap all data keys and add a fresh one for new writes, in one transaction.
    let txn = db.begin().await?;
    let (kek_id, kek) = keyring.active_kek();
    for (id, key) in &plain {
        data_keys::ActiveModel {
            id: Set(*id),
            kek_id: Set(kek_id.to_string()),
            wrapped: Set(seal_with(kek, &aad(*id), &key[..])?),
            created_at: sea_orm::ActiveValue::NotSet,
        }
        .update(&txn)
        .await?;
    }
    let new_id = plain.iter().map(|(id, _)| *id).max().unwrap_or(0) + 1;
    insert_new(&txn, keyring, new_id).await?;
    txn.commit().await?;
    // 3. Only now forget the old key-encryption keys.
    keyring.retire_others()?;
    Ok(Rotation {
        new_kek_id,
        new_data_key_id: new_id,
        rewrapped: plain.len(),
        new_audit_key_id: String::new(),
    })
}
