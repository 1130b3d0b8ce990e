//! Clinical notes (psychotherapy notes included, told apart by kind), their addenda, psychotherapy-note shares for
//! supervision, and practice-defined note templates.
//!
//! A note keeps a copy of the template it was written with, so changing a template never changes what an old
//! signed note meant.

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
                .table(n("notes"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(uuid_null(n("appointment_id")))
                .col(text(n("kind")))
                .col(text(n("template_key")))
                .col(text(n("template")))
                .col(uuid(n("author_id")))
                .col(date(n("service_date")))
                .col(text(n("status")))
                .col(blob(n("content")))
                .col(integer(n("version")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .col(tstz_null("signed_at"))
                .col(text_null(n("content_hash")))
                .col(boolean(n("cosign_required")))
                .col(uuid_null(n("cosigned_by")))
                .col(tstz_null("cosigned_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("notes"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("notes"), n("author_id"))
                        .to(n("users"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        for (idx, cols) in [
            ("idx_notes_client_date", &["client_id", "service_date"][..]),
            ("idx_notes_author_status", &["author_id", "status"][..]),
            ("idx_notes_status", &["status"][..]),
        ] {
            let mut i = Index::create();
            i.name(idx).table(n("notes"));
            for c in cols {
                i.col(n(c));
            }
            m.create_index(i.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(n("note_addenda"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("note_id")))
                .col(uuid(n("author_id")))
                .col(blob(n("body")))
                .col(text(n("content_hash")))
                .col(tstz("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("note_addenda"), n("note_id"))
                        .to(n("notes"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_note_addenda_note")
                .table(n("note_addenda"))
                .col(n("note_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("note_shares"))
                .col(uuid(n("note_id")))
                .col(uuid(n("user_id")))
                .col(text(n("purpose")))
                .col(tstz("created_at"))
                .primary_key(Index::create().col(n("note_id")).col(n("user_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("note_shares"), n("note_id"))
                        .to(n("notes"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("note_templates"))
                .col(text(n("key")).primary_key())
                .col(text(n("label")))
                .col(text(n("kind")))
                .col(text(n("fields")))
                .col(boolean(n("active")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
