//! Referrals out of the practice: kind, urgency, status and dates plain (to list open ones and order them), the
//! recipient, the reason and the notes of each status change sealed; a version for lost-update checks.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("referrals"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(text(n("kind")))
                .col(text(n("urgency")))
                .col(text(n("status")))
                .col(date(n("sent_on")))
                .col(date(n("status_on")))
                .col(blob(n("content")))
                .col(integer(n("version")))
                .col(uuid(n("created_by")))
                .col(timestamp_with_time_zone(n("created_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("referrals"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_referrals_client")
                .table(n("referrals"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
