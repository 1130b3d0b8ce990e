//! The audit chain's keys, one per epoch, and which one seals the head.
//!
//! `rapport keys rotate` hands the chain to a new key with an entry (`audit.key_rotate`, naming the new key) made
//! with the old one; every entry after it is made with the new key. The head's seal names the key that made it
//! (`<key id>:<hmac>`), so a writer knows which key continues the chain, and a process started before a rotation
//! refuses to write with a key that is no longer current instead of breaking the chain. Old keys are kept to verify
//! their epochs and never write again.

use crate::StoreError;
use crate::keyring::{Key, Keyring};
use std::sync::RwLock;

/// The action of the entry that hands the chain to a new key; its `resource_id` is the new key's id.
pub const ROTATE_ACTION: &str = "audit.key_rotate";
pub const ROTATE_RESOURCE: &str = "audit_key";

/// Every audit key this process holds, oldest first.
pub struct AuditKeys {
    keys: RwLock<Vec<(String, Key)>>,
}

impl std::fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKeys").finish_non_exhaustive()
    }
}

impl AuditKeys {
    pub fn from_keyring(keyring: &Keyring) -> Self {
        AuditKeys {
            keys: RwLock::new(keyring.audit_keys().to_vec()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<(String, Key)>> {
        // A panic while holding the lock cannot leave the list half-changed (a push is the only write).
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The key the chain began with.
    pub(crate) fn first(&self) -> Result<(String, Key), StoreError> {
        self.read()
            .first()
            .cloned()
            .ok_or_else(|| StoreError::Integrity("the keyring holds no audit key".into()))
    }

    pub(crate) fn get(&self, id: &str) -> Option<Key> {
        self.read()
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, k)| k.clone())
    }

    /// Learns a key added to the keyring by this process's rotation.
    pub(crate) fn add(&self, id: String, key: Key) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if !keys.iter().any(|(k, _)| *k == id) {
            keys.push((id, key));
        }
    }

    /// The key that continues the chain whose head carries `seal`: the one the seal names (a seal from before
    /// rotation existed names none, and was made with the first key).
    pub(crate) fn current(&self, seal: Option<&str>) -> Result<(String, Key), StoreError> {
        match seal.and_then(seal_key_id) {
            None => self.first(),
            Some(id) => self.get(id).map(|k| (id.to_string(), k)).ok_or_else(|| {
                StoreError::Integrity(format!(
                    "the audit chain is now kept with audit key '{id}', which this process does not hold: the keys were rotated since it started (restart Rapport so that it reads the keyring again)"
                ))
            }),
        }
    }
}

/// The key id a head's seal names, if it names one.
pub(crate) fn seal_key_id(seal: &str) -> Option<&str> {
    seal.split_once(':').map(|(id, _)| id)
}

/// A seal as stored: the key's id, then the HMAC.
pub(crate) fn labelled_seal(id: &str, mac: &str) -> String {
    format!("{id}:{mac}")
}

/// Whether `seal` is `mac` made with the key `id` (a seal without an id counts as made with the first key).
pub(crate) fn seal_matches(seal: &str, id: &str, first_id: &str, mac: &str) -> bool {
    match seal.split_once(':') {
        Some((sid, smac)) => sid == id && smac == mac,
        None => id == first_id && seal == mac,
    }
}

/// Adds a new audit key to the keyring and hands the chain to it, in that order: a crash between the two leaves
/// an unused key in the keyring and the chain on the old one, both harmless. Returns the new key's id.
pub(crate) async fn rotate(
    store: &crate::Store,
    keyring: &mut Keyring,
    detail: String,
) -> Result<String, StoreError> {
    let (id, key) = keyring.add_audit_key()?;
    store.audit_keys.add(id.clone(), key);
    let tx = store.begin().await?;
    crate::audit::chain::rotate(tx.conn(), &store.audit_keys, &id, detail).await?;
    tx.commit().await?;
    Ok(id)
}
