//! Outbox claims get a lease: each sending attempt records the Message-ID it puts on the e-mail before it talks to
//! the SMTP server, so a claim left by a process that died can be taken over and the takeover is visible.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(name("outbox"))
                .add_column(text_null(name("message_id")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
