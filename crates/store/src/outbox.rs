//! The outbox: queue (idempotently), claim what is due, mark sent or failed, cancel what no longer applies.

use crate::entity::outbox;
use crate::{StoreError, now_utc};
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

/// Queues a message unless one with the same key exists (then nothing happens): returns whether it was queued.
pub async fn enqueue(c: &impl ConnectionTrait, m: NewMessage<'_>) -> Result<bool, StoreError> {
    if outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(m.dedupe_key.clone()))
        .one(c)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let now = now_utc();
    outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        dedupe_key: Set(m.dedupe_key),
        kind: Set(m.kind.into()),
        appointment_id: Set(m.appointment_id),
        recipient: Set(m.recipient),
        subject: Set(m.subject),
        body: Set(m.body),
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

/// Cancels the unsent messages about an appointment (it was cancelled or moved).
pub async fn cancel_for_appointment(
    c: &impl ConnectionTrait,
    appointment: Uuid,
) -> Result<u64, StoreError> {
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::CancelledAt, Expr::value(Some(now_utc())))
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
    outbox::ActiveModel {
        id: Set(id),
        sent_at: Set(Some(now_utc())),
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
