//! Idempotency keys: the answer a create gave under a caller's key, written in the create's own transaction (so
//! no write is ever kept without its key, nor a key without its write) and kept for `keep()`.
//!
//! The answer is sealed with the row's id as associated data: it may carry clinical text, and a copy of the
//! database alone must not show it. The request is kept only as a SHA-256 hash, enough to tell a retry from a
//! different request that reuses the key.

use crate::crypto::{Aad, Encrypted};
use crate::entity::idempotency;
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// How long an answer is kept: a client that retries does so within seconds or minutes; a day covers a laptop
/// that went to sleep mid-request, and bounds what the table holds.
pub fn keep() -> Duration {
    Duration::hours(24)
}

/// One keyed request: who asked, under which key, on which route, with which body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub caller: String,
    pub key: String,
    /// Method and route template, e.g. `POST /api/v1/clients`.
    pub route: String,
    /// SHA-256 of the request body, hex.
    pub hash: String,
}

/// The first answer given under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    /// The response body, JSON.
    pub body: String,
}

/// What an earlier request under the same key left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// The same request: its answer, to be given again.
    Same(Answer),
    /// Another route or another body under the same key.
    Different,
}

fn aad(id: &str) -> Aad<'_> {
    Aad {
        table: "idempotency",
        column: "sealed_response",
        row: id,
    }
}

/// The earlier request under this caller's key, if one was answered within `keep()`. An expired one is deleted here,
/// in the caller's transaction, so that the key can be recorded again.
pub async fn earlier(tx: &Tx<'_>, r: &Request) -> Result<Option<Earlier>, StoreError> {
    let c = tx.conn();
    let Some(row) = idempotency::Entity::find()
        .filter(idempotency::Column::Caller.eq(r.caller.as_str()))
        .filter(idempotency::Column::Key.eq(r.key.as_str()))
        .one(c)
        .await?
    else {
        return Ok(None);
    };
    if row.created_at <= now_utc() - keep() {
        idempotency::Entity::delete_by_id(row.id).exec(c).await?;
        return Ok(None);
    }
    if row.route != r.route || row.request_hash != r.hash {
        return Ok(Some(Earlier::Different));
    }
    let body =
        Encrypted::<String>::open(tx.cipher(), aad(&row.id.to_string()), &row.sealed_response)?;
    Ok(Some(Earlier::Same(Answer {
        status: u16::try_from(row.status).unwrap_or(500),
        location: row.location,
        body,
    })))
}

/// Records the answer given under the key, in the transaction that made the write it answers.
pub async fn record(tx: &Tx<'_>, r: &Request, answer: &Answer) -> Result<(), StoreError> {
    let id = Uuid::now_v7();
    let sealed = Encrypted::<String>::seal(tx.cipher(), aad(&id.to_string()), &answer.body)?;
    idempotency::ActiveModel {
        id: Set(id),
        caller: Set(r.caller.clone()),
        key: Set(r.key.clone()),
        route: Set(r.route.clone()),
        request_hash: Set(r.hash.clone()),
        status: Set(i32::from(answer.status)),
        location: Set(answer.location.clone()),
        sealed_response: Set(sealed),
        created_at: Set(now_utc()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// Deletes the answers older than `keep()` as of `now`; returns how many.
pub async fn sweep(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(idempotency::Entity::delete_many()
        .filter(idempotency::Column::CreatedAt.lte(now - keep()))
        .exec(c)
        .await?
        .rows_affected)
}
