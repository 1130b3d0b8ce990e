//! One-time booking links e-mailed to existing clients (hash only, short-lived, single use).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("booking_links"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(text_uniq(n("token_hash")))
                .col(timestamp_with_time_zone(n("created_at")))
                .col(timestamp_with_time_zone(n("expires_at")))
                .col(timestamp_with_time_zone_null(n("used_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("booking_links"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
