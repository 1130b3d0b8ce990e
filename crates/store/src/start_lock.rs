//! One start at a time per database. Opening the store migrates the schema and creates the first data key and
//! the audit chain's head; several servers of one deployment started together (after an upgrade, say) would all
//! try to create the same tables and rows, and all but one would stop with "duplicate key" errors.
//!
//! On PostgreSQL the lock is a session advisory lock held on a connection of its own, so it ends with the
//! process however that ends (the server ends the session); advisory locks belong to one database, so other
//! databases on the same server start undisturbed. An engine without advisory locks starts unlocked, as
//! before, with a warning: there, run `rapport migrate` once before starting several servers. On SQLite it is
//! an exclusive lock on a file beside the database (`rapport.db-start`), never on the database file itself:
//! closing any descriptor of that file would drop the POSIX locks SQLite holds on it in this process.

use crate::{Backend, StoreError};
use sea_orm::sqlx::{self, Connection, PgConnection};
use std::fs::{File, TryLockError};
use std::path::PathBuf;

/// Held while a process opens the store; `release` (or dropping it) lets the next one start.
pub(crate) enum StartLock {
    Postgres(PgConnection),
    File(File),
    None,
}

/// Any fixed number names an advisory lock; this one is "rapport" in ASCII, then 1.
const KEY: i64 = 0x7261_7070_6f72_7401;

/// Waits for the database's start lock and takes it.
pub(crate) async fn take(url: &str, backend: Backend) -> Result<StartLock, StoreError> {
    match backend {
        Backend::Postgres => take_postgres(url).await,
        Backend::Sqlite => match lock_file(url) {
            Some(path) => take_file(path).await,
            None => Ok(StartLock::None),
        },
    }
}

async fn take_postgres(url: &str) -> Result<StartLock, StoreError> {
    // On the host that accepts writes when the URL lists several (the lock must be where the schema is made).
    let mut conn = crate::failover::connect_one(url).await?;
    let got: Result<bool, sqlx::Error> = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(KEY)
        .fetch_one(&mut conn)
        .await;
    match got {
        Ok(true) => Ok(StartLock::Postgres(conn)),
        Ok(false) => {
            tracing::info!("another Rapport process is starting on this database; waiting for it");
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(KEY)
                .execute(&mut conn)
                .await
                .map_err(|e| StoreError::Unreachable(e.to_string()))?;
            Ok(StartLock::Postgres(conn))
        }
        // 42883: no such function; 0A000: not supported. Any other failure is the database's, not the engine's.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42883" | "0A000")) => {
            tracing::warn!(error = %e, "this database has no advisory locks: starting without the start lock (run `rapport migrate` once before starting several servers)");
            let _ = conn.close().await;
            Ok(StartLock::None)
        }
        Err(e) => Err(StoreError::Unreachable(e.to_string())),
    }
}

/// `rapport.db-start` beside `rapport.db`; none for an in-memory database.
fn lock_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.starts_with(':') {
        return None;
    }
    let mut name = PathBuf::from(path).into_os_string();
    name.push("-start");
    Some(PathBuf::from(name))
}

async fn take_file(path: PathBuf) -> Result<StartLock, StoreError> {
    let mut options = File::options();
    options.create(true).truncate(false).write(true);
    // Empty, but private like the database beside it (the start warns about any file there others can read).
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&path)
        .map_err(|e| StoreError::Unreachable(format!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => return Ok(StartLock::File(file)),
        Err(TryLockError::WouldBlock) => {
            tracing::info!("another Rapport process is starting on this database; waiting for it");
        }
        Err(TryLockError::Error(e)) => {
            return Err(StoreError::Unreachable(format!("{}: {e}", path.display())));
        }
    }
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| StoreError::Unreachable(format!("waiting for the start lock: {e}")))?
        .map(StartLock::File)
        .map_err(|e| StoreError::Unreachable(format!("{}: {e}", path.display())))
}

impl StartLock {
    /// Lets the next process start. Dropping the lock does too; this says so to PostgreSQL at once.
    pub(crate) async fn release(self) {
        match self {
            StartLock::Postgres(mut conn) => {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(KEY)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
            StartLock::File(file) => {
                let _ = file.unlock();
            }
            StartLock::None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_a_sqlite_database() {
        assert_eq!(
            lock_file("sqlite:///data/rapport.db?mode=rwc"),
            Some(PathBuf::from("/data/rapport.db-start"))
        );
        assert_eq!(
            lock_file("sqlite:rapport-data/rapport.db"),
            Some(PathBuf::from("rapport-data/rapport.db-start"))
        );
        assert_eq!(lock_file("sqlite::memory:"), None);
        assert_eq!(lock_file("postgres://localhost/x"), None);
    }
}
