//! A client's target behaviour. `name` is ciphertext; how it is measured and its target are plain columns.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "behaviours")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: Vec<u8>,
    /// "count", "duration" or "intensity".
    pub kind: String,
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
    /// "reduce" or "increase".
    pub direction: String,
    pub target_value: Option<f64>,
    /// "day" or "week".
    pub target_per: Option<String>,
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<String>,
    pub starts_on: Date,
    pub active: bool,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
