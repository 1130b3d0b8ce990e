//! Verifying the audit chains: every chain walked from its start, entry by entry, and its sealed head checked.
//!
//! What one walk proves, for each chain: order (each entry holds the hash of the one before it in its chain, and
//! its place `pseq` is covered by its own hash), integrity (each hash is the keyed HMAC of the entry's fields), and
//! completeness (no place is missing, and the head, sealed with the key, names the last entry, so nothing was cut
//! off the end by someone without the key). Chains that should exist and do not, and entries in a chain that does
//! not exist, are reported too.

use super::chain::{PARTITIONS, head_id};
use super::{GENESIS, entry_hash, head_seal};
use crate::StoreError;
use crate::audit_keys::{self, AuditKeys, ROTATE_ACTION, ROTATE_RESOURCE};
use crate::entity::{audit_head, audit_log};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    /// The first entry that does not verify (its number in the whole log, or 0 where no entry is there to name),
    /// and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks every chain in order and names the first entry that does not verify. Each entry is checked with the key
/// current when it was made: the first key, then the one each rotation entry names.
pub async fn verify<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
) -> Result<VerifyReport, StoreError> {
    let mut count = 0u64;
    let strays = audit_log::Entity::find()
        .filter(
            Condition::any()
                .add(audit_log::Column::Part.lt(0))
                .add(audit_log::Column::Part.gte(PARTITIONS)),
        )
        .order_by_asc(audit_log::Column::Seq)
        .one(c)
        .await?;
    if let Some(e) = strays {
        return Ok(VerifyReport {
            entries: 0,
            first_broken: Some((
                e.seq,
                format!(
                    "it claims chain {}, which does not exist (an entry put into the log)",
                    e.part
                ),
            )),
        });
    }
    for part in 0..PARTITIONS {
        let (entries, broken) = verify_chain(c, keys, part).await?;
        count += entries;
        if broken.is_some() {
            return Ok(VerifyReport {
                entries: count,
                first_broken: broken,
            });
        }
    }
    Ok(VerifyReport {
        entries: count,
        first_broken: None,
    })
}

/// How many entries of chain `part` verify, and the first that does not.
async fn verify_chain<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    part: i32,
) -> Result<(u64, Option<(i64, String)>), StoreError> {
    let (first_id, first_key) = keys.first()?;
    let (mut key_id, mut key) = (first_id.clone(), first_key);
    let mut expected = 1i64;
    let mut prev = GENESIS.to_string();
    let mut count = 0u64;
    loop {
        let batch = audit_log::Entity::find()
            .filter(audit_log::Column::Part.eq(part))
            .filter(audit_log::Column::Pseq.gte(expected))
            .order_by_asc(audit_log::Column::Pseq)
            .limit(2000)
            .all(c)
            .await?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            let broken = |why: String| Ok((count, Some((e.seq, why))));
            if e.pseq != expected {
                return broken(format!(
                    "entry {expected} of audit chain {part}, just before it, is missing"
                ));
            }
            if e.prev_hash != prev {
                return broken(
                    "its link to the previous entry does not match (an entry before it was changed or removed)"
                        .into(),
                );
            }
            if entry_hash(&key, &e) != e.hash {
                return broken(
                    "its content does not match its hash (the entry was altered)".into(),
                );
            }
            if e.action == ROTATE_ACTION && e.resource_type == ROTATE_RESOURCE {
                let next = e.resource_id.clone().unwrap_or_default();
                let Some(k) = keys.get(&next) else {
                    return broken(format!(
                        "it hands the chain to audit key '{next}', which this keyring does not hold (is it an older copy of the keyring?)"
                    ));
                };
                (key_id, key) = (next, k);
            }
            prev = e.hash;
            expected += 1;
            count += 1;
        }
    }
    let Some(head) = audit_head::Entity::find_by_id(head_id(part)).one(c).await? else {
        // An empty log has no heads until its first start; any entry means heads were made and one was removed.
        let any = audit_log::Entity::find().count(c).await? > 0;
        return Ok((
            count,
            any.then(|| (0, format!("the head of audit chain {part} is missing (removed, perhaps to hide that chain)"))),
        ));
    };
    let mac = head_seal(&key, part, head.seq, &head.hash);
    if !head
        .seal
        .as_deref()
        .is_some_and(|s| audit_keys::seal_matches(s, &key_id, &first_id, &mac))
    {
        return Ok((
            count,
            Some((
                0,
                format!(
                    "the head of audit chain {part} does not carry this keyring's seal (it was rewritten, perhaps to hide entries cut off the end)"
                ),
            )),
        ));
    }
    if head.seq != expected - 1 || head.hash != prev {
        return Ok((
            count,
            Some((
                0,
                format!(
                    "entries at the end of audit chain {part} were removed (its head names entry {}, the chain ends at {})",
                    head.seq,
                    expected - 1
                ),
            )),
        ));
    }
    Ok((count, None))
}
