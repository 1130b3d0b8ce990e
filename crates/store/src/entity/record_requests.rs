//! Requests for a client's record (right of access). Requester, notes, denial and extension reasons are ciphertext.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "record_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub received_on: Date,
    pub capacity: String,
    pub requester: Option<Vec<u8>>,
    pub format: String,
    pub delivery: String,
    pub notes: Option<Vec<u8>>,
    pub due_on: Date,
    pub status: String,
    pub logged_by: Uuid,
    pub logged_at: DateTimeUtc,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub denial_reason: Option<Vec<u8>>,
    pub version: i32,
    pub extended_by: Option<Uuid>,
    pub extended_at: Option<DateTimeUtc>,
    pub extension_reason: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
