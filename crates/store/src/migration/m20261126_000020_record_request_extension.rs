//! Record requests: HIPAA's one extension of up to 30 days (45 CFR 164.524(b)(2)(iii)). Who extended it, when, and
//! the reasons given to the requester (sealed, like the other free text of a request); the due date itself moves.
//!
//! Numbered 000020: 000019 is kept for a parallel branch, and migrations apply in name order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            uuid_null(name("extended_by")),
            timestamp_with_time_zone_null(name("extended_at")),
            blob_null(name("extension_reason")),
        ] {
            m.alter_table(
                Table::alter()
                    .table(name("record_requests"))
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
