//! Rapport's use cases. Each one takes the caller's context first, asks the policy, does its work in one
//! transaction, appends the audit entry in that same transaction, and commits.
//!
//! This crate speaks domain types and `rapport_domain::Error`; it knows nothing of HTTP or HTML.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod behaviour;
pub mod chart;
pub mod client_choices;
pub mod client_file;
pub mod clients;
pub mod clinicians;
pub mod config;
pub mod demo;
pub mod emergency;
pub mod episodes;
pub mod groups;
mod guard;
pub mod idempotency;
pub mod mail;
pub mod mail_queue;
pub mod measures;
pub mod medications;
pub mod notes;
pub mod on_call;
pub mod plans;
pub mod portal;
pub mod practice_settings;
pub mod records;
pub mod referrals;
mod rights;
pub mod safety;
pub mod scheduling;
pub mod secrets;
pub mod today;
pub mod units;
pub mod worker;

pub use config::AppConfig;
pub use rapport_domain as domain;
pub use rapport_domain::{Error, Result};
pub use rapport_store::backup;
pub use rapport_store::clock;
pub use rapport_store::keyring::{Keyring, KeyringError};
pub use rapport_store::{Backend, StoreError};

use rapport_domain::Actor;
use rapport_store::Store;

/// How long `/readyz` waits for its test write: longer means the writer is stuck or the disk hangs.
const READY_WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Today's date in UTC, the date a record is stamped with when no zone applies.
pub(crate) fn today() -> chrono::NaiveDate {
    rapport_store::now_utc().date_naive()
}

/// Who is calling, and the request id to stamp on the audit entries.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub request_id: Option<String>,
    /// The Idempotency-Key a create was sent with (see `idempotency`); `None` everywhere else.
    pub once: Option<idempotency::Once>,
}

impl Ctx {
    pub fn new(actor: Actor, request_id: Option<String>) -> Self {
        Ctx {
            actor,
            request_id,
            once: None,
        }
    }

    /// This context with a create's Idempotency-Key.
    pub fn with_once(mut self, once: Option<idempotency::Once>) -> Self {
        self.once = once;
        self
    }

    pub fn operator() -> Self {
        Ctx {
            actor: Actor::Operator,
            request_id: None,
            once: None,
        }
    }

    pub(crate) fn rid(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

/// The application: the store plus configuration. Cheap to clone (shared pools and keys).
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    config: AppConfig,
}

impl App {
    /// Opens (and migrates) the database at `url`, unlocking its data keys with `keyring`.
    pub async fn open(url: &str, keyring: &Keyring, config: AppConfig) -> Result<App, StoreError> {
        let store = Store::open(url, keyring).await?;
        Ok(App { store, config })
    }

    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Readiness (`/readyz`): the group-commit writer runs (bookings go through it), the database answers, and a
    /// write can commit.
    pub async fn ready(&self) -> Result<()> {
        if !self.store.writer_running() {
            return Err(Error::internal("the group-commit writer is not running"));
        }
        // Both waits are bounded: while the database is away (killed, failing over) a pooled connection is
        // retried until the pool's 30-second acquire timeout, and `/readyz` must say "not ready" long before.
        match tokio::time::timeout(READY_WRITE_WAIT, self.store.ping()).await {
            Ok(r) => r.map_err(Error::from)?,
            Err(_) => {
                return Err(Error::Unavailable(
                    "the database did not answer within 5 seconds".into(),
                ));
            }
        }
        // Ready means a write can commit: a full disk still answers `SELECT 1`.
        match tokio::time::timeout(READY_WRITE_WAIT, self.store.probe_write()).await {
            Ok(r) => r.map_err(Error::from),
            Err(_) => Err(Error::Unavailable(
                "a test write did not commit within 5 seconds".into(),
            )),
        }
    }

    pub async fn close(self) {
        self.store.close().await
    }

    /// Re-wraps all data keys under a new key-encryption key (the keyring file is updated in place).
    pub async fn rotate_keys(
        &self,
        keyring: &mut Keyring,
    ) -> Result<rapport_store::Rotation, StoreError> {
        let r = self.store.rotate_keys(keyring).await?;
        self.store
            .audit_alone(
                rapport_store::audit::AuditEvent::new(&Actor::Operator, "keys.rotate", "keyring")
                    .detail(format!(
                        "new key-encryption key {}, new data key {}",
                        r.new_kek_id, r.new_data_key_id
                    )),
            )
            .await?;
        Ok(r)
    }
}
