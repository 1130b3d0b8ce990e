//! Safety plans: one per client, the whole plan sealed as one value, with a version for lost-update checks and
//! who changed it last (earlier versions are in the audit log as changes, not as text).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let n = |s: &str| name(s);
        m.create_table(
            Table::create()
                .table(n("safety_plans"))
                .col(uuid(n("client_id")).primary_key())
                .col(blob(n("content")))
                .col(integer(n("version")))
                .col(uuid(n("updated_by")))
                .col(timestamp_with_time_zone(n("updated_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(n("safety_plans"), n("client_id"))
                        .to(n("clients"), n("id")),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
