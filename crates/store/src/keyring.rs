//! The keyring file: key-encryption keys and the audit chain's keys, kept outside the database.
//!
//! Someone who steals only the database gets ciphertext and an audit chain they cannot re-sign. The file is created
//! with mode 0600 and replaced atomically (write, fsync, rename), so a crash never leaves a half-written keyring.
//! Audit keys are never dropped: each one verifies the part of the chain written while it was current (format 2
//! lists them in the order they were made; a format-1 file's single key is the first, named `audit-1`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

pub type Key = Zeroizing<[u8; 32]>;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "the keyring {0} does not exist; start `rapport serve` once to create it, or restore it from your backup"
    )]
    Missing(PathBuf),
    #[error("cannot read the keyring {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the keyring {0} is damaged or not a Rapport keyring: {1}")]
    Malformed(PathBuf, String),
    #[error("cannot write the keyring {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    keks: Vec<KekFile>,
    active_kek: String,
    /// Format 1: the one audit key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_key: Option<String>,
    /// Format 2: every audit key, oldest first.
    #[serde(default)]
    audit_keys: Vec<KekFile>,
}

/// The id a format-1 keyring's audit key gets: the chain began with it.
pub const FIRST_AUDIT_KEY_ID: &str = "audit-1";

#[derive(Serialize, Deserialize)]
struct KekFile {
    id: String,
    key: String,
}

pub struct Keyring {
    path: PathBuf,
    keks: Vec<(String, Key)>,
    active: String,
    /// Oldest first; the chain's first entries were made with the first.
    audit_keys: Vec<(String, Key)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("path", &self.path)
            .field(
                "keks",
                &self.keks.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("active", &self.active)
            .field(
                "audit_keys",
                &self.audit_keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

pub fn random_key() -> Key {
    let mut k = Zeroizing::new([0u8; 32]);
    rand::fill(&mut k[..]);
    k
}

fn new_id(prefix: &str) -> String {
    let mut b = [0u8; 6];
    rand::fill(&mut b[..]);
    format!("{prefix}-{}", hex::encode(b))
}

fn new_kek_id() -> String {
    new_id("kek")
}

fn decode_key(path: &Path, s: &str) -> Result<Key, KeyringError> {
    let bytes = Zeroizing::new(
        B64.decode(s)
            .map_err(|e| KeyringError::Malformed(path.into(), e.to_string()))?,
    );
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyringError::Malformed(path.into(), "a key is not 32 bytes".into()))?;
    Ok(Zeroizing::new(arr))
}

impl Keyring {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a new keyring at `path`; fails if a file is already there (never overwrite keys).
    pub fn create(path: &Path) -> Result<Self, KeyringError> {
        let id = new_kek_id();
        let ring = Keyring {
            path: path.to_path_buf(),
            keks: vec![(id.clone(), random_key())],
            active: id,
            audit_keys: vec![(new_id("audit"), random_key())],
        };
        ring.write(true)?;
        Ok(ring)
    }

    pub fn load(path: &Path) -> Result<Self, KeyringError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => Zeroizing::new(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyringError::Missing(path.into()));
            }
            Err(source) => {
                return Err(KeyringError::Unreadable {
                    path: path.into(),
                    source,
                });
            }
        };
        let file: File = serde_json::from_str(&text)
            .map_err(|e| KeyringError::Malformed(path.into(), e.to_string()))?;
        if file.format != 1 && file.format != 2 {
            return Err(KeyringError::Malformed(
                path.into(),
                format!("unknown format {}", file.format),
            ));
        }
        let mut keks = Vec::new();
        for k in &file.keks {
            keks.push((k.id.clone(), decode_key(path, &k.key)?));
        }
        if !keks.iter().any(|(id, _)| *id == file.active_kek) {
            return Err(KeyringError::Malformed(
                path.into(),
                "the active key is missing".into(),
            ));
        }
        let mut audit_keys = Vec::new();
        if let Some(k) = &file.audit_key {
            audit_keys.push((FIRST_AUDIT_KEY_ID.to_string(), decode_key(path, k)?));
        }
        for k in &file.audit_keys {
            if k.id.contains(':') || audit_keys.iter().any(|(id, _)| *id == k.id) {
                return Err(KeyringError::Malformed(
                    path.into(),
                    format!("the audit key id '{}' is repeated or has a colon", k.id),
                ));
            }
            audit_keys.push((k.id.clone(), decode_key(path, &k.key)?));
        }
        if audit_keys.is_empty() {
            return Err(KeyringError::Malformed(
                path.into(),
                "the audit key is missing".into(),
            ));
        }
        Ok(Keyring {
            path: path.into(),
            keks,
            active: file.active_kek,
            audit_keys,
        })
    }

    /// Every audit key, oldest first (never empty).
    pub fn audit_keys(&self) -> &[(String, Key)] {
        &self.audit_keys
    }

    /// Adds a fresh audit key (the chain hands over to it with a rotation entry); the old ones stay, because they
    /// verify what they signed.
    pub fn add_audit_key(&mut self) -> Result<(String, Key), KeyringError> {
        let id = new_id("audit");
        let key = random_key();
        self.audit_keys.push((id.clone(), key.clone()));
        if let Err(e) = self.write(false) {
            self.audit_keys.pop();
            return Err(e);
        }
        Ok((id, key))
    }

    pub fn active_kek(&self) -> (&str, &[u8; 32]) {
        let (id, k) = self
            .keks
            .iter()
            .find(|(id, _)| *id == self.active)
            .unwrap_or(&self.keks[0]);
        (id, k)
    }

    pub fn kek(&self, id: &str) -> Option<&[u8; 32]> {
        self.keks.iter().find(|(k, _)| k == id).map(|(_, k)| &**k)
    }

    /// Adds a fresh key-encryption key and makes it active; the old ones stay until `retire_others`.
    pub fn add_kek(&mut self) -> Result<String, KeyringError> {
        let id = new_kek_id();
        self.keks.push((id.clone(), random_key()));
        self.active = id.clone();
        self.write(false)?;
        Ok(id)
    }

    /// Drops every key-encryption key but the active one (after all data keys were re-wrapped).
    pub fn retire_others(&mut self) -> Result<(), KeyringError> {
        let active = self.active.clone();
        self.keks.retain(|(id, _)| *id == active);
        self.write(false)
    }

    fn write(&self, create_new: bool) -> Result<(), KeyringError> {
        let file = File {
            format: 2,
            keks: self
                .keks
                .iter()
                .map(|(id, k)| KekFile {
                    id: id.clone(),
                    key: B64.encode(&k[..]),
                })
                .collect(),
            active_kek: self.active.clone(),
            audit_key: None,
            audit_keys: self
                .audit_keys
                .iter()
                .map(|(id, k)| KekFile {
                    id: id.clone(),
                    key: B64.encode(&k[..]),
                })
                .collect(),
        };
        let err = |source| KeyringError::Write {
            path: self.path.clone(),
            source,
        };
        let text = Zeroizing::new(
            serde_json::to_string_pretty(&file).map_err(|e| err(std::io::Error::other(e)))?,
        );
        if create_new && self.path.exists() {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "refusing to overwrite keys",
            )));
        }
        let tmp = self.path.with_extension("tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(err)?;
        if let Some(dir) = self.path.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}
