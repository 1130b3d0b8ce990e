//! Indexes for calendar and slot queries, which filter on the session's start (benchmarks showed full scans).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_appointments_start")
                .table(name("appointments"))
                .col(name("start_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appointments_clinician_start")
                .table(name("appointments"))
                .col(name("clinician_id"))
                .col(name("start_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
