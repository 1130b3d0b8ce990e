//! The hash-chained audit log (several chains side by side, see `audit`). Entries carry ids and action names, never names or clinical text.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    /// "user", "operator", "anonymous" or "system".
    pub actor_kind: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub client_id: Option<Uuid>,
    /// "ok", "denied" or "failed".
    pub outcome: String,
    pub request_id: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// Which of the chains (`audit::PARTITIONS`) the entry belongs to.
    pub part: i32,
    /// Its place in that chain, from 1; `seq` is its number in the whole log.
    pub pseq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
