//! `rapport backup`, `rapport backup --verify`, `rapport restore`, and the server's scheduled backups. The work
//! is the store's (`rapport_store::backup`); this module chooses the files, the keyring and the words.
//!
//! The keyring is never written into a backup: a backup opens only with the keyring that was current when it was
//! made, which the operator keeps apart (docs/SECURITY.md says why).

use crate::DbArgs;
use crate::setup;
use anyhow::{Context, Result, anyhow};
use clap::Args;
use rapport_app::Keyring;
use rapport_app::backup::{self, Location};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist; a directory gets a new file named by the time). With --verify, the
    /// backup to check.
    file: PathBuf,
    /// Check a backup instead of making one: checksum, keyring, decryption into a scratch copy (a temporary
    /// database for PostgreSQL), the audit chain, and a sample of sealed values. Nothing live is touched.
    #[arg(long)]
    verify: bool,
    /// With --verify: the keyring to open the backup with (default: the data directory's).
    #[arg(long, requires = "verify")]
    keyring: Option<PathBuf>,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The backup file.
    file: PathBuf,
    /// The keyring that was current when the backup was made; copied into the data directory, which must not
    /// have one. Without it, the data directory's keyring is used.
    #[arg(long)]
    keyring: Option<PathBuf>,
}

/// The server's schedule: `--backup-dir`, `--backup-every-minutes`, `--backup-keep`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

fn location(db: &DbArgs) -> Result<Location> {
    Location::from_url(&setup::database_url(db)).map_err(|e| anyhow!("{e}"))
}

fn load_keyring(path: &Path) -> Result<Keyring> {
    Keyring::load(path).map_err(|e| anyhow!("{e}"))
}

pub async fn run(db: &DbArgs, args: BackupArgs) -> Result<ExitCode> {
    if args.verify {
        return verify(db, &args).await;
    }
    let keyring = load_keyring(&setup::keyring_path(db))?;
    let out = if args.file.is_dir() {
        args.file
            .join(backup::scheduled_name(rapport_app::clock::now_utc()))
    } else {
        args.file.clone()
    };
    let m = backup::create(&location(db)?, &keyring, &out)
        .await
        .map_err(|e| anyhow!("the backup failed: {e}"))?;
    println!(
        "Backup written to {} ({} database, {} audit entries, sealed for keyring key {}).",
        out.display(),
        m.kind.database(),
        m.audit_entries,
        m.kek_id
    );
    println!(
        "It opens only with the keyring {}: keep a copy of the keyring apart from the backups.",
        keyring.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn verify(db: &DbArgs, args: &BackupArgs) -> Result<ExitCode> {
    let keyring = load_keyring(
        &args
            .keyring
            .clone()
            .unwrap_or_else(|| setup::keyring_path(db)),
    )?;
    let postgres = db
        .database_url
        .as_deref()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    // The scratch copy is as private as the live database: it goes beside it, not into a shared /tmp.
    let scratch = if db.data_dir.is_dir() {
        db.data_dir.clone()
    } else {
        keyring
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    };
    match backup::verify(&args.file, &keyring, &scratch, postgres).await {
        Ok(v) => {
            println!(
                "The backup {} is sound: made {} by Rapport {} of a {} database (schema {}); the checksum matches, the audit chain verifies ({} entries), {} sealed values decrypt.",
                args.file.display(),
                v.manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                v.manifest.rapport_version,
                v.manifest.kind.database(),
                v.manifest.schema,
                v.audit_entries,
                v.sealed_opened
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("The backup {} does not verify: {e}", args.file.display());
            Ok(ExitCode::from(3))
        }
    }
}

pub async fn restore(db: &DbArgs, args: RestoreArgs) -> Result<ExitCode> {
    let target = location(db)?;
    let home = setup::keyring_path(db);
    let (keyring, copy_from) = match &args.keyring {
        Some(k) if home.exists() => {
            return Err(anyhow!(
                "{} already has a keyring; leave out --keyring to use it, or restore into a new data directory (not {})",
                db.data_dir.display(),
                k.display()
            ));
        }
        Some(k) => (load_keyring(k)?, Some(k.clone())),
        None => match Keyring::load(&home) {
            Ok(k) => (k, None),
            Err(rapport_app::KeyringError::Missing(_)) => {
                return Err(anyhow!(
                    "there is no keyring in {}: give the keyring that was current when the backup was made with --keyring",
                    db.data_dir.display()
                ));
            }
            Err(e) => return Err(anyhow!("{e}")),
        },
    };
    let v = backup::restore(&args.file, &keyring, &target)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    if let Some(from) = copy_from {
        copy_keyring(&from, &home)?;
    }
    println!(
        "Restored the backup made {} ({} database): the audit chain verifies ({} entries before the restore's own), {} sealed values decrypt.",
        v.manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        v.manifest.kind.database(),
        v.audit_entries,
        v.sealed_opened
    );
    println!(
        "Start the server on it with: rapport serve --data-dir {}",
        db.data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies the keyring into the data directory, private (0600) and never over another.
fn copy_keyring(from: &Path, to: &Path) -> Result<()> {
    let bytes = std::fs::read(from)
        .with_context(|| format!("cannot read the keyring {}", from.display()))?;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts
        .open(to)
        .with_context(|| format!("cannot write the keyring {}", to.display()))?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write the keyring {}", to.display()))?;
    Ok(())
}

/// The server's scheduled backups: one at start, then every `every`; after each, the oldest beyond `keep` are
/// deleted. A backup in progress finishes before the server stops (cancelling it half-way would leave its scratch
/// copy behind). The keyring is read afresh each time, so a `keys rotate` meanwhile seals the next backup for the
/// new keyring.
pub async fn schedule(db: DbArgs, s: Schedule, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(s.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
        }
        rapport_app::worker::guarded("scheduled backup", scheduled_once(&db, &s)).await;
    }
}

async fn scheduled_once(db: &DbArgs, s: &Schedule) -> rapport_app::Result<()> {
    let internal = |e: String| rapport_app::Error::Internal(e);
    let keyring = Keyring::load(&setup::keyring_path(db)).map_err(|e| internal(e.to_string()))?;
    std::fs::create_dir_all(&s.dir)
        .map_err(|e| internal(format!("cannot create {}: {e}", s.dir.display())))?;
    let out = s
        .dir
        .join(backup::scheduled_name(rapport_app::clock::now_utc()));
    let source = location(db).map_err(|e| internal(e.to_string()))?;
    let m = backup::create(&source, &keyring, &out)
        .await
        .map_err(|e| internal(e.to_string()))?;
    let removed = backup::prune(&s.dir, s.keep).map_err(|e| internal(e.to_string()))?;
    tracing::info!(
        file = %out.display(),
        audit_entries = m.audit_entries,
        removed = removed.len(),
        "scheduled backup written"
    );
    Ok(())
}
