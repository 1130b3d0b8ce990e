//! PostgreSQL: `pg_dump --format=custom` from a snapshot exported by a repeatable-read transaction (so the
//! manifest's chain length is the dump's), streamed straight into the sealed file; restore streams the decrypted
//! dump into `pg_restore --single-transaction`, so a restore that fails half-way leaves the database empty.
//!
//! The tools are the `postgresql-client` package's (Debian), at least as new as the server. The password travels
//! in `PGPASSWORD`, never on a command line that `ps` shows.

use super::archive::{self, Checked};
use super::{BackupError, Kind, Location, Manifest};
use crate::keyring::{Key, Keyring};
use sea_orm::{
    AccessMode, ConnectionTrait, DbBackend, IsolationLevel, Statement, TransactionTrait,
};
use std::io::Read;
use std::process::{Child, Command, Stdio};

/// The URL without its password, and the password (percent-decoded) for `PGPASSWORD`.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(s) = url.find("://") else {
        return (url.to_string(), None);
    };
    let authority_end = url[s + 3..]
        .find('/')
        .map(|i| s + 3 + i)
        .unwrap_or(url.len());
    let Some(at) = url[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let creds = &url[s + 3..at];
    match creds.split_once(':') {
        Some((user, pw)) => (
            format!("{}{user}{}", &url[..s + 3], &url[at..]),
            Some(percent_decode(pw)),
        ),
        None => (url.to_string(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The same server with another database name.
fn with_database(url: &str, name: &str) -> String {
    let start = url.find("://").map(|s| s + 3).unwrap_or(0);
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    match base[start..].find('/') {
        Some(i) => format!("{}/{name}{query}", &base[..start + i]),
        None => format!("{base}/{name}{query}"),
    }
}

/// The database's name, for messages (never the credentials).
fn database_name(url: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    base.rsplit('/').next().unwrap_or(base).to_string()
}

fn tool(name: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(name);
    cmd.arg(format!("--dbname={url}"));
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw);
    }
    cmd
}

/// A running tool, its error output drained on a thread of its own (a full pipe would stall it).
struct Tool {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

fn spawn(mut cmd: Command, name: &str) -> Result<Tool, BackupError> {
    let mut child = cmd.stderr(Stdio::piped()).spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            BackupError::Source(format!(
                "{name} is not installed; install PostgreSQL's client tools (Debian: apt-get install postgresql-client)"
            ))
        } else {
            BackupError::Source(format!("cannot start {name}: {e}"))
        }
    })?;
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = e.read_to_string(&mut s);
            s
        })
    });
    Ok(Tool { child, stderr })
}

impl Tool {
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for the tool; its own words on failure.
fn finish(mut tool: Tool, name: &str) -> Result<(), BackupError> {
    let status = tool
        .child
        .wait()
        .map_err(|e| BackupError::Source(format!("{name}: {e}")))?;
    let err = tool
        .stderr
        .take()
        .and_then(|h| h.join().ok())
        .unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(BackupError::Source(format!(
            "{name} failed ({status}): {}",
            err.trim()
        )))
    }
}

/// pg_dump's output: at its end, pg_dump's exit status, so a dump that failed half-way is never sealed as whole.
struct DumpOutput {
    child: Option<Tool>,
    out: std::process::ChildStdout,
}

impl Read for DumpOutput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.out.read(buf)?;
        if n == 0
            && !buf.is_empty()
            && let Some(child) = self.child.take()
        {
            finish(child, "pg_dump").map_err(std::io::Error::other)?;
        }
        Ok(n)
    }
}

async fn scalar<T: sea_orm::TryGetable>(
    c: &impl ConnectionTrait,
    sql: &str,
) -> Result<Option<T>, BackupError> {
    Ok(
        c.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?
            .and_then(|r| r.try_get_by_index::<T>(0).ok()),
    )
}

