//! A supervisor's feedback when co-signing a trainee's note (`note_feedback`): kept with the note, one per note,
//! sealed because it speaks of the session and so of the client.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(name("note_feedback"))
                .col(uuid(name("note_id")).primary_key())
                .col(uuid(name("given_by")))
                .col(timestamp_with_time_zone(name("given_at")))
                .col(blob(name("feedback")))
                .foreign_key(
                    ForeignKey::create()
                        .from(name("note_feedback"), name("note_id"))
                        .to(name("notes"), name("id")),
                )
                .to_owned(),
        )
        .await
    }
}
