//! One completed questionnaire. `answers` is ciphertext (the item → value map); the score is kept in plain
//! columns so that trends and dashboards never decrypt answers.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "measure_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub instrument_id: String,
    pub assignment_id: Option<Uuid>,
    pub link_id: Option<Uuid>,
    /// `client_link` or `staff`.
    pub entered_via: String,
    pub entered_by: Option<Uuid>,
    pub answers: Vec<u8>,
    pub total: Option<f64>,
    pub valid: bool,
    pub prorated: bool,
    pub band: Option<String>,
    pub risk_level: Option<String>,
    pub critical: bool,
    pub completed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
