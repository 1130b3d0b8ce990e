//! Record requests (the right of access): who asked for a client's record, when, in what capacity, the format and
//! delivery wanted, the due date fixed when logged, and the answer (fulfilled or denied, by whom and when). The
//! requester's name, the notes and a denial's reason are sealed.
//!
//! Numbered 000017, not 000016: that number may be taken by a parallel branch, and migrations apply in name order.

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
                .table(n("record_requests"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(date(n("received_on")))
                .col(text(n("capacity")))
                .col(blob_null(n("requester")))
                .col(text(n("format")))
                .col(text(n("delivery")))
                .col(blob_null(n("notes")))
                .col(date(n("due_on")))
                .col(text(n("status")))
                .col(uuid(n("logged_by")))
                .col(tstz("logged_at"))
                .col(uuid_null(n("decided_by")))
                .col(timestamp_with_time_zone_null(n("decided_at")))
                .col(blob_null(n("denial_reason")))
                .col(integer(n("version")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("record_requests"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_record_requests_status_due")
                .table(n("record_requests"))
                .col(n("status"))
                .col(n("due_on"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_record_requests_client")
                .table(n("record_requests"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
