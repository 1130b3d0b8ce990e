//! Recurring series: the rule and wall-clock start from which occurrences were made.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// RFC 5545 RRULE text.
    pub rule: String,
    /// Wall-clock start of the first occurrence, `YYYY-MM-DDTHH:MM:SS`, in `time_zone`.
    pub start_local: String,
    pub time_zone: String,
    pub clinician_id: Uuid,
    pub type_key: String,
    /// Set when this series continues another from "this and following".
    pub previous_series_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
