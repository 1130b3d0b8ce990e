//! The audit chain in partitions (docs/SECURITY.md, "The audit chain"): each entry belongs to one of a fixed number
//! of chains (`part`) and has its place in it (`pseq`), so transactions that append to different chains do not
//! wait for one another. `seq` stays the entry's number across the whole log (for listing and paging); on
//! PostgreSQL it comes from a sequence, which never waits, on SQLite from the one writer.
//!
//! Every entry written before this migration is the start of chain 0, in the order it had (`pseq = seq`), so the
//! existing chain and its head (row 1 of `audit_head`) go on verifying unchanged. The heads of the other chains are
//! made and sealed by `Store::open` (the key is not in the database). Writes that must not run side by side (a
//! booking and its conflict check) take `write_turn` instead of the chain's head.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE audit_log ADD COLUMN part INTEGER NOT NULL DEFAULT 0")
            .await?;
        db.execute_unprepared("ALTER TABLE audit_log ADD COLUMN pseq BIGINT NOT NULL DEFAULT 0")
            .await?;
        db.execute_unprepared("UPDATE audit_log SET pseq = seq")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX idx_audit_log_part_pseq ON audit_log (part, pseq)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE write_turn (id INTEGER PRIMARY KEY, taken BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO write_turn (id, taken) VALUES (1, 0)")
            .await?;
        if m.get_database_backend() == sea_orm::DbBackend::Postgres {
            db.execute_unprepared("CREATE SEQUENCE audit_log_seq_numbers")
                .await?;
            db.execute_unprepared(
                "SELECT setval('audit_log_seq_numbers', COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1, false)",
            )
            .await?;
        }
        Ok(())
    }
}
