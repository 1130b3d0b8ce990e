//! Idempotency keys: what a create answered, kept 24 hours so a retried request gets the same answer instead of
//! a second record. One row per (caller, key), which is what makes concurrent duplicates wait for the first; the
//! answer is sealed (it may carry clinical data), the key, route and request hash are not.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("idempotency"))
                .col(uuid(n("id")).primary_key())
                .col(text(n("caller")))
                .col(text(n("key")))
                .col(text(n("route")))
                .col(text(n("request_hash")))
                .col(integer(n("status")))
                .col(text_null(n("location")))
                .col(blob(n("sealed_response")))
                .col(timestamp_with_time_zone(n("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_idempotency_caller_key")
                .table(n("idempotency"))
                .col(n("caller"))
                .col(n("key"))
                .unique()
                .to_owned(),
        )
        .await?;
        // The sweep deletes by age.
        m.create_index(
            Index::create()
                .name("idx_idempotency_created")
                .table(n("idempotency"))
                .col(n("created_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
