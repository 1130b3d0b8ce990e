//! Checkpoints of the audit chain, to keep outside the database: a line naming the chain's last entry (sequence
//! number and hash) and when, signed with the audit key.
//!
//! The chain proves on its own that no entry was changed, and the sealed head that none was cut off the end by
//! someone without the key. What neither can prove is that the whole database was not put back to an older,
//! consistent copy (a restored backup hides everything written since). A checkpoint kept elsewhere can: every
//! entry up to its sequence number must still be there, with the hash it had.
//!
//! A line names the audit key that signed it (format v2), so a checkpoint made before a rotation still verifies
//! after it; a v1 line (no key named) was signed with the chain's first key.

use crate::StoreError;
use crate::audit::{self, VerifyReport};
use crate::audit_keys::AuditKeys;
use crate::entity::{audit_head, audit_log};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::Sha256;

const PREFIX_V1: &str = "rapport-audit-checkpoint-v1";
const PREFIX: &str = "rapport-audit-checkpoint-v2";

/// Where the chain stood at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
}

/// The MAC over a line's fields; a v1 line had no key id (`None`).
fn signature(key: &[u8; 32], key_id: Option<&str>, seq: i64, hash: &str, at: i64) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    let (seq, at) = (seq.to_string(), at.to_string());
    let fields: Vec<&str> = match key_id {
        None => vec![PREFIX_V1, &seq, hash, &at],
        Some(id) => vec![PREFIX, id, &seq, hash, &at],
    };
    for f in fields {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

impl Checkpoint {
    /// The line to keep: `rapport-audit-checkpoint-v2:<key id>:<seq>:<hash>:<unix seconds>:<signature>`.
    pub fn to_line(&self, key_id: &str, key: &[u8; 32]) -> String {
        let at = self.at.timestamp();
        format!(
            "{PREFIX}:{key_id}:{}:{}:{at}:{}",
            self.seq,
            self.hash,
            signature(key, Some(key_id), self.seq, &self.hash, at)
        )
    }

    /// Reads a line made by `to_line` with one of these keys (or a v1 line, made with the first); anything else is
    /// an error in plain words.
    pub fn parse(line: &str, keys: &AuditKeys) -> Result<Checkpoint, String> {
        let not_a_line = || "this is not an audit checkpoint line".to_string();
        let parts: Vec<&str> = line.trim().split(':').collect();
        let (key_id, seq, hash, at, sig) = match parts.as_slice() {
            [p, seq, hash, at, sig] if *p == PREFIX_V1 => (None, *seq, *hash, *at, *sig),
            [p, id, seq, hash, at, sig] if *p == PREFIX => (Some(*id), *seq, *hash, *at, *sig),
            _ => return Err(not_a_line()),
        };
        let key = match key_id {
            None => keys.first().map(|(_, k)| k).map_err(|e| e.to_string())?,
            Some(id) => keys.get(id).ok_or_else(|| {
                format!("the checkpoint was signed with audit key '{id}', which this keyring does not hold")
            })?,
        };
        let seq: i64 = seq
            .parse()
            .map_err(|_| "the checkpoint's sequence number is not a number".to_string())?;
        let at: i64 = at
            .parse()
            .map_err(|_| "the checkpoint's time is not a number".to_string())?;
        if signature(&key, key_id, seq, hash, at) != sig {
            return Err(
                "the checkpoint's signature does not match this keyring's audit key (altered, or made elsewhere)"
                    .into(),
            );
        }
        let at = DateTime::from_timestamp(at, 0)
            .ok_or_else(|| "the checkpoint's time is out of range".to_string())?;
        Ok(Checkpoint {
            seq,
            hash: hash.to_string(),
            at,
        })
    }
}

/// Where the chain stands now, as a line signed with the key that seals its head.
pub async fn current<C: ConnectionTrait>(c: &C, keys: &AuditKeys) -> Result<String, StoreError> {
    let head = audit_head::Entity::find_by_id(1)
        .one(c)
        .await?
        .ok_or_else(|| StoreError::Integrity("the audit chain head is missing".into()))?;
    let (id, key) = keys.current(head.seal.as_deref())?;
    Ok(Checkpoint {
        seq: head.seq,
        hash: head.hash,
        at: crate::now_utc(),
    }
    .to_line(&id, &key))
}

/// Verifies the whole chain, and that the checkpoint's entry is still in it with the hash it had.
pub async fn verify_against<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    cp: &Checkpoint,
) -> Result<VerifyReport, StoreError> {
    let report = audit::verify(c, keys).await?;
    if report.first_broken.is_some() || cp.seq == 0 {
        return Ok(report);
    }
    let broken = |why: String| VerifyReport {
        entries: report.entries,
        first_broken: Some((cp.seq, why)),
    };
    match audit_log::Entity::find_by_id(cp.seq).one(c).await? {
        None => Ok(broken(format!(
            "entry {} of the checkpoint made {} is gone: the log was cut back (or an older copy restored)",
            cp.seq,
            cp.at.format("%Y-%m-%d %H:%M UTC")
        ))),
        Some(e) if e.hash != cp.hash => Ok(broken(format!(
            "entry {} is not the one the checkpoint made {} saw: the log was rewritten",
            cp.seq,
            cp.at.format("%Y-%m-%d %H:%M UTC")
        ))),
        Some(_) => Ok(report),
    }
}
