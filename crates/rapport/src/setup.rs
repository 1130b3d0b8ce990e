//! Opening a data directory: the keyring file, the database URL, first-start initialisation, and clean-up of
//! anything this run created if initialisation fails half-way.

use crate::DbArgs;
use anyhow::{Result, anyhow};
use rapport_app::{App, AppConfig, Keyring, KeyringError, StoreError};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// A missing keyring (and data directory) may be created: a first start.
    Allowed,
    /// The installation must already exist.
    Refused,
}

pub fn keyring_path(db: &DbArgs) -> PathBuf {
    db.data_dir.join("keyring.json")
}

pub fn database_url(db: &DbArgs) -> String {
    match &db.database_url {
        Some(u) => u.clone(),
        None => format!(
            "sqlite://{}?mode=rwc",
            db.data_dir.join("rapport.db").display()
        ),
    }
}

/// The user-facing sentence for a domain error at the command line.
pub fn describe(e: &rapport_app::Error) -> String {
    match e {
        rapport_app::Error::Validation(fields) => fields
            .iter()
            .map(|f| {
                if f.field.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.field, f.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        rapport_app::Error::Internal(m) => format!("internal error: {m}"),
        other => other.to_string(),
    }
}

fn store_message(e: &StoreError, url: &str) -> String {
    match e {
        StoreError::Unreachable(m) => format!("cannot open the database {}: {m}", redact(url)),
        other => other.to_string(),
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Files and folders this run created, removed again if opening fails.
#[derive(Default)]
struct Created(Vec<PathBuf>);

impl Created {
    fn undo(&self) {
        for p in self.0.iter().rev() {
            let _ = if p.is_dir() {
                std::fs::remove_dir(p)
            } else {
                std::fs::remove_file(p)
            };
        }
    }
}

fn sqlite_files(db: &DbArgs) -> Vec<PathBuf> {
    if db.database_url.is_some() {
        return vec![];
    }
    let base = db.data_dir.join("rapport.db");
    vec![
        base.with_extension("db-wal"),
        base.with_extension("db-shm"),
        // The start lock's file (`rapport_store`'s `start_lock`).
        base.with_extension("db-start"),
        base,
    ]
}

fn ensure_dir(dir: &Path, created: &mut Created) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow!("cannot create the data directory {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    created.0.extend(missing.into_iter().rev());
    Ok(())
}

pub async fn open(db: &DbArgs, init: Init, config: AppConfig) -> Result<App> {
    open_inner(db, init, config).await.map(|(app, _)| app)
}

/// Opens with the keyring kept, for commands that change it (key rotation).
pub async fn open_with_keyring(db: &DbArgs) -> Result<(App, Keyring)> {
    open_inner(db, Init::Refused, AppConfig::default()).await
}

async fn open_inner(db: &DbArgs, init: Init, config: AppConfig) -> Result<(App, Keyring)> {
    let mut created = Created::default();
    let result = try_open(db, init, config, &mut created).await;
    if result.is_err() {
        created.undo();
    }
    result
}

async fn try_open(
    db: &DbArgs,
    init: Init,
    config: AppConfig,
    created: &mut Created,
) -> Result<(App, Keyring)> {
    let path = keyring_path(db);
    let url = database_url(db);
    let keyring = match Keyring::load(&path) {
        Ok(k) => k,
        Err(KeyringError::Missing(_)) if init == Init::Allowed => {
            ensure_dir(&db.data_dir, created)?;
            for f in sqlite_files(db) {
                if !f.exists() {
                    created.0.push(f);
                }
            }
            let k = Keyring::create(&path).map_err(|e| anyhow!("{e}"))?;
            created.0.push(path.clone());
            println!(
                "Created a new keyring at {}. Back it up somewhere safe: without it the encrypted records cannot be read.",
                path.display()
            );
            k
        }
        Err(KeyringError::Missing(p)) => {
            return Err(anyhow!(
                "the keyring {} does not exist; run this command against an existing Rapport data directory (--data-dir)",
                p.display()
            ));
        }
        Err(e) => return Err(anyhow!("{e}")),
    };
    if db.database_url.is_none()
        && init == Init::Refused
        && !db.data_dir.join("rapport.db").exists()
    {
        return Err(anyhow!(
            "there is no database in {}; start `rapport serve` there first",
            db.data_dir.display()
        ));
    }
    if db.database_url.is_none() {
        private_files(db)?;
    }
    let app = App::open(&url, &keyring, config).await.map_err(|e| {
        if matches!(e, StoreError::Integrity(_)) && !created.0.is_empty() {
            anyhow!(
                "the database already holds encrypted data, but the keyring {} was missing: restore it from your backup (a new one cannot read the existing records)",
                path.display()
            )
        } else {
            anyhow!("{}", store_message(&e, &url))
        }
    })?;
    Ok((app, keyring))
}

/// Clinical records are for this account alone: the database is created 0600 before SQLite opens it (SQLite
/// gives its WAL and shared-memory files the database's mode), and a data directory or database that others can
/// read is named at start-up. Existing permissions are the operator's to change; they are not changed behind
/// their back.
fn private_files(db: &DbArgs) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let base = db.data_dir.join("rapport.db");
        if !base.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&base)
                .map_err(|e| anyhow!("cannot create the database {}: {e}", base.display()))?;
        }
        let mut shared = Vec::new();
        for p in std::iter::once(db.data_dir.clone()).chain(sqlite_files(db)) {
            if let Ok(meta) = std::fs::metadata(&p)
                && meta.permissions().mode() & 0o077 != 0
            {
                shared.push(format!(
                    "{} ({:o})",
                    p.display(),
                    meta.permissions().mode() & 0o777
                ));
            }
        }
        if !shared.is_empty() {
            tracing::warn!(
                paths = %shared.join(", "),
                "other accounts on this machine can read the clinical data: chmod 700 the data directory and 600 its database files"
            );
            eprintln!(
                "warning: other accounts on this machine can read the clinical data: {} (chmod 700 the data directory, 600 its database files)",
                shared.join(", ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_kept_out_of_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db.local:5432/rapport"),
            "postgres://app@db.local:5432/rapport"
        );
        assert_eq!(
            redact("sqlite://rapport-data/rapport.db"),
            "sqlite://rapport-data/rapport.db"
        );
    }
}
