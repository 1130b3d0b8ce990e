//! Rapport's storage: one code path for SQLite and PostgreSQL (chosen at start-up from the URL), the schema,
//! repositories, encryption at rest and the audit chain.
//!
//! Every use case runs in a `Tx` (`tx`): a write takes the writers' turn first and appends its audit entries as it commits, so the change and
//! its entries commit together or not at all; a read takes no lock and its entries are made durable before it answers.

pub mod alerts;
pub mod audit;
pub mod audit_checkpoint;
pub mod audit_keys;
pub mod backup;
pub mod behaviour;
pub mod booking_links;
pub mod calendar;
pub mod care;
pub mod clients;
pub mod clinicians;
pub mod clock;
pub mod crypto;
pub mod emergency;
pub mod entity;
pub mod episodes;
mod failover;
pub mod feeds;
mod full_disk;
pub mod group_sessions;
pub mod groups;
pub mod idempotency;
pub mod keyring;
mod keys;
mod lost_connection;
pub mod measures;
pub mod medications;
pub mod migration;
pub mod note_feedback;
pub mod note_privacy;
pub mod notes;
pub mod on_call;
pub mod outbox;
pub mod passkeys;
pub mod plans;
pub mod portal;
pub mod record_requests;
pub mod referrals;
pub mod resources;
pub mod safety_plans;
pub mod schedule;
mod sealed_labels;
pub mod sessions;
mod start_lock;
pub mod today;
pub mod tokens;
mod tx;
pub mod units;
pub mod users;
pub mod waitlist;
pub mod writer;

use crate::audit::AuditEvent;
use crate::crypto::Cipher;
use crate::keyring::{Keyring, KeyringError};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::time::Duration;

pub use sea_orm::ConnectionTrait;
pub use sea_orm::DbErr as DatabaseError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(DbErr),
    /// The disk (or the PostgreSQL tablespace) is full: the write was not kept. See `full_disk`.
    #[error("the database's disk is full: {0}")]
    DiskFull(String),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("cannot reach the database: {0}")]
    Unreachable(String),
    #[error(
        "the database was written by a newer Rapport (it has migrations this binary does not know: {0}); upgrade Rapport or restore a backup"
    )]
    SchemaTooNew(String),
    #[error("data integrity problem: {0}")]
    Integrity(String),
    #[error("{0}")]
    Conflict(String),
    /// A queued write panicked (a bug); it was undone, and the writer goes on with the others.
    #[error("a write failed unexpectedly (it panicked) and was undone")]
    Panicked,
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        if full_disk::is_full(&e) {
            StoreError::DiskFull(e.to_string())
        } else if lost_connection::is_lost(&e) {
            StoreError::Unreachable(e.to_string())
        } else {
            StoreError::Db(e)
        }
    }
}

impl StoreError {
    /// A unique-key violation: the caller tried to create something that already exists.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(e) => {
                let s = e.to_string().to_lowercase();
                s.contains("unique") || s.contains("duplicate key")
            }
            _ => false,
        }
    }
}

impl From<StoreError> for rapport_domain::Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => rapport_domain::Error::Conflict(m),
            StoreError::DiskFull(m) => rapport_domain::Error::StorageFull(m),
            StoreError::Unreachable(m) => rapport_domain::Error::Unavailable(m),
            other => rapport_domain::Error::Internal(other.to_string()),
        }
    }
}

pub use clock::now_utc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    cipher: Arc<Cipher>,
    audit_keys: Arc<audit_keys::AuditKeys>,
    /// This process's turn before the writers' turn in the database (see `begin`).
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The group-commit writer's queue (see `writer`); `None` in the writer's own handle.
    queue: Option<writer::Queue>,
    /// On PostgreSQL, a second group-commit lane for reads' audit entries, which takes no writers' turn
    /// (`begin_append`); `None` on SQLite (one writer at a time there) and in the lanes' own handles.
    audit_lane: Option<writer::Queue>,
}

