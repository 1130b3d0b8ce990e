//! Checkpoints of the audit chain, to keep outside the database: a line naming the chain's last entry (sequence
//! number and hash) and when, signed with the audit key.
//!
//! The chain proves on its own that no entry was changed, and the sealed head that none was cut off the end by
//! someone without the key. What neither can prove is that the whole database was not put back to an older,
//! consistent copy (a restored backup hides everything written since). A checkpoint kept elsewhere can: every
//! entry up to its sequence number must still be there, with the hash it had.

use crate::StoreError;
use crate::audit::{self, VerifyReport};
use crate::entity::{audit_head, audit_log};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::Sha256;

const PREFIX: &str = "rapport-audit-checkpoint-v1";

/// Where the chain stood at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
}

fn signature(key: &[u8; 32], seq: i64, hash: &str, at: i64) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    for f in [PREFIX, &seq.to_string(), hash, &at.to_string()] {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

impl Checkpoint {
    /// The line to keep: `rapport-audit-checkpoint-v1:<seq>:<hash>:<unix seconds>:<signature>`.
    pub fn to_line(&self, key: &[u8; 32]) -> String {
        let at = self.at.timestamp();
        format!(
            "{PREFIX}:{}:{}:{at}:{}",
            self.seq,
            self.hash,
            signature(key, self.seq, &self.hash, at)
        )
    }

    /// Reads a line made by `to_line` with the same key; anything else is an error in plain words.
    pub fn parse(line: &str, key: &[u8; 32]) -> Result<Checkpoint, String> {
        let parts: Vec<&str> = line.trim().split(':').collect();
        let [prefix, seq, hash, at, sig] = parts.as_slice() else {
            return Err("this is not an audit checkpoint line".into());
        };
        if *prefix != PREFIX {
            return Err("this is not an audit checkpoint line".into());
        }
        let seq: i64 = seq
            .parse()
            .map_err(|_| "the checkpoint's sequence number is not a number".to_string())?;
        let at: i64 = at
            .parse()
            .map_err(|_| "the checkpoint's time is not a number".to_string())?;
        if signature(key, seq, hash, at) != *sig {
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

/// Where the chain stands now.
pub async fn current<C: ConnectionTrait>(c: &C) -> Result<Checkpoint, StoreError> {
    let head = audit_head::Entity::find_by_id(1)
        .one(c)
        .await?
        .ok_or_else(|| StoreError::Integrity("the audit chain head is missing".into()))?;
    Ok(Checkpoint {
        seq: head.seq,
        hash: head.hash,
        at: crate::now_utc(),
    })
}

/// Verifies the whole chain, and that the checkpoint's entry is still in it with the hash it had.
pub async fn verify_against<C: ConnectionTrait>(
    c: &C,
    key: &[u8; 32],
    cp: &Checkpoint,
) -> Result<VerifyReport, StoreError> {
    let report = audit::verify(c, key).await?;
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
