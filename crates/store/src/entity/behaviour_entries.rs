//! One logged value of a behaviour on one of the client's calendar days (plain numbers: summaries never decrypt).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "behaviour_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub behaviour_id: Uuid,
    pub client_id: Uuid,
    pub entry_date: Date,
    pub value: f64,
    /// "diary_link" or "staff".
    pub entered_via: String,
    pub entered_by: Option<Uuid>,
    pub link_id: Option<Uuid>,
    pub logged_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
