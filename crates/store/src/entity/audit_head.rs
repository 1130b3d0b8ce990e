//! The end of each audit chain, one row per chain (`id` = chain + 1). A transaction locks the heads of the chains it
//! appends to, in ascending order, when it appends.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub seq: i64,
    pub hash: String,
    pub updated_at: DateTimeUtc,
    /// HMAC (audit key) over the chain, `seq` and `hash`: rewinding the head needs the key (see `audit::head_seal`).
    pub seal: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
