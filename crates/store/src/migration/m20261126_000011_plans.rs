//! Treatment plans and their revision history. The plan's content (problems, goals, objectives, interventions)
//! is one sealed JSON document; each change, review, acknowledgement or closure appends a sealed revision.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        let tstz = |c: &str| timestamp_with_time_zone(name(c));
        m.create_table(
            Table::create()
                .table(n("plans"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("client_id")))
                .col(text(n("status")))
                .col(text_null(n("template_key")))
                .col(blob(n("content")))
                .col(uuid(n("created_by")))
                .col(tstz("created_at"))
                .col(tstz("updated_at"))
                .col(integer(n("version")))
                .col(date_null(n("effective_on")))
                .col(date_null(n("next_review_on")))
                .col(timestamp_with_time_zone_null(n("acknowledged_at")))
                .col(text_null(n("acknowledged_how")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("plans"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_plans_client")
                .table(n("plans"))
                .col(n("client_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("plan_revisions"))
                .col(uuid(n("id")).primary_key())
                .col(uuid(n("plan_id")))
                .col(integer(n("version")))
                .col(text(n("kind")))
                .col(blob(n("content")))
                .col(blob_null(n("note")))
                .col(uuid(n("author_id")))
                .col(tstz("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("plan_revisions"), n("plan_id"))
                        .to(n("plans"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_plan_revisions_plan")
                .table(n("plan_revisions"))
                .col(n("plan_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