/// How long a transaction waits for its turn before giving up, like SQLite's busy timeout.
const WRITER_WAIT: Duration = Duration::from_secs(30);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Connects without touching the schema. SQLite gets the durability settings a clinical record needs. A
/// PostgreSQL URL with several hosts (or `target_session_attrs=read-write`) connects to the host that accepts
/// writes and follows it through failovers (`failover`).
pub async fn connect(url: &str) -> Result<(DatabaseConnection, Backend), StoreError> {
    let backend = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        return Err(StoreError::Unreachable(
            "the database URL must start with sqlite:// or postgres://".into(),
        ));
    };
    let mut pool_url = url.to_string();
    let mut writable = None;
    if backend == Backend::Postgres {
        match failover::hosts::parse(url).map_err(|e| StoreError::Unreachable(e.to_string()))? {
            failover::hosts::Target::Single => probe_postgres(url).await?,
            failover::hosts::Target::Writable(list) => {
                let hosts = Arc::new(failover::Writable::new(list)?);
                // Like the single host's probe: a URL where no host accepts writes fails at once, saying why.
                let (first, conn) = hosts.find().await?;
                pool_url = hosts.url(first).to_string();
                writable = Some((hosts, conn));
            }
        }
    }
    let mut opts = ConnectOptions::new(pool_url);
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    match backend {
        Backend::Sqlite => {
            // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged write survive power
            // loss; the busy timeout queues writers (of other processes: this one queues them in `begin`).
            opts.max_connections(4)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|o| {
                    o.create_if_missing(true)
                        .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(15))
                        // SQLite runs on a worker thread that hands rows over a bounded channel; with the default
                        // 50 it waits for the reader every 50 rows, which a week's calendar (1,500 rows) feels.
                        .row_buffer_size(1024)
                        // Each connection's page cache (default 2 MiB) holds a clinic's hot pages; reading the
                        // file through a memory map saves a system call and a copy per page that misses it.
                        .pragma("cache_size", "-16384")
                        .pragma("mmap_size", "268435456")
                })
                .map_sqlx_sqlite_before_acquire(|conn, _| {
                    Box::pin(async move { Ok(full_disk::reusable(&*conn)) })
                });
        }
        Backend::Postgres => {
            opts.max_connections(10).min_connections(1);
            match &writable {
                Some((hosts, _)) => hosts.hook(&mut opts),
                None => {
                    opts.map_sqlx_postgres_before_acquire(|conn, _| {
                        Box::pin(async move { Ok(full_disk::reusable(&*conn)) })
                    });
                }
            }
        }
    }
    let db = Database::connect(opts)
        .await
        .map_err(|e| StoreError::Unreachable(e.to_string()))?;
    if let Some((hosts, conn)) = writable {
        hosts.follow(db.get_postgres_connection_pool().clone(), conn);
    }
    Ok((db, backend))
}

