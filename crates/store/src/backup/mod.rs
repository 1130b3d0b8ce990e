//! Backups: a consistent copy of the live database (SQLite `VACUUM INTO`, PostgreSQL `pg_dump` from one snapshot),
//! sealed into one file with a manifest and a checksum; restore into an empty target; verification of a copy.
//!
//! A backup is sealed with a key of its own, wrapped by the keyring's active key-encryption key: the same keyring
//! that unlocks the records inside it opens the file, and nothing else does. The keyring is deliberately not in
//! the backup (a file that carried its own keys would be the whole practice for whoever finds it): operators keep
//! the keyring separately, and again after every `keys rotate` (docs/SECURITY.md).

mod archive;
mod check;
mod postgres;
mod sqlite;

use crate::StoreError;
use crate::keyring::Keyring;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use check::VerifiedCopy;

/// The file format this Rapport writes and reads.
pub const FORMAT: u32 = 1;
/// Backups the server's schedule writes are named `rapport-<UTC time>.rapport-backup`, so they sort by age.
pub const EXTENSION: &str = "rapport-backup";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} already exists; choose a new file name (backups are never overwritten)")]
    Exists(PathBuf),
    #[error("{0} is not a Rapport backup")]
    NotABackup(PathBuf),
    #[error(
        "the checksum of {0} does not match: the file is damaged or was changed; nothing was restored or written"
    )]
    Checksum(PathBuf),
    #[error("the backup cannot be read: {0}")]
    Malformed(String),
    #[error("the backup is damaged: {0}")]
    Damaged(String),
    #[error(
        "this keyring cannot open the backup: it was sealed with key '{0}', which the keyring does not hold (use the keyring that was current when the backup was made)"
    )]
    WrongKeyring(String),
    #[error("the keyring does not belong to this database ({0}); nothing was written")]
    ForeignKeyring(String),
    #[error("the backup is of a {found} database; the target is {target}")]
    WrongKind { found: String, target: String },
    #[error(
        "refusing to restore into {0}: it is not empty (restore only into a new data directory or an empty database)"
    )]
    NotEmpty(String),
    #[error("{0}")]
    Source(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for BackupError {
    fn from(e: sea_orm::DbErr) -> Self {
        BackupError::Store(StoreError::Db(e))
    }
}

/// What kind of copy a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A SQLite database file, as `VACUUM INTO` wrote it.
    SqliteFile,
    /// `pg_dump --format=custom`, restored with `pg_restore`.
    PgDumpCustom,
}

impl Kind {
    pub fn database(self) -> &'static str {
        match self {
            Kind::SqliteFile => "SQLite",
            Kind::PgDumpCustom => "PostgreSQL",
        }
    }
}

/// Written in plain at the start of the file (no clinical content), and bound to every sealed chunk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    /// The Rapport version that made it.
    pub rapport_version: String,
    pub kind: Kind,
    /// The newest migration in the copy.
    pub schema: String,
    /// The audit chains' total length in the copy: a restore must verify exactly this many entries.
    pub audit_entries: i64,
    /// The key-encryption key that wraps the backup's key (the keyring must hold it).
    pub kek_id: String,
    pub wrapped_key: String,
    pub nonce_prefix: String,
    pub chunk_size: u32,
}

impl Manifest {
    fn new(kind: Kind, schema: String, audit_entries: i64) -> Manifest {
        Manifest {
            format: FORMAT,
            created_at: crate::now_utc(),
            rapport_version: env!("CARGO_PKG_VERSION").to_string(),
            kind,
            schema,
            audit_entries,
            kek_id: String::new(),
            wrapped_key: String::new(),
            nonce_prefix: String::new(),
            chunk_size: 0,
        }
    }
}

