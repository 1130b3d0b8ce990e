//! Encryption at rest: XChaCha20-Poly1305 with associated data binding each value to its table, column and row.
//!
//! A ciphertext is `version (1) || data-key id (4, big-endian) || nonce (24) || sealed bytes`. Binding the row
//! means a value copied into another client's row fails to decrypt instead of silently showing up there.

use crate::keyring::Key;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::marker::PhantomData;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 24;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("ciphertext is malformed")]
    Malformed,
    #[error("data key {0} is not available; is this the right keyring?")]
    UnknownKey(u32),
    #[error("ciphertext failed authentication (tampered, moved to another row, or wrong key)")]
    Authentication,
    #[error("encoding: {0}")]
    Encoding(String),
}

/// Where a value lives; the cipher refuses to open it anywhere else.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl Aad<'_> {
    fn bytes(&self) -> Vec<u8> {
        format!(
            "rapport:v1\x1f{}\x1f{}\x1f{}",
            self.table, self.column, self.row
        )
        .into_bytes()
    }
}

fn nonce() -> [u8; 24] {
    let mut n = [0u8; 24];
    rand::fill(&mut n[..]);
    n
}

/// Seals with a raw key; used to wrap data keys under a key-encryption key.
pub fn seal_with(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    let n = nonce();
    let sealed = cipher
        .encrypt(
            &XNonce::from(n),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Encoding("encryption failed".into()))?;
    let mut out = Vec::with_capacity(24 + sealed.len());
    out.extend_from_slice(&n);
    out.extend_from_slice(&sealed);
    Ok(out)
}

pub fn open_with(key: &[u8; 32], aad: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if data.len() < 24 {
        return Err(CryptoError::Malformed);
    }
    let (n, sealed) = data.split_at(24);
    let n: [u8; 24] = n.try_into().map_err(|_| CryptoError::Malformed)?;
    XChaCha20Poly1305::new(&(*key).into())
        .decrypt(&XNonce::from(n), Payload { msg: sealed, aad })
        .map_err(|_| CryptoError::Authentication)
}

/// The unwrapped data keys, by id; new values are sealed with the newest.
#[derive(Clone)]
pub struct Cipher {
    keys: HashMap<u32, XChaCha20Poly1305>,
    active: u32,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cipher")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl Cipher {
    pub fn new(keys: Vec<(u32, Key)>) -> Option<Self> {
        let active = keys.iter().map(|(id, _)| *id).max()?;
        let keys = keys
            .into_iter()
            .map(|(id, k)| (id, XChaCha20Poly1305::new(&(*k).into())))
            .collect();
        Some(Cipher { keys, active })
    }

    pub fn active_key_id(&self) -> u32 {
        self.active
    }

    pub fn seal(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let cipher = self
            .keys
            .get(&self.active)
            .ok_or(CryptoError::UnknownKey(self.active))?;
        let n = nonce();
        let sealed = cipher
            .encrypt(
                &XNonce::from(n),
                Payload {
                    msg: plaintext,
                    aad: &aad.bytes(),
                },
            )
            .map_err(|_| CryptoError::Encoding("encryption failed".into()))?;
        let mut out = Vec::with_capacity(HEADER + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&self.active.to_be_bytes());
        out.extend_from_slice(&n);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, aad: Aad<'_>, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < HEADER || data[0] != VERSION {
            return Err(CryptoError::Malformed);
        }
        let key_id = u32::from_be_bytes(data[1..5].try_into().map_err(|_| CryptoError::Malformed)?);
        let n: [u8; 24] = data[5..HEADER]
            .try_into()
            .map_err(|_| CryptoError::Malformed)?;
        let cipher = self
            .keys
            .get(&key_id)
            .ok_or(CryptoError::UnknownKey(key_id))?;
        cipher
            .decrypt(
                &XNonce::from(n),
                Payload {
                    msg: &data[HEADER..],
                    aad: &aad.bytes(),
                },
            )
            .map_err(|_| CryptoError::Authentication)
    }
}

/// A typed codec over `Cipher`: values are JSON-encoded, then sealed.
pub struct Encrypted<T>(PhantomData<T>);

impl<T: Serialize + DeserializeOwned> Encrypted<T> {
    pub fn seal(cipher: &Cipher, aad: Aad<'_>, value: &T) -> Result<Vec<u8>, CryptoError> {
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(value).map_err(|e| CryptoError::Encoding(e.to_string()))?,
        );
        cipher.seal(aad, &json)
    }

    pub fn open(cipher: &Cipher, aad: Aad<'_>, data: &[u8]) -> Result<T, CryptoError> {
        let json = zeroize::Zeroizing::new(cipher.open(aad, data)?);
        serde_json::from_slice(&json).map_err(|e| CryptoError::Encoding(e.to_string()))
    }

    pub fn seal_opt(
        cipher: &Cipher,
        aad: Aad<'_>,
        value: Option<&T>,
    ) -> Result<Option<Vec<u8>>, CryptoError> {
        value.map(|v| Self::seal(cipher, aad, v)).transpose()
    }

    pub fn open_opt(
        cipher: &Cipher,
        aad: Aad<'_>,
        data: Option<&[u8]>,
    ) -> Result<Option<T>, CryptoError> {
        data.map(|d| Self::open(cipher, aad, d)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::random_key;

    fn cipher() -> Cipher {
        Cipher::new(vec![(1, random_key())]).unwrap_or_else(|| unreachable!())
    }

    const HERE: Aad<'static> = Aad {
        table: "clients",
        column: "clinical_notes",
        row: "a",
    };

    #[test]
    fn round_trips_and_hides_plaintext() {
        let c = cipher();
        let sealed = Encrypted::<String>::seal(&c, HERE, &"marker-xyz".to_string()).ok();
        let sealed = sealed.unwrap_or_default();
        assert!(!sealed.windows(10).any(|w| w == b"marker-xyz"));
        assert_eq!(
            Encrypted::<String>::open(&c, HERE, &sealed).ok().as_deref(),
            Some("marker-xyz")
        );
    }

    #[test]
    fn a_value_moved_to_another_row_does_not_open() {
        let c = cipher();
        let sealed = c.seal(HERE, b"secret").unwrap_or_default();
        let elsewhere = Aad { row: "b", ..HERE };
        assert!(matches!(
            c.open(elsewhere, &sealed),
            Err(CryptoError::Authentication)
        ));
    }

    #[test]
    fn tampering_is_detected() {
        let c = cipher();
        let mut sealed = c.seal(HERE, b"secret").unwrap_or_default();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(c.open(HERE, &sealed).is_err());
        assert!(c.open(HERE, &sealed[..10]).is_err());
    }

    #[test]
    fn older_keys_still_open_after_a_new_key_is_added() {
        let k1 = random_key();
        let old = Cipher::new(vec![(1, k1.clone())]).unwrap_or_else(|| unreachable!());
        let sealed = old.seal(HERE, b"from before").unwrap_or_default();
        let new = Cipher::new(vec![(1, k1), (2, random_key())]).unwrap_or_else(|| unreachable!());
        assert_eq!(new.active_key_id(), 2);
        assert_eq!(
            new.open(HERE, &sealed).ok().as_deref(),
            Some(&b"from before"[..])
        );
    }
}
