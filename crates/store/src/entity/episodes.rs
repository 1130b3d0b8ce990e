//! Episodes of care. Presenting problems and diagnoses are ciphertext.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "episodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub opened_on: Date,
    pub closed_on: Option<Date>,
    pub presenting_problems: Option<Vec<u8>>,
    /// JSON array of ICD-10-CM codes, encrypted.
    pub diagnoses: Option<Vec<u8>>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
