//! The e-mail outbox: messages are written in the transaction that causes them and sent later by a worker,
//! at most once each (a unique key per reminder).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        let tstz_null = |c: &str| timestamp_with_time_zone_null(name(c));
        m.create_table(
            Table::create()
                .table(n("outbox"))
                .col(uuid(n("id")).primary_key())
                .col(text_uniq(n("dedupe_key")))
                .col(text(n("kind")))
                .col(uuid_null(n("appointment_id")))
                .col(text(n("recipient")))
                .col(text(n("subject")))
                .col(text(n("body")))
                .col(tstz("due_at"))
                .col(integer(n("attempts")))
                .col(tstz("next_attempt_at"))
                .col(tstz_null("claimed_at"))
                .col(tstz_null("sent_at"))
                .col(tstz_null("cancelled_at"))
                .col(text_null(n("last_error")))
                .col(tstz("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_next")
                .table(n("outbox"))
                .col(n("next_attempt_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_appointment")
                .table(n("outbox"))
                .col(n("appointment_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
