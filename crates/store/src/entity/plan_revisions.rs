//! The history of a plan: each change, activation, review, acknowledgement or closure, with the plan as it was
//! after it (sealed) and an optional sealed note.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    pub version: i32,
    pub kind: String,
    pub content: Vec<u8>,
    pub note: Option<Vec<u8>>,
    pub author_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
