//! Appending to the audit chains: which chain an entry belongs to, the heads' locks, and key hand-overs.
//!
//! A transaction's entries are appended when it commits (`Tx`), all at once: the heads of the chains they belong
//! to are locked in ascending order, so two transactions never wait for each other in a cycle, and a transaction
//! holds a head only from its commit's first statement to its end. Transactions whose entries fall in different
//! chains append side by side (on PostgreSQL; SQLite has one writer at a time whatever we do).

use super::{AuditEvent, GENESIS, entry_hash, head_seal};
use crate::audit_keys::{self, AuditKeys, ROTATE_ACTION, ROTATE_RESOURCE};
use crate::entity::{audit_head, audit_log};
use crate::keyring::Key;
use crate::{StoreError, now_utc};
use rapport_domain::Actor;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    Statement,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How many chains the log has. Fixed: an entry's chain follows from its client or actor, and the verifier expects
/// every one of them to have a sealed head, so a chain cannot be dropped unnoticed.
pub const PARTITIONS: i32 = 8;

/// The `audit_head` row of chain `part` (chain 0's head is the single head of earlier versions, row 1).
pub(crate) fn head_id(part: i32) -> i32 {
    part + 1
}

/// The chain an entry belongs to: its client's (so one client's access log is one ordered chain), else its
/// actor's, else chain 0. A hash of the id, not its leading bytes, so ids that share a prefix (time-ordered ones)
/// still spread.
pub(crate) fn partition_of(ev: &AuditEvent) -> i32 {
    match ev.client_id.or(ev.actor_id) {
        None => 0,
        Some(id) => {
            let digest = Sha256::digest(id.as_bytes());
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            (u64::from_be_bytes(first) % PARTITIONS as u64) as i32
        }
    }
}

/// Takes the writers' turn: writes whose checks must not interleave (a booking and its conflict check, a version
/// check and its update) run one at a time across every process on the database. A row lock on PostgreSQL, the
/// write lock on SQLite. Reads' audit entries do not take it (see `Store::begin_append`).
pub(crate) async fn take_write_turn<C: ConnectionTrait>(c: &C) -> Result<(), StoreError> {
    c.execute_unprepared("UPDATE write_turn SET taken = taken WHERE id = 1")
        .await?;
    Ok(())
}

/// Makes the head of every chain that has none yet (a new database, or the first start after the log was split
/// into chains), under the start lock. A new head is sealed with the first audit key, as chain 0's was; if the keys
/// were rotated since, the new chain at once hands over to the current key, so every chain walks the same epochs.
pub(crate) async fn ensure_heads<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
) -> Result<(), StoreError> {
    let (first_id, first_key) = keys.first()?;
    let mut made = Vec::new();
    for part in 0..PARTITIONS {
        if audit_head::Entity::find_by_id(head_id(part))
            .one(c)
            .await?
            .is_some()
        {
            continue;
        }
        audit_head::ActiveModel {
            id: Set(head_id(part)),
            seq: Set(0),
            hash: Set(GENESIS.to_string()),
            updated_at: Set(now_utc()),
            seal: Set(Some(audit_keys::labelled_seal(
                &first_id,
                &head_seal(&first_key, part, 0, GENESIS),
            ))),
        }
        .insert(c)
        .await?;
        made.push(part);
    }
    let current = match audit_head::Entity::find_by_id(head_id(0)).one(c).await? {
        Some(head) => keys.current(head.seal.as_deref())?,
        None => return Ok(()),
    };
    if current.0 == first_id || made.is_empty() {
        return Ok(());
    }
    let events = made
        .into_iter()
        .filter(|p| *p != 0)
        .map(|p| {
            (
                p,
                handover(&current.0, "a new chain joins the current audit key".into()),
            )
        })
        .collect();
    append(c, keys, events, Some((&current.0, &current.1))).await
}

fn handover(new: &str, detail: String) -> AuditEvent {
    AuditEvent::new(&Actor::Operator, ROTATE_ACTION, ROTATE_RESOURCE)
        .resource(new)
        .detail(detail)
}

/// Hands every chain to the audit key `new` (already in `keys`): in each, an entry naming it, made with the current
/// key, after which its head is sealed, and its later entries made, with the new one.
pub(crate) async fn rotate<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    new: &str,
    detail: String,
) -> Result<(), StoreError> {
    let next = keys
        .get(new)
        .ok_or_else(|| StoreError::Integrity(format!("audit key '{new}' is not loaded")))?;
    let events = (0..PARTITIONS)
        .map(|p| (p, handover(new, detail.clone())))
        .collect();
    append(c, keys, events, Some((new, &next))).await
}

