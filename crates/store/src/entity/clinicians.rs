//! Clinician profiles, one per clinical staff account. List fields are JSON arrays.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clinicians")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub time_zone: String,
    pub specialisations: String,
    pub age_groups: String,
    pub modalities: String,
    pub languages: String,
    pub accepts_new_clients: bool,
    pub weekly_hours: String,
    pub licences: Option<String>,
    pub bio: Option<String>,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
