//! Following the writable PostgreSQL host through a failover. Given several hosts (a libpq multi-host URL, see
//! `hosts`), Rapport connects to the one that accepts writes — libpq's `target_session_attrs=read-write`: `SELECT
//! current_setting('transaction_read_only')` says `off` — and when that host dies or turns read-only, moves to
//! the host that took over, without a restart.
//!
//! sqlx's pool connects to one host, so the decision embodied here is to keep the pool pointed at the writable
//! host rather than to connect around it: a watcher task checks the current host every second on a connection of
//! its own, and when the check fails tries every host in the URL's order and points the pool at the first that
//! accepts writes (`Pool::set_connect_options`). Every new pooled connection is checked once (`after_connect`), so
//! none lands on a standby, and connections made before a move are closed rather than handed out, so no request
//! writes to a demoted primary. While no host accepts writes, requests fail (503) once the pool's acquire timeout
//! runs out; nothing is acknowledged that a host did not commit.

pub(crate) mod hosts;

use crate::StoreError;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How often the watcher checks that the current host still accepts writes.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// How long one host may take to connect and answer the check before the next one is tried.
const CHECK_WAIT: Duration = Duration::from_secs(3);

/// The hosts of a multi-host URL, which of them the pool uses, and when it last moved.
pub(crate) struct Writable {
    /// One per host, in the URL's order, with statement logging off as for the pool (statements can carry ids).
    options: Vec<PgConnectOptions>,
    /// The single-host URLs the options were read from (they may hold the password: never logged).
    urls: Vec<String>,
    names: Vec<String>,
    current: AtomicUsize,
    started: Instant,
    /// Milliseconds after `started` of the last move, plus one; 0 while the pool has never moved.
    moved_at: AtomicU64,
    /// Wakes the watcher at once when a new connection found its host read-only.
    wake: Notify,
}

