//! Homework can be linked to a treatment-plan objective, as behaviours are: the plan's id and the objective's
//! stable id within it (`p1.g1.o1`), both plain (the objective's words stay in the sealed plan). No foreign key:
//! SQLite cannot add one to an existing table, and plans are never deleted; the use cases check the link.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(name("homework"))
                .add_column(uuid_null(name("plan_id")))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("homework"))
                .add_column(text_null(name("objective_id")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
