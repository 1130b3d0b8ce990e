//! Proving a restored copy usable: it opens with the keyring (every data key unwraps), its audit chain verifies
//! and is exactly as long as the manifest says, and a sample of sealed values decrypts in place.

use super::{BackupError, Location, Manifest};
use crate::Store;
use crate::crypto::{Aad, Encrypted};
use crate::entity::{clients, users};
use crate::keyring::Keyring;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// How many rows of each sealed table are opened: enough to catch a wrong or damaged key, cheap on any practice.
const SAMPLE: u64 = 25;

/// A copy that opened, verified and decrypted.
#[derive(Debug, Clone)]
pub struct VerifiedCopy {
    pub manifest: Manifest,
    pub audit_entries: u64,
    /// Sealed values that were opened (none in a practice without clinical text or second factors yet).
    pub sealed_opened: usize,
}

pub(super) async fn open_and_check(
    target: &Location,
    keyring: &Keyring,
    manifest: &Manifest,
) -> Result<VerifiedCopy, BackupError> {
    let store = Store::open(&target.url(), keyring).await?;
    let result = async {
        let report = store.verify_audit().await?;
        if let Some((seq, why)) = report.first_broken {
            let at = if seq == 0 {
                String::new()
            } else {
                format!(" at entry {seq}")
            };
            return Err(BackupError::Damaged(format!(
                "its audit chain is broken{at}: {why}"
            )));
        }
        if i64::try_from(report.entries).ok() != Some(manifest.audit_entries) {
            return Err(BackupError::Damaged(format!(
                "its audit chain has {} entries; the manifest says {}",
                report.entries, manifest.audit_entries
            )));
        }
        Ok(VerifiedCopy {
            manifest: manifest.clone(),
            audit_entries: report.entries,
            sealed_opened: open_sample(&store).await?,
        })
    }
    .await;
    store.close().await;
    result
}

fn unreadable(table: &str, column: &str, row: &str) -> BackupError {
    BackupError::Damaged(format!(
        "a sealed value ({table}.{column} of {row}) does not decrypt with this keyring"
    ))
}

/// Opens the newest sealed clinical fields and second-factor secrets; the values are dropped unread.
async fn open_sample(store: &Store) -> Result<usize, BackupError> {
    let cipher = store.cipher();
    let mut opened = 0;
    let rows = clients::Entity::find()
        .filter(
            Condition::any()
                .add(clients::Column::PresentingProblem.is_not_null())
                .add(clients::Column::ClinicalNotes.is_not_null()),
        )
        .order_by_desc(clients::Column::CreatedAt)
        .limit(SAMPLE)
        .all(store.db())
        .await?;
    for r in rows {
        let row = r.id.to_string();
        for (column, value) in [
            ("presenting_problem", &r.presenting_problem),
            ("clinical_notes", &r.clinical_notes),
        ] {
            if let Some(v) = value {
                let aad = Aad {
                    table: "clients",
                    column,
                    row: &row,
                };
                Encrypted::<String>::open(cipher, aad, v)
                    .map_err(|_| unreadable("clients", column, &row))?;
                opened += 1;
            }
        }
    }
    let rows = users::Entity::find()
        .filter(users::Column::TotpSecret.is_not_null())
        .order_by_desc(users::Column::CreatedAt)
        .limit(SAMPLE)
        .all(store.db())
        .await?;
    for r in rows {
        let row = r.id.to_string();
        if let Some(v) = &r.totp_secret {
            let aad = Aad {
                table: "users",
                column: "totp_secret",
                row: &row,
            };
            Encrypted::<Vec<u8>>::open(cipher, aad, v)
                .map_err(|_| unreadable("users", "totp_secret", &row))?;
            opened += 1;
        }
    }
    Ok(opened)
}
