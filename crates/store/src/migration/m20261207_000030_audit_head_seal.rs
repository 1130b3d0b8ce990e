//! The audit chain's head is sealed: an HMAC (with the keyring's audit key) over its sequence number and hash, so
//! that someone with database access alone cannot cut entries off the end and rewind the head to match.
//!
//! The migration cannot compute the seal (the key is not in the database); `Store::open` seals an unsealed head
//! once, at the first start of this version. Numbered 000030: 000028 and 000029 are kept for a parallel branch.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(name("audit_head"))
                .add_column(string_null(name("seal")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
