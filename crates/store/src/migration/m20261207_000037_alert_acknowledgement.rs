//! Acknowledging an alert says what was done (`measure_alerts.ack_action`: contacted the client, reviewed the
//! safety plan, called emergency services, or no action needed) with an optional note, sealed because it is about
//! the client (`ack_note_sealed`). Alerts acknowledged before this have neither.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(name("measure_alerts"))
                .add_column(string_null(name("ack_action")))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("measure_alerts"))
                .add_column(blob_null(name("ack_note_sealed")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