pub(super) async fn create(
    url: &str,
    keyring: &Keyring,
    out: &std::path::Path,
) -> Result<Manifest, BackupError> {
    let (db, _) = crate::connect(url).await?;
    let result = async {
        // The snapshot pg_dump reads is this transaction's: the chain length read here is the dump's.
        let txn = db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?;
        let snapshot: String = scalar(&txn, "SELECT pg_export_snapshot()")
            .await?
            .ok_or_else(|| BackupError::Source("PostgreSQL exported no snapshot".into()))?;
        let schema: String = scalar(&txn, "SELECT max(version) FROM seaql_migrations")
            .await?
            .unwrap_or_default();
        let entries: i64 = scalar(&txn, "SELECT CAST(SUM(seq) AS BIGINT) FROM audit_head")
            .await?
            .unwrap_or(0);
        let manifest = Manifest::new(Kind::PgDumpCustom, schema, entries);
        let kek = archive::active_kek(keyring);
        let (url, out) = (url.to_string(), out.to_path_buf());
        let written = super::blocking(move || {
            let mut cmd = tool("pg_dump", &url);
            cmd.args(["--format=custom", "--no-password"])
                .arg(format!("--snapshot={snapshot}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped());
            let mut child = spawn(cmd, "pg_dump")?;
            let Some(stdout) = child.child.stdout.take() else {
                child.kill();
                return Err(BackupError::Source("pg_dump gave no output".into()));
            };
            let mut data = DumpOutput {
                child: Some(child),
                out: stdout,
            };
            let sealed = archive::write(&out, manifest, &kek, &mut data);
            if let Some(child) = data.child.take() {
                child.kill();
            }
            sealed
        })
        .await;
        let _ = txn.rollback().await;
        written
    }
    .await;
    let _ = db.close().await;
    result
}

/// A PostgreSQL target is empty when its schema has no table.
pub(super) async fn ensure_empty(url: &str) -> Result<(), BackupError> {
    let (db, _) = crate::connect(url).await?;
    let tables = scalar::<i64>(
        &db,
        "SELECT count(*)::bigint FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .await;
    let _ = db.close().await;
    match tables? {
        Some(0) | None => Ok(()),
        Some(n) => Err(BackupError::NotEmpty(format!(
            "the database {} ({n} tables)",
            database_name(url)
        ))),
    }
}

pub(super) async fn restore(checked: &Checked, key: &Key, url: &str) -> Result<(), BackupError> {
    let (checked, key, url) = (checked.clone(), key.clone(), url.to_string());
    super::blocking(move || {
        let mut cmd = tool("pg_restore", &url);
        // Objects belong to whoever restores; one transaction, so a failure leaves nothing behind.
        cmd.args([
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
        let mut child = spawn(cmd, "pg_restore")?;
        let Some(mut stdin) = child.child.stdin.take() else {
            child.kill();
            return Err(BackupError::Source("pg_restore took no input".into()));
        };
        let fed = checked.unseal(&key, &mut stdin);
        if let Err(e) = fed {
            drop(stdin);
            if matches!(e, BackupError::Source(_)) {
                // pg_restore stopped reading: its own words say why.
                return finish(child, "pg_restore").and(Err(e));
            }
            // Killed before its input ends, pg_restore's transaction is rolled back by the server.
            child.kill();
            return Err(e);
        }
        drop(stdin);
        finish(child, "pg_restore")
    })
    .await
}

/// Restores into a temporary database on the server of `server_url`, checks it, and drops it again.
pub(super) async fn verify_in_scratch(
    checked: &Checked,
    key: &Key,
    keyring: &Keyring,
    server_url: &str,
) -> Result<super::VerifiedCopy, BackupError> {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    let name = format!("rapport_verify_{}", &uuid[..12]);
    crate::execute_admin(server_url, &format!("CREATE DATABASE {name}")).await?;
    let scratch = with_database(server_url, &name);
    let result = async {
        restore(checked, key, &scratch).await?;
        super::check::open_and_check(
            &Location::Postgres(scratch.clone()),
            keyring,
            &checked.manifest,
        )
        .await
    }
    .await;
    // The verdict stands whether or not the scratch database goes away; one left behind is named for the operator.
    if let Err(e) = crate::execute_admin(
        server_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await
    {
        tracing::warn!(database = %name, error = %e, "the scratch database of a backup check was not dropped; drop it by hand");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_to_the_environment_not_the_command_line() {
        assert_eq!(
            split_password("postgres://app:s%40cret@db.local:5432/rapport?sslmode=require"),
            (
                "postgres://app@db.local:5432/rapport?sslmode=require".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/test"),
            ("postgres://postgres@127.0.0.1/test".to_string(), None)
        );
    }

    #[test]
    fn a_scratch_database_is_on_the_same_server() {
        assert_eq!(
            with_database("postgres://u@h:5432/test?sslmode=disable", "scratch"),
            "postgres://u@h:5432/scratch?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "s"), "postgres://u@h/s");
        assert_eq!(database_name("postgres://u:p@h/prod?x=1"), "prod");
    }
}
