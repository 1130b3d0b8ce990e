//! The audit log: appended inside the transaction it records, hash-chained with a key from the keyring.
//!
//! Each entry's hash is HMAC-SHA256(audit key, its fields ‖ the previous entry's hash). Anyone with database
//! access can read the chain, but without the keyring they cannot rewrite an entry and re-sign those after it.
//! The key changes at rotation entries (see `audit_keys`): verification follows the chain from epoch to epoch.

use crate::audit_keys::{self, AuditKeys, ROTATE_ACTION, ROTATE_RESOURCE};
use crate::entity::{audit_head, audit_log};
use crate::keyring::Key;
use crate::{StoreError, now_utc};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rapport_domain::Actor;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use sha2::Sha256;
use uuid::Uuid;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// What happened, in ids and action names only: the audit log itself must not become a copy of the record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor_kind: &'static str,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    pub client_id: Option<Uuid>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(actor: &Actor, action: impl Into<String>, resource_type: &'static str) -> Self {
        let (actor_kind, actor_id) = match actor {
            Actor::Staff { id, .. } => ("user", Some(id.0)),
            Actor::Operator => ("operator", None),
            Actor::Public => ("public", None),
            Actor::Portal { account } => ("portal", Some(account.0)),
        };
        AuditEvent {
            actor_kind,
            actor_id,
            action: action.into(),
            resource_type,
            resource_id: None,
            client_id: None,
            outcome: Outcome::Ok,
            request_id: None,
            detail: None,
        }
    }

    /// An event with no authenticated actor (a failed login, say).
    pub fn anonymous(action: impl Into<String>, resource_type: &'static str) -> Self {
        AuditEvent {
            actor_kind: "anonymous",
            actor_id: None,
            ..AuditEvent::new(&Actor::Operator, action, resource_type)
        }
    }

    pub fn resource(mut self, id: impl ToString) -> Self {
        self.resource_id = Some(id.to_string());
        self
    }

    pub fn client(mut self, id: Uuid) -> Self {
        self.client_id = Some(id);
        self
    }

    pub fn outcome(mut self, o: Outcome) -> Self {
        self.outcome = o;
        self
    }

    pub fn request(mut self, id: Option<&str>) -> Self {
        self.request_id = id.map(str::to_string);
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
}

