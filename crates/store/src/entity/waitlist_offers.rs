//! Times offered to a waiting client after a cancellation.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "waitlist_offers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub entry_id: Uuid,
    pub clinician_id: Uuid,
    pub start_at: DateTimeUtc,
    pub end_at: DateTimeUtc,
    /// The cancelled appointment that freed the time.
    pub freed_by: Uuid,
    pub emailed: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
