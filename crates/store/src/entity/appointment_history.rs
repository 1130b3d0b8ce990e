//! What happened to an appointment: reschedules and status changes, for the people who run the calendar.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointment_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub appointment_id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    /// "booked", "rescheduled", "status".
    pub change: String,
    pub from_start: Option<DateTimeUtc>,
    pub to_start: Option<DateTimeUtc>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
