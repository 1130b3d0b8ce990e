//! Appointments. Each occurrence of a series is its own row, so moving or cancelling one never touches another.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub series_id: Option<Uuid>,
    pub occurrence_index: Option<i32>,
    pub type_key: String,
    pub kind: String,
    pub mode: String,
    pub status: String,
    pub clinician_id: Uuid,
    pub room_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub start_at: DateTimeUtc,
    pub end_at: DateTimeUtc,
    /// The session widened by its type's buffers: what conflict checks compare.
    pub busy_start: DateTimeUtc,
    pub busy_end: DateTimeUtc,
    /// The zone the appointment was booked in (shown to the client).
    pub time_zone: String,
    /// Encrypted: a reason can be clinical ("admitted to hospital").
    pub cancel_reason: Option<Vec<u8>>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
