//! Clients waiting for a time. Days are a JSON array of weekday names; times are local `HH:MM:SS`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "waitlist_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub type_key: String,
    pub clinician_id: Option<Uuid>,
    pub mode: Option<String>,
    pub days: String,
    pub earliest: Option<String>,
    pub latest: Option<String>,
    pub time_zone: String,
    pub priority: i32,
    /// Encrypted: why the client is waiting may be clinical.
    pub note: Option<Vec<u8>>,
    /// "waiting", "booked" or "removed".
    pub status: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
