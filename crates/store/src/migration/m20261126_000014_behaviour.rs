//! Behaviour modification: target behaviours of a client (name sealed; measure, direction, target and the link
//! to a plan objective in plain columns), their log entries (plain numbers, so weekly summaries never decrypt),
//! homework (title, instructions and the client's completion note sealed) and diary links, which, unlike
//! questionnaire links, are used many times until they expire or are revoked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(m: &SchemaManager<'_>, idx: &str, table: &str, cols: &[&str]) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(idx).table(name(table));
    for c in cols {
        i.col(name(*c));
    }
    m.create_index(i.to_owned()).await
}

fn fk(from: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(name(from), name(col))
        .to(name(to), name("id"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        let tstz_null = |c: &str| timestamp_with_time_zone_null(name(c));

        m.create_table(
            Table::create()
                .table(n("behaviours"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(blob(n("name")))
                // `count`, `duration` (minutes) or `intensity` (then the scale's bounds).
                .col(text(n("kind")))
                .col(integer_null(n("scale_min")))
                .col(integer_null(n("scale_max")))
                // `reduce` or `increase`.
                .col(text(n("direction")))
                .col(double_null(n("target_value")))
                // `day` or `week`, with a target.
                .col(text_null(n("target_per")))
                .col(uuid_null(n("plan_id")))
                // The objective's id in the plan, such as `p1.g1.o1`.
                .col(text_null(n("objective_id")))
                // The client's calendar date the diary starts on (summaries count from here).
                .col(date(n("starts_on")))
                .col(boolean(n("active")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz_null("retired_at"))
                .foreign_key(&mut fk("behaviours", "client_id", "clients"))
                .foreign_key(&mut fk("behaviours", "plan_id", "plans"))
                .foreign_key(&mut fk("behaviours", "created_by", "users"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_behaviours_client",
            "behaviours",
            &["client_id", "created_at"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(n("diary_links"))
                .col(uuid(n("id")).primary_key())
                .col(text_uniq(n("token_hash")))
                .col(uuid(n("client_id")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("expires_at"))
                .col(tstz_null("revoked_at"))
                .col(tstz_null("last_used_at"))
                .foreign_key(&mut fk("diary_links", "client_id", "clients"))
                .foreign_key(&mut fk("diary_links", "created_by", "users"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_diary_links_client",
            "diary_links",
            &["client_id", "revoked_at"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(n("behaviour_entries"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("behaviour_id")))
                // Repeated from the behaviour so a client's entries are one index range.
                .col(uuid(n("client_id")))
                .col(date(n("entry_date")))
                .col(double(n("value")))
                // `diary_link` (then `link_id`) or `staff` (then `entered_by`).
                .col(text(n("entered_via")))
                .col(uuid_null(n("entered_by")))
                .col(uuid_null(n("link_id")))
                .col(tstz("logged_at"))
                .foreign_key(&mut fk("behaviour_entries", "behaviour_id", "behaviours"))
                .foreign_key(&mut fk("behaviour_entries", "client_id", "clients"))
                .foreign_key(&mut fk("behaviour_entries", "entered_by", "users"))
                .foreign_key(&mut fk("behaviour_entries", "link_id", "diary_links"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_behaviour_entries_series",
            "behaviour_entries",
            &["behaviour_id", "entry_date"],
        )
        .await?;
        index(
            m,
            "idx_behaviour_entries_client",
            "behaviour_entries",
            &["client_id", "entry_date"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(n("homework"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(blob(n("title")))
                .col(blob_null(n("instructions")))
                .col(date(n("due_on")))
                // `assigned`, `done` or `not_done`.
                .col(text(n("status")))
                .col(blob_null(n("completion_note")))
                .col(tstz_null("completed_at"))
                // The client's calendar date it was done on (for "on time").
                .col(date_null(n("completed_on")))
                // `diary_link` or `staff`.
                .col(text_null(n("completed_via")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .col(integer(n("version")))
                .foreign_key(&mut fk("homework", "client_id", "clients"))
                .foreign_key(&mut fk("homework", "created_by", "users"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_homework_client",
            "homework",
            &["client_id", "due_on"],
        )
        .await?;
        Ok(())
    }
}
