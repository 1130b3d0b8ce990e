//! Group sessions: a session of a group on a date (optionally the group appointment it documents), attendance per
//! member with their short individual note, the talk-time clicks of fair facilitation, and the shared note. Groups
//! gain a version so two people editing one group cannot overwrite each other.
//!
//! The shared note and individual notes are sealed; attendance and talk clicks are ids and instants only. A session
//! documents at most one appointment (unique index; NULLs do not collide on either database).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        let tstz_null = |c: &str| timestamp_with_time_zone_null(name(c));
        m.alter_table(
            Table::alter()
                .table(n("groups"))
                .add_column(integer(n("version")).default(1))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("group_sessions"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("group_id")))
                .col(uuid_null(n("appointment_id")))
                .col(date(n("session_date")))
                .col(text(n("status")))
                .col(blob_null(n("shared_note")))
                .col(text_null(n("talk_tally")))
                .col(integer(n("version")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .col(uuid_null(n("signed_by")))
                .col(tstz_null("signed_at"))
                .col(text_null(n("content_hash")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_sessions"), n("group_id"))
                        .to(n("groups"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_sessions_group_date")
                .table(n("group_sessions"))
                .col(n("group_id"))
                .col(n("session_date"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_sessions_appointment")
                .table(n("group_sessions"))
                .col(n("appointment_id"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("group_attendance"))
                .col(uuid(n("session_id")))
                .col(uuid(n("client_id")))
                .col(text(n("status")))
                .col(blob_null(n("note")))
                .col(text_null(n("note_hash")))
                .col(tstz("updated_at"))
                .primary_key(Index::create().col(n("session_id")).col(n("client_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_attendance"), n("session_id"))
                        .to(n("group_sessions"), n("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_attendance"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_attendance_client")
                .table(n("group_attendance"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("group_talk_events"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("session_id")))
                .col(uuid_null(n("client_id")))
                .col(tstz("at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("group_talk_events"), n("session_id"))
                        .to(n("group_sessions"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_group_talk_events_session")
                .table(n("group_talk_events"))
                .col(n("session_id"))
                .col(n("at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
