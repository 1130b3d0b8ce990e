//! The audit log: appended inside the transaction it records, in hash chains keyed with a key from the keyring.
//!
//! The log is `chain::PARTITIONS` chains side by side, each with its own sealed head (docs/SECURITY.md, "The audit
//! chain"). An entry belongs to the chain its client (or else its actor) hashes to, so everything about one client
//! is in one order. Each entry's hash is HMAC-SHA256(audit key, its fields ‖ the previous entry's hash in its
//! chain). Anyone with database access can read the chains, but without the keyring they cannot rewrite an entry
//! and re-sign those after it. The key changes at rotation entries (see `audit_keys`), one in every chain:
//! verification follows each chain from epoch to epoch.

pub(crate) mod chain;
mod verify;

pub use chain::PARTITIONS;
pub use verify::{VerifyReport, verify};

use crate::StoreError;
use crate::audit_keys::{self, AuditKeys};
use crate::entity::{audit_head, audit_log};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rapport_domain::Actor;
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

/// The hash of an entry. It covers the entry's place in its chain (`pseq`), not its number in the whole log (`seq`,
/// a locator for listing). Chain 0 began as the single chain of earlier versions, whose entries hashed the same
/// fields with `pseq = seq`; entries of the other chains also cover their chain's number, so none can be moved
/// from one chain to another.
pub(crate) fn entry_hash(key: &[u8; 32], e: &audit_log::Model) -> String {
    let mut fields: Vec<String> = vec![
        e.pseq.to_string(),
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
    if e.part != 0 {
        fields.push(format!("chain {}", e.part));
    }
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

/// A head's seal: an HMAC with the audit key over its chain, position and hash. Without the key nobody can rewind
/// a head to match entries cut off the end, nor copy one chain's head onto another (chain 0 keeps the seal of the
/// single chain it began as).
pub(crate) fn head_seal(key: &[u8; 32], part: i32, seq: i64, hash: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    let chain = format!("chain {part}");
    let seq = seq.to_string();
    let fields: Vec<&str> = if part == 0 {
        vec!["audit-head", &seq, hash]
    } else {
        vec!["audit-head", &chain, &seq, hash]
    };
    for f in fields {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Seals a head written before heads were sealed (once, at the first start of a version that seals them): the
/// state it vouches for is the one found then.
/// (Only chain 0's head predates seals.)
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
                &head_seal(&key, 0, head.seq, &head.hash),
            ))),
            ..Default::default()
        }
        .update(c)
        .await?;
    }
    Ok(())
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
