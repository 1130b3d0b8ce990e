//! The keyring file: key-encryption keys and the audit-chain key, kept outside the database.
//!
//! Someone who steals only the database gets ciphertext and an audit chain they cannot re-sign. The file is created
//! with mode 0600 and replaced atomically (write, fsync, rename), so a crash never leaves a half-written keyring.

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
    audit_key: String,
}

#[derive(Serialize, Deserialize)]
struct KekFile {
    id: String,
    key: String,
}

pub struct Keyring {
    path: PathBuf,
    keks: Vec<(String, Key)>,
    active: String,
    audit_key: Key,
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
            .finish_non_exhaustive()
    }
}

pub fn random_key() -> Key {
    let mut k = Zeroizing::new([0u8; 32]);
    rand::fill(&mut k[..]);
    k
}

fn new_kek_id() -> String {
    let mut b = [0u8; 6];
    rand::fill(&mut b[..]);
    format!("kek-{}", hex::encode(b))
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
            audit_key: random_key(),
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
        if file.format != 1 {
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
        Ok(Keyring {
            path: path.into(),
            keks,
            active: file.active_kek,
            audit_key: decode_key(path, &file.audit_key)?,
        })
    }

    pub fn audit_key(&self) -> &[u8; 32] {
        &self.audit_key
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
            format: 1,
            keks: self
                .keks
                .iter()
                .map(|(id, k)| KekFile {
                    id: id.clone(),
                    key: B64.encode(&k[..]),
                })
                .collect(),
            active_kek: self.active.clone(),
            audit_key: B64.encode(&self.audit_key[..]),
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