/// Numbers for `n` new entries in the whole log, ascending. PostgreSQL's sequence hands them out without waiting;
/// on SQLite the caller holds the database's write lock (it has locked a head), so the largest number is stable.
async fn log_numbers<C: ConnectionTrait>(c: &C, n: usize) -> Result<Vec<i64>, StoreError> {
    let backend = c.get_database_backend();
    if backend == DbBackend::Postgres {
        let rows = c
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT nextval('audit_log_seq_numbers') AS n FROM generate_series(1, $1)",
                [(n as i64).into()],
            ))
            .await?;
        let mut numbers = rows
            .iter()
            .map(|r| r.try_get::<i64>("", "n"))
            .collect::<Result<Vec<_>, _>>()?;
        numbers.sort_unstable();
        return Ok(numbers);
    }
    let row = c
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log",
        ))
        .await?;
    let last: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok((1..=n as i64).map(|i| last + i).collect())
}

/// Appends `events`, each to the chain named with it, keeping their order within each chain. Locks the heads
/// involved in ascending order first. Each head is sealed afterwards with the key that made its entries, or with
/// `next` when this is a hand-over.
pub(crate) async fn append<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    events: Vec<(i32, AuditEvent)>,
    next: Option<(&str, &Key)>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let total = events.len();
    let mut by_chain: BTreeMap<i32, Vec<(usize, AuditEvent)>> = BTreeMap::new();
    for (i, (part, ev)) in events.into_iter().enumerate() {
        if !(0..PARTITIONS).contains(&part) {
            return Err(StoreError::Integrity(format!(
                "audit chain {part} does not exist"
            )));
        }
        by_chain.entry(part).or_default().push((i, ev));
    }
    let mut heads = Vec::with_capacity(by_chain.len());
    for part in by_chain.keys() {
        heads.push(lock_head(c, *part).await?);
    }
    let numbers = log_numbers(c, total).await?;
    if numbers.len() != total {
        return Err(StoreError::Integrity(
            "the audit log handed out too few entry numbers".into(),
        ));
    }
    let at = now_utc();
    for (head, (part, chain)) in heads.into_iter().zip(by_chain) {
        let (key_id, key) = keys.current(head.seal.as_deref())?;
        let key: &[u8; 32] = &key;
        let (mut pseq, mut prev) = (head.seq, head.hash);
        let mut rows = Vec::with_capacity(chain.len());
        for (i, ev) in chain {
            pseq += 1;
            let mut e = audit_log::Model {
                seq: numbers[i],
                at,
                actor_id: ev.actor_id,
                actor_kind: ev.actor_kind.to_string(),
                action: ev.action,
                resource_type: ev.resource_type.to_string(),
                resource_id: ev.resource_id,
                client_id: ev.client_id,
                outcome: ev.outcome.as_str().to_string(),
                request_id: ev.request_id,
                detail: ev.detail,
                prev_hash: prev,
                hash: String::new(),
                part,
                pseq,
            };
            e.hash = entry_hash(key, &e);
            prev = e.hash.clone();
            rows.push(audit_log::ActiveModel::from(e));
        }
        // 15 columns a row: 200 rows stay far below SQLite's and PostgreSQL's bound-parameter limits.
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(200).collect();
            audit_log::Entity::insert_many(chunk).exec(c).await?;
        }
        let (seal_id, seal_key): (&str, &[u8; 32]) = match next {
            Some((id, k)) => (id, k),
            None => (&key_id, key),
        };
        audit_head::ActiveModel {
            id: Set(head_id(part)),
            seq: Set(pseq),
            seal: Set(Some(audit_keys::labelled_seal(
                seal_id,
                &head_seal(seal_key, part, pseq, &prev),
            ))),
            hash: Set(prev),
            updated_at: Set(now_utc()),
        }
        .update(c)
        .await?;
    }
    Ok(())
}

/// Locks chain `part`'s head (a row lock on PostgreSQL, the write lock on SQLite) and reads it.
async fn lock_head<C: ConnectionTrait>(c: &C, part: i32) -> Result<audit_head::Model, StoreError> {
    let locked = audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
        .filter(audit_head::Column::Id.eq(head_id(part)))
        .exec(c)
        .await?;
    let head = if locked.rows_affected == 1 {
        audit_head::Entity::find_by_id(head_id(part)).one(c).await?
    } else {
        None
    };
    head.ok_or_else(|| {
        StoreError::Integrity(format!(
            "the head of audit chain {part} is missing (run `rapport audit verify`)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn one_clients_entries_share_a_chain_and_clients_spread_over_all_chains() {
        let mut seen = [0usize; PARTITIONS as usize];
        for _ in 0..4000 {
            let client = Uuid::new_v4();
            let ev = |actor: &Actor| AuditEvent::new(actor, "client.read", "client").client(client);
            let a = partition_of(&ev(&Actor::Operator));
            let b = partition_of(&ev(&Actor::Public));
            assert_eq!(a, b, "the chain follows the client, not who acted");
            seen[a as usize] += 1;
        }
        // 4000 clients over 8 chains: 500 expected each; far outside 350..650 would mean a skewed hash.
        assert!(seen.iter().all(|n| (350..650).contains(n)), "{seen:?}");
    }

    #[test]
    fn entries_without_client_or_actor_go_to_chain_zero() {
        assert_eq!(
            partition_of(&AuditEvent::anonymous("auth.login", "user")),
            0
        );
    }
}