/// One direct attempt before the pool: the pool would retry a refused connection until its acquire timeout, and
/// an operator with a typo in the URL deserves the real reason at once.
async fn probe_postgres(url: &str) -> Result<(), StoreError> {
    use sea_orm::sqlx::Connection;
    let probe = tokio::time::timeout(
        Duration::from_secs(10),
        sea_orm::sqlx::PgConnection::connect(url),
    )
    .await;
    match probe {
        Ok(Ok(c)) => {
            let _ = c.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(StoreError::Unreachable(e.to_string())),
        Err(_) => Err(StoreError::Unreachable(
            "no answer within 10 seconds".into(),
        )),
    }
}

impl Store {
    /// Connects, refuses a schema newer than this binary, migrates, and unlocks the data keys with the keyring.
    ///
    /// The schema, the first data key and the chain's head are made under the database's start lock
    /// (`start_lock`), so servers started together wait for each other instead of colliding.
    pub async fn open(url: &str, keyring: &Keyring) -> Result<Store, StoreError> {
        // On SQLite the lock (a file) comes before the pool: the pool's first connection switches a new database to
        // WAL, which fails with "database is locked" while another process migrates it. On PostgreSQL the lock needs
        // the writable host, which connecting finds.
        let early = if url.starts_with("sqlite:") {
            Some(start_lock::take(url, Backend::Sqlite).await?)
        } else {
            None
        };
        let (db, backend) = connect(url).await?;
        let start = match early {
            Some(lock) => lock,
            None => start_lock::take(url, backend).await?,
        };
        check_schema_not_newer(&db).await?;
        // A head without a seal is sealed only by the start that adds seals; after that a missing seal is
        // tampering, which `audit verify` reports, and must never be papered over by a restart.
        let sealing_now = migration::Migrator::get_pending_migrations(&db)
            .await?
            .iter()
            .any(|m| m.name().contains("audit_head_seal"));
        migration::Migrator::up(&db, None).await?;
        let cipher = keys::load_or_create(&db, keyring).await?;
        let store = Store {
            db,
            backend,
            cipher: Arc::new(cipher),
            audit_keys: Arc::new(audit_keys::AuditKeys::from_keyring(keyring)),
            writer: Arc::new(tokio::sync::Mutex::new(())),
            queue: None,
            audit_lane: None,
        };
        // Make sure every chain's head exists before the first request needs it.
        let tx = store.begin().await?;
        if sealing_now {
            audit::seal_unsealed_head(tx.conn(), &store.audit_keys).await?;
        }
        audit::chain::ensure_heads(tx.conn(), &store.audit_keys).await?;
        tx.commit().await?;
        sealed_labels::seal_at_start(&store).await?;
        start.release().await;
        let queue = writer::spawn(store.clone(), writer::Lane::Writes);
        let audit_lane = (backend == Backend::Postgres)
            .then(|| writer::spawn(store.clone(), writer::Lane::ReadAudits));
        Ok(Store {
            queue: Some(queue),
            audit_lane,
            ..store
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool itself, for the store's own work, the CLI and tests. Use cases may not call it (`clippy.toml` of
    /// the app crate): they read and write clinical data in a transaction (`begin`, `begin_read`, `write`) that
    /// is authorised and audited, and reach the pool otherwise only through `unaudited`, naming why.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The pool, for a use case's access that needs no audit entry of its own, with the reason named at the call
    /// site so that each one is a decision a reviewer can check against `Unaudited`'s list, not a habit.
    pub fn unaudited(&self, why: Unaudited) -> &DatabaseConnection {
        let _ = why;
        &self.db
    }

    pub fn cipher(&self) -> &Cipher {
        &self.cipher
    }

    /// Whether the group-commit writer is running (always, for the writer's own handle, which writes alone).
    pub fn writer_running(&self) -> bool {
        self.queue.as_ref().is_none_or(writer::Queue::running)
            && self.audit_lane.as_ref().is_none_or(writer::Queue::running)
    }

    /// Whether a write can commit now: rewrites the readiness row with fresh random padding through the
    /// group-commit writer, as a write of a few pages. `/readyz` asks this, not just `SELECT 1`: a full disk still
    /// answers reads. (The writers' turn alone writes nothing: SQLite skips rewriting a row that does not change.)
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        let mut pad = vec![0u8; full_disk::PROBE_BYTES];
        rand::fill(&mut pad[..]);
        let backend = self.db.get_database_backend();
        self.write(move |tx| -> writer::BoxFuture<'_, Result<(), StoreError>> {
            Box::pin(async move {
                let sql = match backend {
                    DbBackend::Postgres => full_disk::PROBE_SQL_PG,
                    _ => full_disk::PROBE_SQL_SQLITE,
                };
                tx.conn()
                    .execute_raw(sea_orm::Statement::from_sql_and_values(
                        backend,
                        sql,
                        [now_utc().into(), pad.into()],
                    ))
                    .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Unreachable(e.to_string()))
    }

    /// Starts a write: a transaction holding the writers' turn (`audit::chain::take_write_turn`).
    ///
    /// Transactions of this process first queue for their turn in memory (a fair async mutex), and only then take
    /// a pooled connection and the lock in the database. Without the queue, SQLite writers waiting for its write
    /// lock poll in its busy handler with sleeps of up to 100 ms, so the lock sits idle between a commit and the
    /// next waiter's wake-up, and waiters hold pooled connections that readers need. The database lock stays:
    /// other processes (the CLI) and other servers on the same PostgreSQL are serialised by it.
    pub async fn begin(&self) -> Result<Tx<'_>, StoreError> {
        let turn = tokio::time::timeout(WRITER_WAIT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| {
                StoreError::Unreachable("the database stayed busy for 30 seconds".into())
            })?;
        let txn = self.db.begin().await?;
        audit::chain::take_write_turn(&txn).await?;
        Ok(Tx::writing(txn, self, Some(turn)))
    }

    /// Starts a transaction of the audit lane: it only appends reads' audit entries, so it needs neither this
    /// process's turn nor the writers' turn, only the heads of the chains it appends to (PostgreSQL only: on SQLite
    /// reads' entries go through the one writer).
    pub(crate) async fn begin_append(&self) -> Result<Tx<'_>, StoreError> {
        Ok(Tx::writing(self.db.begin().await?, self, None))
    }

    /// Makes a read's audit entries durable: through the audit lane where there is one, else the writer.
    pub(crate) async fn append_reads(&self, events: Vec<AuditEvent>) -> Result<(), StoreError> {
        fn job<'t>(
            tx: &'t Tx<'t>,
            events: Vec<AuditEvent>,
        ) -> writer::BoxFuture<'t, Result<(), StoreError>> {
            Box::pin(async move { tx.audit_many(events).await })
        }
        match &self.audit_lane {
            Some(lane) => writer::queue_on(lane, move |tx| job(tx, events)).await,
            None => self.write(move |tx| job(tx, events)).await,
        }
    }

    /// Starts a read: a transaction without the writers' turn, so reads run side by side and beside the writer.
    ///
    /// Its audit entries are kept until `commit`, which ends the read and then hands them to the group-commit
    /// writer and waits until they are durable: no read is answered before its audit entry is kept, and many
    /// reads' entries share one commit. It must not write: on PostgreSQL it is `READ ONLY`, so a write in it fails
    /// (the suite runs every test on both databases); on SQLite readers in WAL mode see one snapshot.
    pub async fn begin_read(&self) -> Result<Tx<'_>, StoreError> {
        let txn = match self.backend {
            Backend::Postgres => {
                self.db
                    .begin_with_config(None, Some(sea_orm::AccessMode::ReadOnly))
                    .await?
            }
            Backend::Sqlite => self.db.begin().await?,
        };
        Ok(Tx::reading(txn, self))
    }

    /// Records an event on its own (a denial, a failed login) in a transaction of its own.
    pub async fn audit_alone(&self, ev: AuditEvent) -> Result<(), StoreError> {
        let tx = self.begin().await?;
        tx.audit(ev).await?;
        tx.commit().await
    }

    /// A signed line naming where the audit chain stands now, for the operator to keep elsewhere.
    pub async fn audit_checkpoint(&self) -> Result<String, StoreError> {
        audit_checkpoint::current(&self.db, &self.audit_keys).await
    }

    /// Verifies the chain and that it still holds what `line` (a checkpoint) saw; `Err` with the reason if the
    /// line itself is not a checkpoint of this keyring.
    pub async fn verify_audit_against(
        &self,
        line: &str,
    ) -> Result<Result<audit::VerifyReport, String>, StoreError> {
        let cp = match audit_checkpoint::Checkpoint::parse(line, &self.audit_keys) {
            Ok(cp) => cp,
            Err(why) => return Ok(Err(why)),
        };
        Ok(Ok(audit_checkpoint::verify_against(
            &self.db,
            &self.audit_keys,
            &cp,
        )
        .await?))
    }

    pub async fn verify_audit(&self) -> Result<audit::VerifyReport, StoreError> {
        audit::verify(&self.db, &self.audit_keys).await
    }

    /// Re-wraps every data key under a new key-encryption key, starts a new data key for new writes, and hands
    /// the audit chain to a new audit key (the old ones stay in the keyring to verify their part).
    pub async fn rotate_keys(&self, keyring: &mut Keyring) -> Result<keys::Rotation, StoreError> {
        let mut r = keys::rotate(&self.db, keyring).await?;
        r.new_audit_key_id = audit_keys::rotate(
            self,
            keyring,
            format!("new key-encryption key {}", r.new_kek_id),
        )
        .await?;
        Ok(r)
    }

    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}

