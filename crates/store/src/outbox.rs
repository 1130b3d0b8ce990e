//! The outbox: queue (idempotently), claim what is due, mark sent or failed, cancel what no longer applies.
//!
//! Bodies are sealed at rest, because an e-mail may carry a live one-time link that would open a portal account or
//! a questionnaire to whoever copied the database; once a message is sent or cancelled its body is dropped.

use crate::crypto::{Aad, Cipher, Encrypted};
use crate::entity::outbox;
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

pub use outbox::Model as Message;

#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub dedupe_key: String,
    pub kind: &'a str,
    pub appointment_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub due_at: DateTime<Utc>,
}

fn body_aad(id: &str) -> Aad<'_> {
    Aad {
        table: "outbox",
        column: "sealed_body",
        row: id,
    }
}

/// Queues a message unless one with the same key exists (then nothing happens): returns whether it was queued.
pub async fn enqueue(tx: &Tx<'_>, m: NewMessage<'_>) -> Result<bool, StoreError> {
    let c = tx.conn();
    if outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(m.dedupe_key.clone()))
        .one(c)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let now = now_utc();
    let id = Uuid::now_v7();
    let sealed = Encrypted::<String>::seal(tx.cipher(), body_aad(&id.to_string()), &m.body)?;
    outbox::ActiveModel {
        id: Set(id),
        dedupe_key: Set(m.dedupe_key),
        kind: Set(m.kind.into()),
        appointment_id: Set(m.appointment_id),
        recipient: Set(m.recipient),
        subject: Set(m.subject),
        body: Set(String::new()),
        sealed_body: Set(Some(sealed)),
        due_at: Set(m.due_at),
        attempts: Set(0),
        next_attempt_at: Set(m.due_at),
        claimed_at: Set(None),
        sent_at: Set(None),
        cancelled_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }
    .insert(c)
    .await?;
    Ok(true)
}

/// The text of a message to send: opened from its seal (or, on a row older than sealing, as stored). Empty once
/// the message has been sent or cancelled.
pub fn body(cipher: &Cipher, m: &Message) -> Result<String, StoreError> {
    match &m.sealed_body {
        Some(sealed) => Ok(Encrypted::<String>::open(
            cipher,
            body_aad(&m.id.to_string()),
            sealed,
        )?),
        None => Ok(m.body.clone()),
    }
}

/// Every message of one kind, oldest first (for the administrators' mail page and tests); bodies stay sealed.
pub async fn of_kind(c: &impl ConnectionTrait, kind: &str) -> Result<Vec<Message>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Kind.eq(kind))
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .all(c)
        .await?)
}

/// Cancels the unsent messages about an appointment (it was cancelled or moved).
pub async fn cancel_for_appointment(
    c: &impl ConnectionTrait,
    appointment: Uuid,
) -> Result<u64, StoreError> {
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::CancelledAt, Expr::value(Some(now_utc())))
        .col_expr(outbox::Column::Body, Expr::value(String::new()))
        .col_expr(
            outbox::Column::SealedBody,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(outbox::Column::AppointmentId.eq(appointment))
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::ClaimedAt.is_null())
        .filter(outbox::Column::CancelledAt.is_null())
        .exec(c)
        .await?
        .rows_affected)
}

/// Messages due by `now`, not sent, claimed or cancelled.
pub async fn due(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Message>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::ClaimedAt.is_null())
        .filter(outbox::Column::CancelledAt.is_null())
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .all(c)
        .await?)
}

/// Claims a message for sending; false if someone else claimed (or it changed) first.
pub async fn claim(c: &impl ConnectionTrait, id: Uuid) -> Result<bool, StoreError> {
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedAt, Expr::value(Some(now_utc())))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::ClaimedAt.is_null())
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::CancelledAt.is_null())
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

pub async fn mark_sent(c: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    // Sent is gone: keeping the text would keep its links usable for whoever copies the database.
    outbox::ActiveModel {
        id: Set(id),
        sent_at: Set(Some(now_utc())),
        body: Set(String::new()),
        sealed_body: Set(None),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}

/// Releases a claim after a failure that certainly sent nothing, to be retried after `backoff`.
pub async fn mark_failed(
    c: &impl ConnectionTrait,
    m: &Message,
    error: &str,
    backoff: Duration,
) -> Result<(), StoreError> {
    outbox::ActiveModel {
        id: Set(m.id),
        claimed_at: Set(None),
        attempts: Set(m.attempts + 1),
        next_attempt_at: Set(now_utc() + backoff),
        last_error: Set(Some(error.chars().take(500).collect())),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}

pub async fn for_appointment(
    c: &impl ConnectionTrait,
    appointment: Uuid,
) -> Result<Vec<Message>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::AppointmentId.eq(appointment))
        .order_by_asc(outbox::Column::CreatedAt)
        .all(c)
        .await?)
}
