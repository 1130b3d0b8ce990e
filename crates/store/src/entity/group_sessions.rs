//! Sessions of a therapy group. `shared_note` is ciphertext; `talk_tally` is the saved fair-facilitation tally
//! (JSON of client ids and milliseconds, no names).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub group_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub session_date: Date,
    /// "open" or "signed".
    pub status: String,
    pub shared_note: Option<Vec<u8>>,
    pub talk_tally: Option<String>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub signed_by: Option<Uuid>,
    pub signed_at: Option<DateTimeUtc>,
    /// SHA-256 (hex) of the signed shared note; see `app::groups::sessions`.
    pub content_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
