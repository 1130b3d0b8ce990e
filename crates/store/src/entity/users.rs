//! Staff accounts. The TOTP secret is ciphertext (see `crypto`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    /// Comma-separated role names, e.g. "clinician,supervisor".
    pub roles: String,
    pub must_change_password: bool,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled: bool,
    /// A new authenticator's secret (ciphertext) until its first code confirms it; the current one stays meanwhile.
    pub totp_pending_secret: Option<Vec<u8>>,
    /// The last accepted TOTP time step, so a code cannot be replayed within its window.
    pub totp_last_step: Option<i64>,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
