//! Account hardening: a new authenticator waits beside the current one until its first code confirms it (so
//! starting a change never switches the second factor off), and API tokens expire.
//!
//! Tokens made before this migration have no `expires_at`; they are read as expiring 90 days after creation.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(name("users"))
                .add_column(blob_null(name("totp_pending_secret")))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("api_tokens"))
                .add_column(timestamp_with_time_zone_null(name("expires_at")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
