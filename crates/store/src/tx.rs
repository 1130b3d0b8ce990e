//! `Tx`, the transaction every use case runs in. Its audit entries are kept until it ends: a write appends them to
//! the audit chains as the last step before it commits, in the same transaction as its change; a read holds no
//! lock and hands its entries to the group-commit writer when it ends (`Store::begin_read`).
//!
//! Appending last keeps the chains' heads locked only for the commit, not for the whole use case, and lets every
//! transaction lock the heads it needs in one ascending sweep (`audit::chain::append`).

use crate::audit::{AuditEvent, chain};
use crate::crypto::Cipher;
use crate::{Store, StoreError};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use std::sync::Mutex;

/// A transaction; dropping it without `commit` rolls everything back (and forgets its audit entries: what did not
/// happen, or was not answered, is not recorded).
pub struct Tx<'s> {
    // Declared before `_turn`, so it is dropped (rolled back) before the next transaction gets its turn.
    txn: DatabaseTransaction,
    store: &'s Store,
    /// `None` in a savepoint, whose enclosing transaction holds the turn, in a read and in the audit lane.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Whether this is a read (which must not write, and whose entries go to the writer when it ends).
    read: bool,
    /// The audit entries recorded so far, appended when it commits (or released, for a savepoint).
    pending: Mutex<Vec<AuditEvent>>,
}

impl<'s> Tx<'s> {
    /// A write, holding this process's turn (`turn`) or, in the audit lane, none.
    pub(crate) fn writing(
        txn: DatabaseTransaction,
        store: &'s Store,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    ) -> Tx<'s> {
        Tx {
            txn,
            store,
            _turn: turn,
            read: false,
            pending: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn reading(txn: DatabaseTransaction, store: &'s Store) -> Tx<'s> {
        Tx {
            read: true,
            ..Tx::writing(txn, store, None)
        }
    }

    /// A savepoint inside this transaction: `release` keeps what it wrote (and its audit entries), `rollback`
    /// undoes only that.
    pub(crate) async fn savepoint(&self) -> Result<Tx<'s>, StoreError> {
        Ok(Tx::writing(self.txn.begin().await?, self.store, None))
    }

    /// Keeps a savepoint's writes as part of `outer`, the transaction it is in; its audit entries join `outer`'s,
    /// to be appended when `outer` commits. Not appended here: a batch's jobs go to chains in any order, and
    /// locking each job's heads as it ends would take a batch's heads out of ascending order, so two batches (of
    /// two servers, or a server's two lanes) could each hold a head the other waits for.
    pub(crate) async fn release(self, outer: &Tx<'_>) -> Result<(), StoreError> {
        let events = take(&self.pending);
        self.txn.commit().await?;
        outer.audit_many(events).await
    }
}

fn take(pending: &Mutex<Vec<AuditEvent>>) -> Vec<AuditEvent> {
    // A poisoned lock only means another holder panicked mid-push; the entries are still a list.
    std::mem::take(&mut *pending.lock().unwrap_or_else(|p| p.into_inner()))
}

fn with_chains(events: Vec<AuditEvent>) -> Vec<(i32, AuditEvent)> {
    events
        .into_iter()
        .map(|ev| (chain::partition_of(&ev), ev))
        .collect()
}

impl Tx<'_> {
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn cipher(&self) -> &Cipher {
        &self.store.cipher
    }

    /// Whether this is a read (`Store::begin_read`).
    pub fn is_read(&self) -> bool {
        self.read
    }

    /// Records an audit entry, kept with the transaction: it is written if and only if the transaction commits.
    pub async fn audit(&self, ev: AuditEvent) -> Result<(), StoreError> {
        self.audit_many(vec![ev]).await
    }

    /// Records several entries in order (one per client of a list, say); they are appended with a few statements
    /// per chain.
    pub async fn audit_many(&self, events: Vec<AuditEvent>) -> Result<(), StoreError> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(events);
        Ok(())
    }

    /// Commits a write, its audit entries appended first. Ends a read and then makes its audit entries durable
    /// through the group-commit writer; only after that may the caller answer.
    pub async fn commit(self) -> Result<(), StoreError> {
        let Tx {
            txn,
            store,
            read,
            pending,
            ..
        } = self;
        let events = pending.into_inner().unwrap_or_else(|p| p.into_inner());
        if !read {
            chain::append(&txn, &store.audit_keys, with_chains(events), None).await?;
            return Ok(txn.commit().await?);
        }
        txn.commit().await?;
        if events.is_empty() {
            return Ok(());
        }
        // Boxed: the audit lane commits a `Tx` itself (a write, which never comes back here).
        Box::pin(store.append_reads(events)).await
    }

    /// Rolls back now, releasing the database's locks before the caller writes anything else.
    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.txn.rollback().await?)
    }
}
