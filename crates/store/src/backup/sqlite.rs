//! SQLite: `VACUUM INTO` a private scratch file (one read transaction, so a consistent copy while the server
//! writes on in WAL mode), then seal it; restore writes the decrypted file beside its final name, checks it, and
//! only then renames it into place.

use super::archive::{self, Checked, create_private, sync_dir};
use super::{BackupError, Kind, Manifest};
use crate::keyring::{Key, Keyring};
use sea_orm::ConnectionTrait;
use sea_orm::sqlx::{
    self, ConnectOptions, Connection, SqliteConnection, sqlite::SqliteConnectOptions,
};
use std::path::{Path, PathBuf};

/// The database file and the WAL and shared-memory files SQLite keeps beside it.
pub(super) fn files_of(db: &Path) -> Vec<PathBuf> {
    let with = |suffix: &str| {
        let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(suffix);
        db.with_file_name(name)
    };
    vec![
        db.to_path_buf(),
        with("-wal"),
        with("-shm"),
        with("-journal"),
    ]
}

/// A SQLite target is empty when neither the database nor its journal files are there.
pub(super) fn ensure_empty(db: &Path) -> Result<(), BackupError> {
    match files_of(db).into_iter().find(|f| f.exists()) {
        Some(f) => Err(BackupError::NotEmpty(f.display().to_string())),
        None => Ok(()),
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A plain read-only connection to a copy: none of the live database's settings (WAL, which a read-only
/// connection could not switch on), and nothing written into the file.
async fn open_ro(path: &Path) -> Result<SqliteConnection, BackupError> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| BackupError::Source(format!("cannot open the copy {}: {e}", path.display())))
}

/// What a copy holds, for its manifest: the newest migration and the audit chains' total length (their heads' places).
async fn describe(path: &Path) -> Result<(String, i64), BackupError> {
    let mut c = open_ro(path).await?;
    let read = async {
        let schema: Option<String> =
            sqlx::query_scalar("SELECT max(version) FROM seaql_migrations")
                .fetch_one(&mut c)
                .await?;
        let entries: Option<i64> =
            sqlx::query_scalar("SELECT CAST(SUM(seq) AS BIGINT) FROM audit_head")
                .fetch_optional(&mut c)
                .await?;
        Ok::<_, sqlx::Error>((schema.unwrap_or_default(), entries.unwrap_or(0)))
    }
    .await;
    let _ = c.close().await;
    read.map_err(|e| BackupError::Source(format!("reading the copy: {e}")))
}

/// SQLite's own check of every page and index of a copy.
async fn integrity(path: &Path) -> Result<(), BackupError> {
    let mut c = open_ro(path).await?;
    let answer: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut c)
        .await;
    let _ = c.close().await;
    match answer {
        Ok(ok) if ok == "ok" => Ok(()),
        Ok(other) => Err(BackupError::Damaged(format!(
            "the restored SQLite file fails its integrity check: {other}"
        ))),
        Err(e) => Err(BackupError::Damaged(format!(
            "the restored SQLite file does not open: {e}"
        ))),
    }
}

pub(super) async fn create(
    db: &Path,
    keyring: &Keyring,
    out: &Path,
) -> Result<Manifest, BackupError> {
    if !db.exists() {
        return Err(BackupError::Source(format!(
            "there is no database at {}",
            db.display()
        )));
    }
    let copy = db.with_file_name(format!(".backup-{}.db", uuid::Uuid::new_v4().simple()));
    let result = async {
        // Created empty and private first: VACUUM INTO accepts an empty file, and would otherwise create it with
        // the umask's mode, readable by others while the plaintext copy exists.
        drop(create_private(&copy)?);
        let (conn, _) = crate::connect(&super::Location::Sqlite(db.to_path_buf()).url()).await?;
        let path = copy.to_string_lossy().replace('\'', "''");
        let vacuumed = conn
            .execute_unprepared(&format!("VACUUM INTO '{path}'"))
            .await;
        let _ = conn.close().await;
        vacuumed?;
        let (schema, entries) = describe(&copy).await?;
        let manifest = Manifest::new(Kind::SqliteFile, schema, entries);
        let kek = archive::active_kek(keyring);
        let out = out.to_path_buf();
        let copy_path = copy.clone();
        super::blocking(move || {
            let mut f = std::fs::File::open(&copy_path).map_err(io(&copy_path))?;
            archive::write(&out, manifest, &kek, &mut f)
        })
        .await
    }
    .await;
    for f in files_of(&copy) {
        let _ = std::fs::remove_file(f);
    }
    result
}

/// Decrypts the copy to `<db>.restoring`, checks it is a sound SQLite database, and renames it to `db`.
pub(super) async fn restore(checked: &Checked, key: &Key, db: &Path) -> Result<(), BackupError> {
    // A data directory made here is removed again if the restore fails: a refused restore leaves nothing.
    let mut made_dir = None;
    if let Some(dir) = db.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        made_dir = Some(dir.to_path_buf());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".restoring");
    let tmp = db.with_file_name(name);
    let result = async {
        let mut f = create_private(&tmp)?;
        let (checked, key, at) = (checked.clone(), key.clone(), tmp.clone());
        super::blocking(move || {
            checked.unseal(&key, &mut f)?;
            f.sync_all().map_err(io(&at))
        })
        .await?;
        integrity(&tmp).await?;
        // A last look: someone may have started a server on the target meanwhile.
        ensure_empty(db)?;
        std::fs::rename(&tmp, db).map_err(io(db))?;
        sync_dir(db);
        Ok(())
    }
    .await;
    if result.is_err() {
        for f in files_of(&tmp) {
            let _ = std::fs::remove_file(f);
        }
        if let Some(dir) = made_dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
    result
}
