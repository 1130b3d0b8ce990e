//! The row `/readyz` rewrites to learn whether a write can commit (see `Store::probe_write`). It carries a few
//! pages of random padding, so that "ready" means a write the size of a real one fits, not just a changed byte.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(name("readiness_probe"))
                .col(integer(name("id")).primary_key())
                .col(timestamp_with_time_zone(name("probed_at")))
                .col(blob(name("pad")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
