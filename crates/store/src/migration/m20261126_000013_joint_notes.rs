//! Joint notes of couples and families (a note may belong to a unit, and then appears in each member's chart),
//! and the release of a note to someone outside the practice: the consents it needs and the record of each
//! disclosure (the client's accounting of disclosures).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        m.alter_table(
            Table::alter()
                .table(n("notes"))
                .add_column(uuid_null(n("unit_id")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notes_unit")
                .table(n("notes"))
                .col(n("unit_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("note_release_consents"))
                .col(uuid(n("note_id")))
                .col(uuid(n("client_id")))
                .col(text(n("how")))
                .col(uuid(n("recorded_by")))
                .col(tstz("recorded_at"))
                .primary_key(Index::create().col(n("note_id")).col(n("client_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("note_release_consents"), n("note_id"))
                        .to(n("notes"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("note_releases"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("note_id")))
                .col(blob(n("recipient")))
                .col(blob(n("purpose")))
                .col(uuid(n("released_by")))
                .col(tstz("released_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("note_releases"), n("note_id"))
                        .to(n("notes"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_note_releases_note")
                .table(n("note_releases"))
                .col(n("note_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
