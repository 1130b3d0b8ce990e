//! The waitlist: clients waiting for a time, with preferences and priority, and the offers made to them when a
//! session is cancelled.

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
                .table(n("waitlist_entries"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(text(n("type_key")))
                .col(uuid_null(n("clinician_id")))
                .col(text_null(n("mode")))
                .col(text(n("days")))
                .col(text_null(n("earliest")))
                .col(text_null(n("latest")))
                .col(text(n("time_zone")))
                .col(integer(n("priority")))
                .col(blob_null(n("note")))
                .col(text(n("status")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("waitlist_entries"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_waitlist_status")
                .table(n("waitlist_entries"))
                .col(n("status"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("waitlist_offers"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("entry_id")))
                .col(uuid(n("clinician_id")))
                .col(tstz("start_at"))
                .col(tstz("end_at"))
                .col(uuid(n("freed_by")))
                .col(boolean(n("emailed")))
                .col(tstz("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("waitlist_offers"), n("entry_id"))
                        .to(n("waitlist_entries"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_waitlist_offers_entry")
                .table(n("waitlist_offers"))
                .col(n("entry_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
