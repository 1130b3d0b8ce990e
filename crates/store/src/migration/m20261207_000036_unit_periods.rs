//! Couples and families change: a member leaves (`unit_members.left_at`) and a unit ends (`units.ended_at`).
//!
//! Nothing is deleted: a joint note stays in the chart of everyone who was a member when it was written, so a
//! membership becomes a period (`added_at` to `left_at`) instead of a row that could vanish with its notes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [("unit_members", "left_at"), ("units", "ended_at")] {
            m.alter_table(
                Table::alter()
                    .table(name(table))
                    .add_column(timestamp_with_time_zone_null(name(column)))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
