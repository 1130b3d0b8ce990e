//! Medications a client takes: the dates plain (for ordering and "current"), everything else sealed; stopped
//! once, with a version for lost-update checks.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("medications"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(blob(n("content")))
                .col(date(n("started_on")))
                .col(date_null(n("stopped_on")))
                .col(integer(n("version")))
                .col(uuid(n("recorded_by")))
                .col(timestamp_with_time_zone(n("recorded_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("medications"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_medications_client")
                .table(n("medications"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
