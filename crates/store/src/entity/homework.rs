//! Homework set for a client. Title, instructions and the client's completion note are ciphertext.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "homework")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub title: Vec<u8>,
    pub instructions: Option<Vec<u8>>,
    pub due_on: Date,
    /// "assigned", "done" or "not_done".
    pub status: String,
    pub completion_note: Option<Vec<u8>>,
    pub completed_at: Option<DateTimeUtc>,
    pub completed_on: Option<Date>,
    /// "diary_link" or "staff".
    pub completed_via: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// The treatment plan and objective (`p1.g1.o1`) the item serves, if any.
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
