//! A passkey ceremony between its two steps: the challenge sent to the browser, awaiting the answer. One per
//! session (or per sign-in handle), sealed; swept once expired.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkey_ceremonies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// What the ceremony is bound to: the session's id hash, or the SHA-256 of a passwordless sign-in's handle.
    pub binding: String,
    /// `register`, `authenticate` or `passwordless`: an answer is taken only by the step of its own kind.
    pub kind: String,
    /// The ceremony's state (the challenge and what it allows), sealed (`passkey_ceremonies`/`state`/binding).
    pub state: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
