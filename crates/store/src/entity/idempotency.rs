//! What a create answered under an Idempotency-Key, for 24 hours.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose key this is (`staff:<id>`, `portal:<id>`): keys are per caller.
    pub caller: String,
    pub key: String,
    /// Method and route template, e.g. `POST /api/v1/clients`.
    pub route: String,
    /// SHA-256 of the request body, hex.
    pub request_hash: String,
    pub status: i32,
    pub location: Option<String>,
    /// The response body (JSON) as ciphertext bound to this row.
    pub sealed_response: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