fn ts(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn entry_hash(key: &[u8; 32], e: &audit_log::Model) -> String {
    let fields: [String; 12] = [
        e.seq.to_string(),
        ts(&e.at),
        e.actor_id.map(|u| u.to_string()).unwrap_or_default(),
        e.actor_kind.clone(),
        e.action.clone(),
        e.resource_type.clone(),
        e.resource_id.clone().unwrap_or_default(),
        e.client_id.map(|u| u.to_string()).unwrap_or_default(),
        e.outcome.clone(),
        e.request_id.clone().unwrap_or_default(),
        e.detail.clone().unwrap_or_default(),
        e.prev_hash.clone(),
    ];
    // Length-prefix every field so no two different entries serialise to the same bytes.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    for f in &fields {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The head's seal: an HMAC with the audit key over its sequence number and hash. Without the key nobody can
/// rewind the head to match entries cut off the end.
pub(crate) fn head_seal(key: &[u8; 32], seq: i64, hash: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    for f in ["audit-head", &seq.to_string(), hash] {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Seals a head written before heads were sealed (once, at the first start of a version that seals them): the
/// state it vouches for is the one found then.
pub(crate) async fn seal_unsealed_head<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
) -> Result<(), StoreError> {
    if let Some(head) = audit_head::Entity::find_by_id(1).one(c).await?
        && head.seal.is_none()
    {
        let (id, key) = keys.first()?;
        audit_head::ActiveModel {
            id: Set(1),
            seal: Set(Some(audit_keys::labelled_seal(
                &id,
                &head_seal(&key, head.seq, &head.hash),
            ))),
            ..Default::default()
        }
        .update(c)
        .await?;
    }
    Ok(())
}

/// Takes the chain's lock. Called first in every transaction, so appends are serialised on both databases
/// (a row lock on PostgreSQL, the write lock on SQLite) and no two transactions can fork the chain.
pub(crate) async fn lock_head<C: ConnectionTrait>(c: &C) -> Result<(), StoreError> {
    let r = audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
        .filter(audit_head::Column::Id.eq(1))
        .exec(c)
        .await?;
    if r.rows_affected == 1 {
        return Ok(());
    }
    // The genesis head is sealed by `seal_unsealed_head` when the store opens (no key here).
    audit_head::ActiveModel {
        id: Set(1),
        seq: Set(0),
        hash: Set(GENESIS.to_string()),
        updated_at: Set(now_utc()),
        seal: Set(None),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// Appends one entry after the current head; the caller holds the lock (see `lock_head`).
pub(crate) async fn append<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    ev: AuditEvent,
) -> Result<i64, StoreError> {
    append_then_seal(c, keys, ev, None).await
}

/// Hands the chain to the audit key `new` (already in `keys`): an entry naming it, made with the current key, after
/// which the head is sealed, and every later entry made, with the new one.
pub(crate) async fn rotate<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    new: &str,
    detail: String,
) -> Result<i64, StoreError> {
    let next = keys
        .get(new)
        .ok_or_else(|| StoreError::Integrity(format!("audit key '{new}' is not loaded")))?;
    let ev = AuditEvent::new(&Actor::Operator, ROTATE_ACTION, ROTATE_RESOURCE)
        .resource(new)
        .detail(detail);
    append_then_seal(c, keys, ev, Some((new, &next))).await
}

/// Appends `ev` with the head's key; seals the head with `next` if given (a rotation), else with that same key.
async fn append_then_seal<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    ev: AuditEvent,
    next: Option<(&str, &Key)>,
) -> Result<i64, StoreError> {
    let head = audit_head::Entity::find_by_id(1)
        .one(c)
        .await?
        .ok_or_else(|| StoreError::Integrity("the audit chain head is missing".into()))?;
    let (key_id, key) = keys.current(head.seal.as_deref())?;
    let key: &[u8; 32] = &key;
    let mut e = audit_log::Model {
        seq: head.seq + 1,
        at: now_utc(),
        actor_id: ev.actor_id,
        actor_kind: ev.actor_kind.to_string(),
        action: ev.action,
        resource_type: ev.resource_type.to_string(),
        resource_id: ev.resource_id,
        client_id: ev.client_id,
        outcome: ev.outcome.as_str().to_string(),
        request_id: ev.request_id,
        detail: ev.detail,
        prev_hash: head.hash,
        hash: String::new(),
    };
    e.hash = entry_hash(key, &e);
    let seq = e.seq;
    let hash = e.hash.clone();
    audit_log::ActiveModel::from(e).insert(c).await?;
    let (seal_id, seal_key): (&str, &[u8; 32]) = match next {
        Some((id, k)) => (id, k),
        None => (&key_id, key),
    };
    audit_head::ActiveModel {
        id: Set(1),
        seq: Set(seq),
        seal: Set(Some(audit_keys::labelled_seal(
            seal_id,
            &head_seal(seal_key, seq, &hash),
        ))),
        hash: Set(hash),
        updated_at: Set(now_utc()),
    }
    .update(c)
    .await?;
    Ok(seq)
}

/// Appends several entries in order, as `append` would one by one, but with one read and one update of the head
/// and multi-row inserts: a caseload read leaves an entry per client without paying three statements for each.
pub(crate) async fn append_many<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
    events: Vec<AuditEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(c)
        .await?
        .ok_or_else(|| StoreError::Integrity("the audit chain head is missing".into()))?;
    let (key_id, key) = keys.current(head.seal.as_deref())?;
    let key: &[u8; 32] = &key;
    let (mut seq, mut prev) = (head.seq, head.hash);
    let at = now_utc();
    let mut rows = Vec::with_capacity(events.len());
    for ev in events {
        seq += 1;
        let mut e = audit_log::Model {
            seq,
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
        };
        e.hash = entry_hash(key, &e);
        prev = e.hash.clone();
        rows.push(audit_log::ActiveModel::from(e));
    }
    // 13 columns a row: 200 rows stay far below SQLite's and PostgreSQL's bound-parameter limits.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(200).collect();
        audit_log::Entity::insert_many(chunk).exec(c).await?;
    }
    audit_head::ActiveModel {
        id: Set(1),
        seq: Set(seq),
        seal: Set(Some(audit_keys::labelled_seal(
            &key_id,
            &head_seal(key, seq, &prev),
        ))),
        hash: Set(prev),
        updated_at: Set(now_utc()),
    }
    .update(c)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    /// The first entry that does not verify, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the whole chain in order and names the first entry that does not verify. Each entry is checked with the
/// key current when it was made: the first key, then the one each rotation entry names.
pub async fn verify<C: ConnectionTrait>(
    c: &C,
    keys: &AuditKeys,
) -> Result<VerifyReport, StoreError> {
    let (first_id, first_key) = keys.first()?;
    let (mut key_id, mut key) = (first_id.clone(), first_key);
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_string();
    let mut count = 0u64;
    loop {
        let batch = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(2000)
            .all(c)
            .await?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            let broken = |why: &str| {
                Ok(VerifyReport {
                    entries: count,
                    first_broken: Some((e.seq, why.to_string())),
                })
            };
            if e.seq != expected_seq {
                return Ok(VerifyReport {
                    entries: count,
                    first_broken: Some((expected_seq, format!("entry {expected_seq} is missing"))),
                });
            }
            if e.prev_hash != prev {
                return broken(
                    "its link to the previous entry does not match (an entry before it was changed or removed)",
                );
            }
            if entry_hash(&key, &e) != e.hash {
                return broken("its content does not match its hash (the entry was altered)");
            }
            if e.action == ROTATE_ACTION && e.resource_type == ROTATE_RESOURCE {
                let next = e.resource_id.clone().unwrap_or_default();
                let Some(k) = keys.get(&next) else {
                    return broken(&format!(
                        "it hands the chain to audit key '{next}', which this keyring does not hold (is it an older copy of the keyring?)"
                    ));
                };
                (key_id, key) = (next, k);
            }
            prev = e.hash;
            expected_seq += 1;
            count += 1;
        }
    }
    if let Some(head) = audit_head::Entity::find_by_id(1).one(c).await? {
        let mac = head_seal(&key, head.seq, &head.hash);
        if !head
            .seal
            .as_deref()
            .is_some_and(|s| audit_keys::seal_matches(s, &key_id, &first_id, &mac))
        {
            return Ok(VerifyReport {
                entries: count,
                first_broken: Some((
                    head.seq,
                    "the chain's head does not carry this keyring's seal (it was rewritten, perhaps to hide entries cut off the end)".to_string(),
                )),
            });
        }
        if head.seq != expected_seq - 1 || head.hash != prev {
            return Ok(VerifyReport {
                entries: count,
                first_broken: Some((
                    head.seq,
                    "entries at the end of the chain were removed".to_string(),
                )),
            });
        }
    }
    Ok(VerifyReport {
        entries: count,
        first_broken: None,
    })
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    /// Matches actions starting with this text ("client." finds every client action).
    pub action_prefix: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Return entries older than this sequence number (for paging backwards from the newest).
    pub before_seq: Option<i64>,
    pub limit: u64,
}

pub async fn list<C: ConnectionTrait>(
    c: &C,
    f: &AuditFilter,
) -> Result<Vec<audit_log::Model>, StoreError> {
    let mut q = audit_log::Entity::find();
    if let Some(a) = f.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(a));
    }
    if let Some(cl) = f.client_id {
        q = q.filter(audit_log::Column::ClientId.eq(cl));
    }
    if let Some(p) = &f.action_prefix {
        q = q.filter(audit_log::Column::Action.starts_with(p.as_str()));
    }
    if let Some(o) = &f.outcome {
        q = q.filter(audit_log::Column::Outcome.eq(o.as_str()));
    }
    if let Some(s) = f.since {
        q = q.filter(audit_log::Column::At.gte(s));
    }
    if let Some(u) = f.until {
        q = q.filter(audit_log::Column::At.lt(u));
    }
    if let Some(b) = f.before_seq {
        q = q.filter(audit_log::Column::Seq.lt(b));
    }
    Ok(q.order_by_desc(audit_log::Column::Seq)
        .limit(f.limit.clamp(1, 500))
        .all(c)
        .await?)
}
