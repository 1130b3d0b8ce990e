//! An alert raised by a critical answer, open until a care-team clinician acknowledges it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "measure_alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub response_id: Uuid,
    pub client_id: Uuid,
    /// Instrument and item numbers only (e.g. "PHQ-9: critical answer to item 9"), never the item's wording.
    pub reason: String,
    /// The reason, sealed; `reason` is empty once this is set.
    pub sealed_reason: Option<Vec<u8>>,
    pub raised_at: DateTimeUtc,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    /// What the acknowledging clinician did (`domain::measures::AckAction`), for alerts acknowledged since 000037.
    pub ack_action: Option<String>,
    /// Their note, sealed to the row.
    pub ack_note_sealed: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
