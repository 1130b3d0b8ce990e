//! Checkpoints of the audit chains, to keep outside the database: a line naming where every chain ended (its last
//! entry's place) and when, with a digest of those entries' hashes, signed with the audit key.
//!
//! The chains prove on their own that no entry was changed, and the sealed heads that none was cut off the end by
//! someone without the key. What neither can prove is that the whole database was not put back to an older,
//! consistent copy (a restored backup hides everything written since). A checkpoint kept elsewhere can: every
//! entry it names must still be there, with the hash it had.
//!
//! Format v3 names every chain; v2 (one chain, the key named) and v1 (one chain, signed with the first key) lines,
//! made before the log was split, name chain 0, which is that single chain continued.

use crate::StoreError;
use crate::audit::chain::{PARTITIONS, head_id};
use crate::audit::{self, GENESIS, VerifyReport};
use crate::audit_keys::AuditKeys;
use crate::entity::{audit_head, audit_log};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

const PREFIX_V1: &str = "rapport-audit-checkpoint-v1";
const PREFIX_V2: &str = "rapport-audit-checkpoint-v2";
const PREFIX: &str = "rapport-audit-checkpoint-v3";

/// Where the chains stood at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The place of each chain's last entry, chain by chain from 0 (one chain in a v1 or v2 line).
    pub ends: Vec<i64>,
    /// A v3 line's digest of those entries' hashes; a v1 or v2 line's one hash.
    pub seal: String,
    pub at: DateTime<Utc>,
}

fn mac_of(key: &[u8; 32], fields: &[&str]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    for f in fields {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The digest of the chains' last hashes, chain by chain: what a v3 line vouches for.
fn digest(hashes: &[String]) -> String {
    let mut d = Sha256::new();
    for (part, h) in hashes.iter().enumerate() {
        d.update(format!("chain {part}:{h};").as_bytes());
    }
    hex::encode(d.finalize())
}

fn joined(ends: &[i64]) -> String {
    ends.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

impl Checkpoint {
    /// The line to keep: `rapport-audit-checkpoint-v3:<key id>:<end of chain 0>.<end of chain 1>…:<digest>:<unix
    /// seconds>:<signature>`.
    pub fn to_line(&self, key_id: &str, key: &[u8; 32]) -> String {
        let at = self.at.timestamp().to_string();
        let ends = joined(&self.ends);
        let sig = mac_of(key, &[PREFIX, key_id, &ends, &self.seal, &at]);
        format!("{PREFIX}:{key_id}:{ends}:{}:{at}:{sig}", self.seal)
    }

    /// Reads a line made by `to_line` with one of these keys (or a v1 or v2 line); anything else is an error in
    /// plain words.
    pub fn parse(line: &str, keys: &AuditKeys) -> Result<Checkpoint, String> {
        let not_a_line = || "this is not an audit checkpoint line".to_string();
        let parts: Vec<&str> = line.trim().split(':').collect();
        let (prefix, key_id, ends, seal, at, sig) = match parts.as_slice() {
            [p, seq, hash, at, sig] if *p == PREFIX_V1 => (*p, None, *seq, *hash, *at, *sig),
            [p, id, ends, seal, at, sig] if *p == PREFIX_V2 || *p == PREFIX => {
                (*p, Some(*id), *ends, *seal, *at, *sig)
            }
            _ => return Err(not_a_line()),
        };
        let key = match key_id {
            None => keys.first().map(|(_, k)| k).map_err(|e| e.to_string())?,
            Some(id) => keys.get(id).ok_or_else(|| {
                format!("the checkpoint was signed with audit key '{id}', which this keyring does not hold")
            })?,
        };
        let fields: Vec<&str> = match key_id {
            None => vec![prefix, ends, seal, at],
            Some(id) => vec![prefix, id, ends, seal, at],
        };
        if mac_of(&key, &fields) != sig {
            return Err(
                "the checkpoint's signature does not match this keyring's audit key (altered, or made elsewhere)"
                    .into(),
            );
        }
        let ends: Vec<i64> = ends
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| "the checkpoint's chain positions are not numbers".to_string())?;
        let chains = if prefix == PREFIX {
            PARTITIONS as usize
        } else {
            1
        };
        if ends.len() != chains {
            return Err(not_a_line());
        }
        let at: i64 = at
            .parse()
            .map_err(|_| "the checkpoint's time is not a number".to_string())?;
        let at = DateTime::from_timestamp(at, 0)
            .ok_or_else(|| "the checkpoint's time is out of range".to_string())?;
        Ok(Checkpoint {
            ends,
            seal: seal.to_string(),
            at,
        })
    }
}

/// Where the chains stand now, as a line signed with the key that seals chain 0's head (every chain changes key in
/// the same rotation).
pub async fn current<C: ConnectionTrait>(c: &C, keys: &AuditKeys) -> Result<String, StoreError> {
    let mut ends = Vec::with_capacity(PARTITIONS as usize);
    let mut hashes = Vec::with_capacity(PARTITIONS as usize);
    let mut signer = None;
    for part in 0..PARTITIONS {
        let head = audit_head::Entity::find_by_id(head_id(part))
            .one(c)
            .await?
            .ok_or_else(|| {
                StoreError::Integrity(format!("the head of audit chain {part} is missing"))
            })?;
        if signer.is_none() {
            signer = Some(keys.current(head.seal.as_deref())?);
        }
        ends.push(head.seq);
        hashes.push(head.hash);
    }
    let (id, key) = match signer {
        Some(s) => s,
        None => keys.first()?,
    };
    Ok(Checkpoint {
        ends,
        seal: digest(&hashes),
        at: crate::now_utc(),
    }
    .to_line(&id, &key))
}

/// The hash of chain `part`'s entry at place `pseq` now (the genesis hash before its first), if it is there.
async fn hash_at<C: ConnectionTrait>(
    c: &C,
    part: i32,
    pseq: i64,
) -> Result<Option<String>, StoreError> {
    if pseq == 0 {
        return Ok(Some(GENESIS.to_string()));
    }
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::Part.eq(part))
        .filter(audit_log::Column::Pseq.eq(pseq))
        .one(c)
        .await?
        .map(|e| e.hash))
}

/// Verifies the whole log, and that every entry the checkpoint names is still in it with the hash it had.
pub async fn verify_against<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    cp: &Checkpoint,
) -> Result<VerifyReport, StoreError> {
    let report = audit::verify(c, keys).await?;
    if report.first_broken.is_some() {
        return Ok(report);
    }
    let when = cp.at.format("%Y-%m-%d %H:%M UTC");
    let broken = |why: String| VerifyReport {
        entries: report.entries,
        first_broken: Some((0, why)),
    };
    let mut hashes = Vec::with_capacity(cp.ends.len());
    for (part, end) in (0..).zip(&cp.ends) {
        match hash_at(c, part, *end).await? {
            Some(h) => hashes.push(h),
            None => {
                return Ok(broken(format!(
                    "entry {end} of audit chain {part}, named by the checkpoint made {when}, is gone: the log was cut back (or an older copy restored)"
                )));
            }
        }
    }
    let matches = match cp.ends.len() {
        // A v1 or v2 line: the one hash itself.
        1 => hashes.first() == Some(&cp.seal),
        _ => digest(&hashes) == cp.seal,
    };
    if !matches {
        return Ok(broken(format!(
            "the entries the checkpoint made {when} saw are not the ones there now: the log was rewritten"
        )));
    }
    Ok(report)
}
