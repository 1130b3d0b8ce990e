//! Clinical and psychotherapy notes. `content` is ciphertext (a JSON map of field → text); `template` is the
//! template the note was written with, as JSON, so later template changes never reinterpret it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub kind: String,
    pub template_key: String,
    pub template: String,
    pub author_id: Uuid,
    pub service_date: Date,
    pub status: String,
    pub content: Vec<u8>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub signed_at: Option<DateTimeUtc>,
    /// SHA-256 (hex) of what was signed; see `notes::signed_hash`.
    pub content_hash: Option<String>,
    pub cosign_required: bool,
    pub cosigned_by: Option<Uuid>,
    pub cosigned_at: Option<DateTimeUtc>,
    /// A joint note of a couple or family: it appears in each member's chart.
    pub unit_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
