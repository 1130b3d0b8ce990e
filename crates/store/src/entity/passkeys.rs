//! A staff member's registered passkeys (WebAuthn credentials); the credential itself is sealed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkeys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// The authenticator's credential id, base64url: unique, so one key never signs in two accounts.
    #[sea_orm(unique)]
    pub credential_id: String,
    /// The name its owner gave it ("work laptop"), to tell passkeys apart.
    pub name: String,
    /// The serialised credential (public key, counter, flags), sealed (`passkeys`/`passkey`/id).
    pub passkey: Vec<u8>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
