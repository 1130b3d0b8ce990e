//! `Tx`, the transaction every use case runs in: a write holds the audit chain's lock and appends its entries in
//! the same transaction as its change; a read holds no lock and its entries go to the group-commit writer when it
//! ends (`Store::begin_read`).

use crate::audit::{self, AuditEvent};
use crate::crypto::Cipher;
use crate::{Store, StoreError};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use std::sync::Mutex;

/// A transaction; dropping it without `commit` rolls everything back (and forgets a read's audit entries, as the
/// read is not answered).
pub struct Tx<'s> {
    // Declared before `_turn`, so it is dropped (rolled back) before the next transaction gets its turn.
    txn: DatabaseTransaction,
    store: &'s Store,
    /// `None` in a savepoint, whose enclosing transaction holds the turn, and in a read.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// A read's audit entries, written when it commits; `None` in a write, which appends them at once.
    reads: Option<Mutex<Vec<AuditEvent>>>,
}

impl<'s> Tx<'s> {
    pub(crate) fn locked(
        txn: DatabaseTransaction,
        store: &'s Store,
        turn: tokio::sync::OwnedMutexGuard<()>,
    ) -> Tx<'s> {
        Tx {
            txn,
            store,
            _turn: Some(turn),
            reads: None,
        }
    }

    pub(crate) fn reading(txn: DatabaseTransaction, store: &'s Store) -> Tx<'s> {
        Tx {
            txn,
            store,
            _turn: None,
            reads: Some(Mutex::new(Vec::new())),
        }
    }

    /// A savepoint inside this transaction: `release` keeps what it wrote, `rollback` undoes only that.
    pub(crate) async fn savepoint(&self) -> Result<Tx<'s>, StoreError> {
        Ok(Tx {
            txn: self.txn.begin().await?,
            store: self.store,
            _turn: None,
            reads: None,
        })
    }

    /// Keeps a savepoint's writes (they become part of the enclosing transaction).
    pub(crate) async fn release(self) -> Result<(), StoreError> {
        Ok(self.txn.commit().await?)
    }
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
        self.reads.is_some()
    }

    /// Records an audit entry: appended now in a write, kept until `commit` in a read.
    pub async fn audit(&self, ev: AuditEvent) -> Result<(), StoreError> {
        match self.keep(vec![ev]).and_then(|mut one| one.pop()) {
            Some(ev) => audit::append(&self.txn, &self.store.audit_keys, ev)
                .await
                .map(|_| ()),
            None => Ok(()),
        }
    }

    /// Records several entries in order (one per client of a list, say) in a few statements.
    pub async fn audit_many(&self, events: Vec<AuditEvent>) -> Result<(), StoreError> {
        match self.keep(events) {
            Some(ev) => audit::append_many(&self.txn, &self.store.audit_keys, ev).await,
            None => Ok(()),
        }
    }

    /// Appends one entry now and returns its sequence number; only a write holds the chain to append to.
    pub(crate) async fn append(&self, ev: AuditEvent) -> Result<i64, StoreError> {
        if self.is_read() {
            return Err(StoreError::Integrity(
                "a read cannot append to the audit chain itself".into(),
            ));
        }
        audit::append(&self.txn, &self.store.audit_keys, ev).await
    }

    /// In a read, keeps `events` for `commit` (and returns `None`); in a write, hands them back to append.
    fn keep(&self, events: Vec<AuditEvent>) -> Option<Vec<AuditEvent>> {
        match &self.reads {
            None => Some(events),
            Some(kept) => {
                // A poisoned lock only means another holder panicked mid-push; the entries are still a list.
                let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
                kept.extend(events);
                None
            }
        }
    }

    /// Commits a write. Ends a read and then makes its audit entries durable through the group-commit writer;
    /// only after that may the caller answer.
    pub async fn commit(self) -> Result<(), StoreError> {
        let Tx {
            txn, store, reads, ..
        } = self;
        txn.commit().await?;
        let Some(kept) = reads else {
            return Ok(());
        };
        let events = kept.into_inner().unwrap_or_else(|p| p.into_inner());
        if events.is_empty() {
            return Ok(());
        }
        // Boxed: `write` commits a `Tx` itself (a write, which never comes back here).
        Box::pin(store.write(
            move |tx| -> crate::writer::BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move { tx.audit_many(events).await })
            },
        ))
        .await
    }

    /// Rolls back now, releasing the chain's lock before the caller writes anything else.
    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.txn.rollback().await?)
    }
}
