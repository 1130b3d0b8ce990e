//! Relationship units: a couple or a family treated together.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// "couple" or "family".
    pub kind: String,
    /// A neutral label for staff lists ("Couple 14"), never built from clinical text.
    pub label: String,
    /// The label, sealed; `label` is empty once this is set.
    pub sealed_label: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    /// When the couple's or family's joint work ended: no joint note or change after it.
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
