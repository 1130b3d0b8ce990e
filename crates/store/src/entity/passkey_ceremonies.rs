//! A passkey ceremony between its two steps: the challenge sent to the browser, awaiting the answer. One per
//! session, sealed, gone with the session.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkey_ceremonies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_hash: String,
    /// `register` or `authenticate`: an answer is taken only by the step of its own kind.
    pub kind: String,
    /// The ceremony's state (the challenge and what it allows), sealed (`passkey_ceremonies`/`state`/session).
    pub state: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
