//! Treatment plans. `content` is the sealed plan document (problems → goals → objectives → interventions).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    /// "draft", "active" or "closed".
    pub status: String,
    pub template_key: Option<String>,
    pub content: Vec<u8>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub effective_on: Option<Date>,
    pub next_review_on: Option<Date>,
    pub acknowledged_at: Option<DateTimeUtc>,
    /// How the client acknowledged the plan ("signed in session", "verbally", …).
    pub acknowledged_how: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
