//! The one error type every layer speaks; the web edge maps each variant to exactly one HTTP status.

use serde::Serialize;

/// A problem with one input field, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The record does not exist, or the caller may not learn that it exists.
    #[error("not found")]
    NotFound,
    /// The caller knows the record exists but may not perform this action on it.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The write lost a race (stale version, duplicate key, idempotency clash).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("authentication required")]
    Unauthenticated,
    /// Too many attempts; `retry_after_secs` tells the caller when to try again.
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// The disk the record lives on is full: nothing of this request was kept. The message is for the log.
    #[error("storage full: {0}")]
    StorageFull(String),
    /// The database cannot be reached or stayed busy: nothing of this request was kept; trying again later may
    /// work. The message is for the log.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Something went wrong that the caller cannot fix; the message is for the log, never the response.
    #[error("internal error: {0}")]
    Internal(String),
    /// The same request was answered before under the caller's Idempotency-Key: that answer is to be given again
    /// (nothing was written this time).
    #[error("already answered under this idempotency key")]
    Replay(Box<Replayed>),
    /// The caller's Idempotency-Key was used before for another request (another body or route).
    #[error("the idempotency key was used for a different request")]
    IdempotencyMismatch,
}

/// The first answer to a request made under an Idempotency-Key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    pub status: u16,
    pub location: Option<String>,
    /// The response body, JSON.
    pub body: String,
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }

    /// The server's fault, not the caller's (a bug, a full disk, a database away): shown as an error page with the
    /// request id rather than as a message on the form.
    pub fn is_server_fault(&self) -> bool {
        matches!(
            self,
            Error::Internal(_) | Error::StorageFull(_) | Error::Unavailable(_)
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects field errors so a form can report all of them at once instead of one per submit.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Records the error of `r` under its field and returns the value, if any.
    pub fn take<T>(&mut self, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Error::Validation(errs)) => {
                self.0.extend(errs);
                None
            }
            Err(other) => {
                self.0.push(FieldError::new("", other.to_string()));
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}
