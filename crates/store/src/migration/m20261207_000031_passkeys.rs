//! Passkeys (WebAuthn) for staff: the credentials an account registered, and the state of a ceremony between its
//! two steps (options sent, answer awaited), kept server-side and bound to the session that started it (or, for a
//! sign-in with the passkey alone, to a one-time handle the browser was given; only its hash is kept).
//!
//! The serialised credential (public key, signature counter, backup flags) is sealed: it is not secret, but it
//! belongs with the account, and sealing binds it to its row so that a credential copied into another account's
//! row does not open there. The credential id stays plain, unique across all accounts: one authenticator key
//! signs in one account only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("passkeys"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("user_id")))
                .col(text_uniq(n("credential_id")))
                .col(text(n("name")))
                .col(blob(n("passkey")))
                .col(timestamp_with_time_zone(n("created_at")))
                .col(timestamp_with_time_zone_null(n("last_used_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("passkeys"), n("user_id"))
                        .to(n("users"), n("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_passkeys_user_id")
                .table(n("passkeys"))
                .col(n("user_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("passkey_ceremonies"))
                .col(text(n("binding")).primary_key())
                .col(text(n("kind")))
                .col(blob(n("state")))
                .col(timestamp_with_time_zone(n("created_at")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
