//! Short labels that carry clinical meaning, sealed like free text: a group's name ("Anger management" says what
//! its members are treated for), a couple's or family's label, and a measure alert's reason (which questionnaire's
//! risk item was answered).
//!
//! No query filters or sorts by them in SQL: lists are sorted after opening. Each lives in a `sealed_*` column bound
//! to its table, column and row; the old plain column stays empty. Rows written before migration 000032 are sealed
//! by `seal_plain_rows`, which every start runs (it finds nothing to do once they are all sealed).

use crate::audit::AuditEvent;
use crate::crypto::{Aad, Cipher, Encrypted};
use crate::entity::{groups, measure_alerts, units};
use crate::{Backend, Store, StoreError, Tx};
use rapport_domain::Actor;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// Which label: its table and sealed column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sealed {
    GroupName,
    UnitLabel,
    AlertReason,
}

impl Sealed {
    fn aad(self, row: &str) -> Aad<'_> {
        let (table, column) = match self {
            Sealed::GroupName => ("groups", "sealed_name"),
            Sealed::UnitLabel => ("units", "sealed_label"),
            Sealed::AlertReason => ("measure_alerts", "sealed_reason"),
        };
        Aad { table, column, row }
    }

    pub(crate) fn seal(self, cipher: &Cipher, id: Uuid, text: &str) -> Result<Vec<u8>, StoreError> {
        Ok(Encrypted::<String>::seal(
            cipher,
            self.aad(&id.to_string()),
            &text.to_string(),
        )?)
    }

    /// The label of row `id`: opened from `sealed`, or the plain column of a row not sealed yet.
    pub(crate) fn open(
        self,
        cipher: &Cipher,
        id: Uuid,
        sealed: Option<&[u8]>,
        plain: &str,
    ) -> Result<String, StoreError> {
        match sealed {
            Some(s) => Ok(Encrypted::<String>::open(
                cipher,
                self.aad(&id.to_string()),
                s,
            )?),
            None => Ok(plain.to_string()),
        }
    }
}

/// Seals what an older version left plain, at each start (the keys are needed, so a migration cannot). When it
/// sealed anything it also rewrites the tables, so that the plain values do not linger in free pages (SQLite's file
/// and WAL) or dead row versions (PostgreSQL): best effort, since a backup taken before holds them anyway.
pub(crate) async fn seal_at_start(store: &Store) -> Result<(), StoreError> {
    let tx = store.begin().await?;
    let sealed = seal_plain_rows(&tx).await?;
    tx.commit().await?;
    if sealed == 0 {
        return Ok(());
    }
    let scrub: &[&str] = match store.backend() {
        Backend::Sqlite => &["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"],
        Backend::Postgres => &["VACUUM FULL groups, units, measure_alerts"],
    };
    for sql in scrub {
        if let Err(e) = store.db().execute_unprepared(sql).await {
            tracing::warn!(error = %e, "could not rewrite the tables after sealing labels");
        }
    }
    Ok(())
}

/// Seals every label still in a plain column and empties that column; returns how many were sealed. The work is
/// audited when there was any.
pub(crate) async fn seal_plain_rows(tx: &Tx<'_>) -> Result<usize, StoreError> {
    let (c, cipher) = (tx.conn(), tx.cipher());
    let mut sealed = 0;
    for g in groups::Entity::find()
        .filter(groups::Column::SealedName.is_null())
        .all(c)
        .await?
    {
        groups::ActiveModel {
            id: Set(g.id),
            sealed_name: Set(Some(Sealed::GroupName.seal(cipher, g.id, &g.name)?)),
            name: Set(String::new()),
            ..Default::default()
        }
        .update(c)
        .await?;
        sealed += 1;
    }
    for u in units::Entity::find()
        .filter(units::Column::SealedLabel.is_null())
        .all(c)
        .await?
    {
        units::ActiveModel {
            id: Set(u.id),
            sealed_label: Set(Some(Sealed::UnitLabel.seal(cipher, u.id, &u.label)?)),
            label: Set(String::new()),
            ..Default::default()
        }
        .update(c)
        .await?;
        sealed += 1;
    }
    for a in measure_alerts::Entity::find()
        .filter(measure_alerts::Column::SealedReason.is_null())
        .all(c)
        .await?
    {
        measure_alerts::ActiveModel {
            id: Set(a.id),
            sealed_reason: Set(Some(Sealed::AlertReason.seal(cipher, a.id, &a.reason)?)),
            reason: Set(String::new()),
            ..Default::default()
        }
        .update(c)
        .await?;
        sealed += 1;
    }
    if sealed > 0 {
        tx.audit(
            AuditEvent::new(&Actor::Operator, "store.labels_seal", "store").detail(format!(
                "{sealed} group names, unit labels or alert reasons sealed"
            )),
        )
        .await?;
    }
    Ok(sealed)
}
