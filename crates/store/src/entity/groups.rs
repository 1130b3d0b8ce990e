//! Therapy groups.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Empty once `sealed_name` holds the name (the name can say what the group treats: "Anger management").
    pub name: String,
    pub sealed_name: Option<Vec<u8>>,
    /// "process", "psychoeducation", "skills" or "support".
    pub kind: String,
    pub capacity: i32,
    pub created_at: DateTimeUtc,
    /// Bumped by every change of name, kind, capacity or facilitators (optimistic concurrency).
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