pub use keys::Rotation;
pub use tx::Tx;

/// The only reasons a use case may touch the database outside an audited transaction. Clinical data is never
/// among them: a clinical read or write goes through `Store::begin`, `begin_read` or `write`, after the policy,
/// with its audit entry in the same transaction (or made durable before the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unaudited {
    /// Sign-in, sessions, API tokens, passkeys and portal accounts: who the caller is. Their changes and refusals
    /// are audited where they happen; resolving a cookie on every request is not.
    Credentials,
    /// Practice configuration: settings, appointment types, locations, note templates, zones, online-booking
    /// rules. Not about any client.
    Configuration,
    /// The staff directory: clinicians' profiles, names and supervisors. Not about any client.
    Directory,
    /// A worker's scan for due work (mail, measure jobs, escalations, sweeps of expired rows); each item it finds
    /// is then handled in an audited transaction of its own.
    Worker,
    /// A read that belongs to a use case whose policy decision was already taken and audited, done outside the
    /// writers' turn on purpose (a booking's preflight, the calendar, the caseload's behaviour glance) or one that
    /// reveals only the caller's own state (their own emergency access).
    AfterDecision,
    /// The public booking pages: open times and the practice's offer, no client data.
    PublicBooking,
    /// First start and the demo: whether any account exists yet.
    Setup,
}

async fn check_schema_not_newer(db: &DatabaseConnection) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type='table' AND name='seaql_migrations'"
        }
        _ => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'seaql_migrations'"
        }
    };
    let exists = !db
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await?
        .is_empty();
    if !exists {
        return Ok(());
    }
    let known = migration::known_names();
    // Read the table directly: the migrator itself errors on a migration it has no file for, which is exactly
    // the case to explain.
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations",
        ))
        .await?;
    let unknown: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "version").ok())
        .filter(|n| !known.contains(n))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(StoreError::SchemaTooNew(unknown.join(", ")))
    }
}

/// Runs one administrative statement (e.g. `CREATE DATABASE`) on a fresh connection; for tests and tools.
pub async fn execute_admin(url: &str, sql: &str) -> Result<(), StoreError> {
    let (db, _) = connect(url).await?;
    db.execute_unprepared(sql).await?;
    let _ = db.close().await;
    Ok(())
}

/// Runs a query and returns the first column of each row as text; for tests that inspect what is stored.
pub async fn query_text(url: &str, sql: &str) -> Result<Vec<String>, StoreError> {
    let (db, backend) = connect(url).await?;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            match backend {
                Backend::Sqlite => DbBackend::Sqlite,
                Backend::Postgres => DbBackend::Postgres,
            },
            sql,
        ))
        .await?;
    let out = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    let _ = db.close().await;
    Ok(out)
}
