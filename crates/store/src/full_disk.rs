//! A full disk must cost the write being made, never one already acknowledged: how its errors are recognised,
//! and which pooled connections may be used again after one.
//!
//! What went wrong before (issue 13): on SQLite a COMMIT that fails for want of space can end the transaction by
//! itself; the ROLLBACK that follows then fails too, and sqlx, which counts transaction depth itself, still
//! believes the connection is inside a transaction. Back in the pool, the next `BEGIN` on it became a SAVEPOINT,
//! and a failed write's `ROLLBACK TO` left a transaction open that nothing ever committed: later writes were
//! answered 201, held in that transaction, and lost at the next stop. So a connection whose depth is not zero is
//! never handed out again (the pool closes it and opens a fresh one), and every `BEGIN` on a handed-out
//! connection is a real `BEGIN`, which SQLite itself refuses inside a transaction.

use sea_orm::{DbErr, RuntimeErr};

/// How much `/readyz`'s test write carries: more than most real writes (a client with its audit entry), so that
/// ready means they fit.
pub(crate) const PROBE_BYTES: usize = 16 * 1024;

pub(crate) const PROBE_SQL_SQLITE: &str = "INSERT INTO readiness_probe (id, probed_at, pad) VALUES (1, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, pad = excluded.pad";
pub(crate) const PROBE_SQL_PG: &str = "INSERT INTO readiness_probe (id, probed_at, pad) VALUES (1, $1, $2) \
     ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, pad = excluded.pad";

/// SQLite's SQLITE_FULL; PostgreSQL's `disk_full` class 53100.
const FULL_CODES: [&str; 2] = ["13", "53100"];

/// Whether `e` says the disk (or the tablespace) has no room for the write.
pub(crate) fn is_full(e: &DbErr) -> bool {
    let runtime = match e {
        DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    match runtime {
        RuntimeErr::SqlxError(sqlx) => sqlx
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| FULL_CODES.contains(&code.as_ref())),
        _ => false,
    }
}

/// Whether a pooled connection may be handed out: not if it still counts itself inside a transaction, which only
/// happens after a COMMIT or ROLLBACK failed (see the module comment).
pub(crate) fn reusable<C: sea_orm::sqlx::Connection>(conn: &C) -> bool {
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!(
            "a database connection was left inside a failed transaction; it is closed, not reused"
        );
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx::{Connection, SqliteConnection};

    /// The pool's test sees the count sqlx keeps: inside a transaction not reusable, after it reusable again.
    #[tokio::test]
    async fn a_connection_inside_a_transaction_is_not_reused() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        assert!(reusable(&conn));
        let tx = conn.begin().await.unwrap();
        tx.commit().await.unwrap();
        assert!(reusable(&conn));
        let mut tx = conn.begin().await.unwrap();
        assert!(!reusable(&*tx));
        sea_orm::sqlx::query("SELECT 1")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(reusable(&conn));
    }

    #[test]
    fn other_errors_are_not_a_full_disk() {
        assert!(!is_full(&DbErr::Custom("database or disk is full".into())));
        assert!(!is_full(&DbErr::Exec(RuntimeErr::Internal("13".into()))));
    }
}