impl Writable {
    pub(crate) fn new(list: hosts::HostList) -> Result<Writable, StoreError> {
        if list.urls.is_empty() || list.urls.len() != list.names.len() {
            return Err(StoreError::Unreachable(
                "the database URL names no host".into(),
            ));
        }
        let options = list
            .urls
            .iter()
            .map(|url| {
                PgConnectOptions::from_str(url)
                    .map(|o| o.disable_statement_logging())
                    .map_err(|e| StoreError::Unreachable(format!("the database URL: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Writable {
            options,
            urls: list.urls,
            names: list.names,
            current: AtomicUsize::new(0),
            started: Instant::now(),
            moved_at: AtomicU64::new(0),
            wake: Notify::new(),
        })
    }

    /// The single-host URL of host `i` (as `find` returned it), for the pool to start with.
    pub(crate) fn url(&self, i: usize) -> &str {
        &self.urls[i]
    }

    /// Finds the first host, in the URL's order, that accepts writes, and makes it current; its connection is
    /// handed back for the watcher to keep checking on. When none does, says why for each.
    pub(crate) async fn find(&self) -> Result<(usize, PgConnection), StoreError> {
        let mut why = Vec::with_capacity(self.options.len());
        for (i, opts) in self.options.iter().enumerate() {
            match tokio::time::timeout(CHECK_WAIT, connect_writable(opts)).await {
                Ok(Ok(conn)) => {
                    self.current.store(i, Ordering::SeqCst);
                    return Ok((i, conn));
                }
                Ok(Err(e)) => why.push(format!("{}: {e}", self.names[i])),
                Err(_) => why.push(format!(
                    "{}: no answer within {CHECK_WAIT:?}",
                    self.names[i]
                )),
            }
        }
        Err(StoreError::Unreachable(format!(
            "no database host accepts writes ({})",
            why.join("; ")
        )))
    }

    /// Whether a pooled connection was made before the pool last moved to another host (it is then closed).
    fn older_than_move(&self, age: Duration) -> bool {
        let moved = self.moved_at.load(Ordering::SeqCst);
        if moved == 0 {
            return false;
        }
        let since_move = self
            .started
            .elapsed()
            .saturating_sub(Duration::from_millis(moved - 1));
        age > since_move
    }

    fn moved_now(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.moved_at.store(ms + 1, Ordering::SeqCst);
    }

    /// The pool's hooks: a new connection must accept writes; an old one must not predate a move.
    pub(crate) fn hook(self: &Arc<Self>, opts: &mut sea_orm::ConnectOptions) {
        let on_connect = self.clone();
        opts.map_sqlx_postgres_pool_opts(move |pool| {
            let writable = on_connect.clone();
            pool.after_connect(move |conn, _| {
                let writable = writable.clone();
                Box::pin(async move {
                    if accepts_writes(conn).await? {
                        return Ok(());
                    }
                    // Probably a primary just demoted: have the watcher look at once rather than at its next tick.
                    writable.wake.notify_one();
                    Err(sqlx::Error::Configuration(
                        "the database host no longer accepts writes".into(),
                    ))
                })
            })
        });
        let on_acquire = self.clone();
        opts.map_sqlx_postgres_before_acquire(move |conn, meta| {
            let fresh = !on_acquire.older_than_move(meta.age);
            Box::pin(async move { Ok(fresh && crate::full_disk::reusable(&*conn)) })
        });
    }

    /// Starts the watcher for `pool`; it ends when the pool is closed.
    pub(crate) fn follow(self: Arc<Self>, pool: PgPool, first: PgConnection) {
        tokio::spawn(async move { self.watch(pool, first).await });
    }

    async fn watch(&self, pool: PgPool, first: PgConnection) {
        let mut check = Some(first);
        let mut lost_since: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(WATCH_EVERY) => {}
                _ = self.wake.notified() => {}
            }
            if pool.is_closed() {
                break;
            }
            if let Some(conn) = check.as_mut()
                && matches!(
                    tokio::time::timeout(CHECK_WAIT, accepts_writes(conn)).await,
                    Ok(Ok(true))
                )
            {
                continue;
            }
            if let Some(conn) = check.take() {
                let _ = conn.close_hard().await;
            }
            let before = self.current.load(Ordering::SeqCst);
            match self.find().await {
                Ok((now, conn)) => {
                    check = Some(conn);
                    if now != before {
                        pool.set_connect_options(self.options[now].clone());
                        self.moved_now();
                        tracing::warn!(
                            from = %self.names[before],
                            to = %self.names[now],
                            "the database host that accepts writes changed; new connections go to it"
                        );
                    }
                    if let Some(since) = lost_since.take() {
                        tracing::warn!(
                            host = %self.names[now],
                            after = ?since.elapsed(),
                            "a database host accepts writes again"
                        );
                    }
                }
                Err(e) => {
                    // Said once per outage, not every second.
                    if lost_since.is_none() {
                        tracing::error!(error = %e, "no database host accepts writes; looking every second");
                        lost_since = Some(Instant::now());
                    }
                }
            }
        }
        if let Some(conn) = check {
            let _ = conn.close().await;
        }
    }
}

/// One connection of its own, for work beside the pool (the start lock): to the host that accepts writes when
/// `url` lists several, else as sqlx connects to any URL.
pub(crate) async fn connect_one(url: &str) -> Result<PgConnection, StoreError> {
    match hosts::parse(url).map_err(|e| StoreError::Unreachable(e.to_string()))? {
        hosts::Target::Single => PgConnection::connect(url)
            .await
            .map_err(|e| StoreError::Unreachable(e.to_string())),
        hosts::Target::Writable(list) => Ok(Writable::new(list)?.find().await?.1),
    }
}

/// Connects to one host and keeps the connection only if the host accepts writes.
async fn connect_writable(opts: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    let mut conn = PgConnection::connect_with(opts).await?;
    if accepts_writes(&mut conn).await? {
        Ok(conn)
    } else {
        let _ = conn.close().await;
        Err(sqlx::Error::Configuration(
            "read-only (a standby, or a primary being demoted)".into(),
        ))
    }
}

/// libpq's test for `target_session_attrs=read-write`: a standby, and a primary that pg_auto_failover has made
/// read-only while it promotes another, both say `on`.
async fn accepts_writes(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let read_only: String = sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
        .fetch_one(conn)
        .await?;
    Ok(read_only == "off")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writable(n: usize) -> Writable {
        let urls: Vec<String> = (0..n).map(|i| format!("postgres://h{i}/db")).collect();
        Writable::new(hosts::HostList {
            names: urls.clone(),
            urls,
        })
        .unwrap()
    }

    fn age(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn connections_are_kept_until_the_pool_first_moves() {
        let w = writable(2);
        assert!(!w.older_than_move(age(3_600_000)));
    }

    #[test]
    fn after_a_move_only_connections_made_since_are_handed_out() {
        let w = writable(2);
        std::thread::sleep(Duration::from_millis(30));
        w.moved_now();
        std::thread::sleep(Duration::from_millis(30));
        assert!(w.older_than_move(age(50)), "made before the move: closed");
        assert!(!w.older_than_move(age(5)), "made after the move: kept");
    }

    #[test]
    fn a_url_without_hosts_is_refused() {
        let none = hosts::HostList {
            urls: vec![],
            names: vec![],
        };
        assert!(Writable::new(none).is_err());
    }
}
