//! Outgoing e-mail is sealed: a message can carry a live one-time link (a portal welcome, a questionnaire, a
//! diary), and a copy of the database alone must open nothing. The body moves to `sealed_body` (ciphertext bound
//! to its row), and is dropped once the message is sent or cancelled.
//!
//! Rows queued before this migration keep their plain body until they are sent; those already sent or cancelled
//! lose it here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(name("outbox"))
                .add_column(blob_null(name("sealed_body")))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE outbox SET body = '' WHERE sent_at IS NOT NULL OR cancelled_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }
}
