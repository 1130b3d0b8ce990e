//! Group names, unit labels and measure alerts' reasons are sealed: each gets a ciphertext column bound to its row,
//! and the plain column is left empty once the value is sealed.
//!
//! The migration cannot seal (the data keys are unwrapped by the keyring, after migrations run): `Store::open`
//! seals every row whose ciphertext is still missing, at each start, so rows of an older version are sealed at the
//! first start of this one (`sealed_labels::seal_plain_rows`). The plain columns stay (NOT NULL, empty) because
//! SQLite cannot drop a column's constraint without rebuilding the table.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("groups", "sealed_name"),
            ("units", "sealed_label"),
            ("measure_alerts", "sealed_reason"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(name(table))
                    .add_column(blob_null(name(column)))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
