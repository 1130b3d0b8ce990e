//! Calendar feed tokens: a per-clinician secret URL for subscribing from a calendar app (stored as a hash).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("calendar_feeds"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("clinician_id")))
                .col(text_uniq(n("token_hash")))
                .col(text(n("show")))
                .col(timestamp_with_time_zone(n("created_at")))
                .col(timestamp_with_time_zone_null(n("revoked_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("calendar_feeds"), n("clinician_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_calendar_feeds_clinician")
                .table(n("calendar_feeds"))
                .col(n("clinician_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