/// Where a database is: a SQLite file, or a PostgreSQL database URL.
#[derive(Debug, Clone)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// From a database URL as Rapport takes it (`sqlite://path?…` or `postgres://…`).
    pub fn from_url(url: &str) -> Result<Location, BackupError> {
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or(rest);
            Ok(Location::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Location::Postgres(url.to_string()))
        } else {
            Err(BackupError::Source(
                "the database URL must start with sqlite:// or postgres://".into(),
            ))
        }
    }

    pub fn url(&self) -> String {
        match self {
            Location::Sqlite(p) => format!("sqlite://{}?mode=rwc", p.display()),
            Location::Postgres(u) => u.clone(),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Location::Sqlite(_) => Kind::SqliteFile,
            Location::Postgres(_) => Kind::PgDumpCustom,
        }
    }
}

/// Takes a consistent copy of the running database into `out` (a new file), sealed for `keyring`. SQLite's
/// plaintext copy is made beside the database while it is sealed (as private as the database, and never in a
/// shared temporary directory). An audit entry (`backup.create`) is appended first, so the copy records that it
/// was taken.
pub async fn create(
    source: &Location,
    keyring: &Keyring,
    out: &Path,
) -> Result<Manifest, BackupError> {
    if out.exists() {
        return Err(BackupError::Exists(out.to_path_buf()));
    }
    record(source, keyring, "backup.create", out).await?;
    match source {
        Location::Sqlite(db) => sqlite::create(db, keyring, out).await,
        Location::Postgres(url) => postgres::create(url, keyring, out).await,
    }
}

/// Appends one operator entry to the chain of the database at `at`, in a transaction holding the writers' turn.
async fn record(
    at: &Location,
    keyring: &Keyring,
    action: &str,
    file: &Path,
) -> Result<(), BackupError> {
    if let Location::Sqlite(p) = at
        && !p.exists()
    {
        // Connecting would create an empty database there.
        return Err(BackupError::Source(format!(
            "there is no database at {}",
            p.display()
        )));
    }
    let (db, _) = crate::connect(&at.url()).await?;
    let result = async {
        let txn = sea_orm::TransactionTrait::begin(&db).await?;
        crate::audit::chain::take_write_turn(&txn).await?;
        belongs(&txn, keyring).await?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ev = crate::audit::AuditEvent::new(&rapport_domain::Actor::Operator, action, "backup")
            .resource(name);
        crate::audit::chain::append(
            &txn,
            &crate::audit_keys::AuditKeys::from_keyring(keyring),
            vec![(crate::audit::chain::partition_of(&ev), ev)],
            None,
        )
        .await?;
        txn.commit().await?;
        Ok::<_, BackupError>(())
    }
    .await;
    let _ = db.close().await;
    result
}

/// Refuses a keyring that is not this database's before anything is written with it: an entry signed with another
/// audit key would break the chain, and a backup sealed for another keyring could never be restored.
async fn belongs(c: &impl sea_orm::ConnectionTrait, keyring: &Keyring) -> Result<(), BackupError> {
    use crate::entity::{audit_head, data_keys};
    use sea_orm::EntityTrait;
    if let Some(h) = audit_head::Entity::find_by_id(1).one(c).await?
        && let Some(seal) = &h.seal
    {
        let keys = crate::audit_keys::AuditKeys::from_keyring(keyring);
        let sealed_by_it = match (keys.current(Some(seal)), keys.first()) {
            (Ok((id, key)), Ok((first, _))) => crate::audit_keys::seal_matches(
                seal,
                &id,
                &first,
                &crate::audit::head_seal(&key, 0, h.seq, &h.hash),
            ),
            _ => false,
        };
        if !sealed_by_it {
            return Err(BackupError::ForeignKeyring(
                "the audit chain is not sealed with its audit key".into(),
            ));
        }
    }
    for row in data_keys::Entity::find().all(c).await? {
        if keyring.kek(&row.kek_id).is_none() {
            return Err(BackupError::ForeignKeyring(format!(
                "it does not hold key '{}', which wraps data key {}",
                row.kek_id, row.id
            )));
        }
    }
    Ok(())
}

