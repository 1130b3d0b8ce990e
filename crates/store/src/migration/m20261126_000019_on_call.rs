//! The on-call rota: one row per shift (a clinician from `start_at` to `end_at`, both UTC, with the zone the times
//! were entered in). Overlap of one person's shifts is checked by the repository inside the writing transaction.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        m.create_table(
            Table::create()
                .table(n("on_call_shifts"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("user_id")))
                .col(tstz("start_at"))
                .col(tstz("end_at"))
                .col(text(n("time_zone")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("on_call_shifts"), n("user_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_on_call_shifts_start")
                .table(n("on_call_shifts"))
                .col(n("start_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_on_call_shifts_user_start")
                .table(n("on_call_shifts"))
                .col(n("user_id"))
                .col(n("start_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
