//! Outgoing e-mail, written with the change that causes it and sent by the outbox worker.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// One message per key, ever: a reminder for an appointment at a given time is queued once.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub kind: String,
    pub appointment_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    /// Empty for messages queued since bodies are sealed (see `sealed_body`); a plain body only on older rows.
    pub body: String,
    /// The body as ciphertext bound to this row; dropped once the message is sent or cancelled.
    pub sealed_body: Option<Vec<u8>>,
    pub due_at: DateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Set just before sending. A claim is a lease (`outbox::LEASE`): one older than that was left by a process
    /// that died, and the message may be claimed again.
    pub claimed_at: Option<DateTimeUtc>,
    /// The Message-ID of the current (or last) sending attempt, recorded with the claim before the SMTP exchange.
    pub message_id: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