/// Runs file work (sealing, unsealing, pg_dump's stream) on a blocking thread, off the server's async workers.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| BackupError::Source(format!("a backup task stopped: {e}")))?
}

/// Reads a backup's manifest after checking its checksum; nothing is decrypted.
pub fn inspect(file: &Path) -> Result<Manifest, BackupError> {
    Ok(archive::check(file)?.manifest)
}

/// Restores `file` into `target`, which must be empty (no SQLite file there; no table in the PostgreSQL schema).
/// The checksum and the keyring are checked before anything is written; the copy is then opened with the keyring
/// (migrating it if it is older than this Rapport), its chain verified, a sample of sealed values opened, and a
/// `backup.restore` entry appended to its chain.
pub async fn restore(
    file: &Path,
    keyring: &Keyring,
    target: &Location,
) -> Result<VerifiedCopy, BackupError> {
    let checked = archive::check(file)?;
    if checked.manifest.kind != target.kind() {
        return Err(BackupError::WrongKind {
            found: checked.manifest.kind.database().into(),
            target: target.kind().database().into(),
        });
    }
    match target {
        Location::Sqlite(p) => sqlite::ensure_empty(p)?,
        Location::Postgres(u) => postgres::ensure_empty(u).await?,
    }
    let key = checked.key(keyring)?;
    match target {
        Location::Sqlite(p) => sqlite::restore(&checked, &key, p).await?,
        Location::Postgres(u) => postgres::restore(&checked, &key, u).await?,
    }
    let verified = check::open_and_check(target, keyring, &checked.manifest).await?;
    record(target, keyring, "backup.restore", file).await?;
    Ok(verified)
}

/// Checks a backup without touching any live database: checksum, keyring, decryption into a scratch copy, the
/// audit chain (exactly as long as the manifest says), and a sample of sealed values. A SQLite copy is made in
/// `scratch_dir` (private to this account: the data directory) and removed; a PostgreSQL copy goes into a
/// temporary database on `postgres_server`, dropped afterwards.
pub async fn verify(
    file: &Path,
    keyring: &Keyring,
    scratch_dir: &Path,
    postgres_server: Option<&str>,
) -> Result<VerifiedCopy, BackupError> {
    let checked = archive::check(file)?;
    let key = checked.key(keyring)?;
    match (checked.manifest.kind, postgres_server) {
        (Kind::SqliteFile, _) => {
            let copy = scratch_dir.join(format!(".verify-{}.db", uuid::Uuid::new_v4().simple()));
            let target = Location::Sqlite(copy.clone());
            let result = async {
                sqlite::restore(&checked, &key, &copy).await?;
                check::open_and_check(&target, keyring, &checked.manifest).await
            }
            .await;
            for f in sqlite::files_of(&copy) {
                let _ = std::fs::remove_file(f);
            }
            result
        }
        (Kind::PgDumpCustom, Some(url)) => {
            postgres::verify_in_scratch(&checked, &key, keyring, url).await
        }
        (Kind::PgDumpCustom, None) => Err(BackupError::Source(
            "a PostgreSQL backup is verified in a temporary database: give the server's --database-url".into(),
        )),
    }
}

/// The name of a scheduled backup taken at `at`.
pub fn scheduled_name(at: DateTime<Utc>) -> String {
    format!("rapport-{}.{EXTENSION}", at.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// Deletes the oldest scheduled backups in `dir` beyond the newest `keep`; other files are left alone.
/// Returns the files removed.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, BackupError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BackupError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let suffix = format!(".{EXTENSION}");
    let mut ours: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("rapport-") && n.ends_with(&suffix))
        })
        .collect();
    // The names hold the UTC time with a fixed width, so the name order is the age order.
    ours.sort();
    let excess = ours.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for p in ours.into_iter().take(excess) {
        std::fs::remove_file(&p).map_err(|source| BackupError::Io {
            path: p.clone(),
            source,
        })?;
        removed.push(p);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests;
