//! The outbox: queue (idempotently), claim what is due, mark sent or failed, cancel what no longer applies.
//!
//! Bodies are sealed at rest, because an e-mail may carry a live one-time link that would open a portal account or
//! a questionnaire to whoever copied the database; once a message is sent or cancelled its body is dropped.
//!
//! A claim is a lease. The claimer records the Message-ID it will send under, then talks to the SMTP server, then
//! marks the message sent; a process that dies in between leaves a claim that nobody renews, and once it is older
//! than `LEASE_MINUTES` the message may be claimed again (the takeover counts as a failed attempt, with
//! "claim expired" as its error). The guarantee that results: each attempt sends at most once (only the holder of
//! a claim sends, and a claim is taken by one process), and a message is delivered at least once across crashes —
//! twice only if a process died after the SMTP server accepted it and before `mark_sent`, and then under the same
//! Message-ID, which lets the recipient's mail system recognise the copy.

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
        message_id: Set(None),
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

/// Every message of one kind, oldest first, bodies still sealed (read by the tests today; the administrators' mail
/// page of the working-day issue will list the same rows).
pub async fn of_kind(c: &impl ConnectionTrait, kind: &str) -> Result<Vec<Message>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Kind.eq(kind))
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .all(c)
        .await?)
}

/// Whether any message was ever queued under one of these keys (sent, failed or waiting: rows outlive their
/// bodies), i.e. whether someone was told of something. Alerts use it to recognise who was e-mailed about one.
pub async fn queued_any(c: &impl ConnectionTrait, keys: &[String]) -> Result<bool, StoreError> {
    if keys.is_empty() {
        return Ok(false);
    }
    Ok(outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.is_in(keys.iter().cloned()))
        .one(c)
        .await?
        .is_some())
}

/// How long a claim holds. Sending one message takes at most the SMTP timeout (20 s) plus two writes; ten minutes
/// is far beyond any live sender, and short enough that a reminder left by a dead process still goes out in time.
pub const LEASE_MINUTES: i64 = 10;

/// The oldest claim still held at `now`.
fn lease_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::minutes(LEASE_MINUTES)
}

/// Not claimed, or claimed by someone whose lease has run out.
fn unclaimed(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(outbox::Column::ClaimedAt.is_null())
        .add(outbox::Column::ClaimedAt.lte(lease_start(now)))
}

/// Cancels the unsent messages about an appointment (it was cancelled or moved); a message being sent right now
/// (a live claim) is beyond recall.
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
        .filter(unclaimed(now_utc()))
        .filter(outbox::Column::CancelledAt.is_null())
        .exec(c)
        .await?
        .rows_affected)
}

/// Messages due by `now`, not sent or cancelled, and not claimed (or claimed under a lease that ran out).
pub async fn due(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Message>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(outbox::Column::SentAt.is_null())
        .filter(unclaimed(now))
        .filter(outbox::Column::CancelledAt.is_null())
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .all(c)
        .await?)
}

/// Claims a message, as read by `due`, for one sending attempt under `message_id` (recorded before anything is
/// sent). A claim left to expire by another process is taken over, and that lost attempt is counted. Returns the
/// message as claimed, or `None` if someone else claimed it (or it changed) first: the update only applies to the
/// claim state that was read, so two processes never both win.
pub async fn claim(
    c: &impl ConnectionTrait,
    m: &Message,
    message_id: &str,
) -> Result<Option<Message>, StoreError> {
    let now = now_utc();
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedAt, Expr::value(Some(now)))
        .col_expr(
            outbox::Column::MessageId,
            Expr::value(Some(message_id.to_string())),
        )
        .filter(outbox::Column::Id.eq(m.id))
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::CancelledAt.is_null());
    update = match m.claimed_at {
        None => update.filter(outbox::Column::ClaimedAt.is_null()),
        Some(held) => {
            if held > lease_start(now) {
                return Ok(None);
            }
            update
                .filter(outbox::Column::ClaimedAt.eq(held))
                .col_expr(outbox::Column::Attempts, Expr::value(m.attempts + 1))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::value(Some(format!(
                        "claim expired: the attempt claimed at {} (Message-ID {}) may or may not have been sent",
                        held.to_rfc3339(),
                        m.message_id.as_deref().unwrap_or("none")
                    ))),
                )
        }
    };
    if update.exec(c).await?.rows_affected != 1 {
        return Ok(None);
    }
    Ok(outbox::Entity::find_by_id(m.id).one(c).await?)
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

/// Where a message stands, for the administrators' list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Sent,
    Cancelled,
    /// Being sent (a claim within its lease).
    Sending,
    /// Tried and failed; waiting for the next attempt, or given up (`next_attempt_at` far away).
    Failed,
    Waiting,
}

pub fn state(m: &Message, now: DateTime<Utc>) -> State {
    if m.sent_at.is_some() {
        State::Sent
    } else if m.cancelled_at.is_some() {
        State::Cancelled
    } else if m.claimed_at.is_some_and(|at| at > lease_start(now)) {
        State::Sending
    } else if m.attempts > 0 {
        State::Failed
    } else {
        State::Waiting
    }
}

/// A page of the queue, newest first, and how many messages it holds (for "showing N of M"); `unsent` keeps only
/// messages neither sent nor cancelled.
pub async fn page(
    c: &impl ConnectionTrait,
    unsent: bool,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Message>, u64), StoreError> {
    use sea_orm::PaginatorTrait;
    let mut q = outbox::Entity::find();
    if unsent {
        q = q
            .filter(outbox::Column::SentAt.is_null())
            .filter(outbox::Column::CancelledAt.is_null());
    }
    let total = q.clone().count(c).await?;
    let rows = q
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(c)
        .await?;
    Ok((rows, total))
}

/// Sends an unsent, uncancelled message again at the next run, with a fresh count of attempts (an administrator
/// fixed what made it fail, or it was given up). A message being sent right now is left alone. Returns whether it
/// was changed.
pub async fn retry(c: &impl ConnectionTrait, id: Uuid) -> Result<bool, StoreError> {
    let now = now_utc();
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::CancelledAt.is_null())
        .filter(unclaimed(now))
        .exec(c)
        .await?
        .rows_affected
        == 1)
}
