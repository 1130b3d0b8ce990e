//! Clients. Demographics are plain columns; clinical free text is ciphertext bound to its row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub date_of_birth: Date,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: String,
    pub status: String,
    /// Lower-cased names for case-insensitive search that behaves the same on both databases.
    pub search_text: String,
    pub emergency_contacts: String,
    pub guardians: String,
    pub presenting_problem: Option<Vec<u8>>,
    pub clinical_notes: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
