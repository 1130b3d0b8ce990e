//! The outgoing mail queue as administrators see it: what kind of message, to whom, where it stands, how many
//! attempts and the last error — never a subject or a body, which may carry a live link or speak of a client —
//! and retrying one. Reading the queue is audited (it lists people's addresses); so is every retry.

use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{Error, Result, labels};
use rapport_store::audit::AuditEvent;
use rapport_store::outbox::{self, State};
use serde::Serialize;
use uuid::Uuid;

/// Rows per page of the queue.
pub const PAGE_SIZE: u64 = 50;

/// One message, without its subject or body.
#[derive(Debug, Clone, Serialize)]
pub struct QueuedMail {
    pub id: Uuid,
    pub kind: &'static str,
    pub recipient: String,
    pub state: &'static str,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Whether "retry" applies (neither sent, cancelled nor being sent).
    pub retryable: bool,
}

/// A page of the queue, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct MailQueue {
    pub messages: Vec<QueuedMail>,
    /// How many messages the filter holds in all, and where this page starts.
    pub total: u64,
    pub offset: u64,
}

fn state_label(s: State) -> &'static str {
    match s {
        State::Sent => "sent",
        State::Cancelled => "cancelled",
        State::Sending => "being sent",
        State::Failed => "failed, will retry",
        State::Waiting => "waiting",
    }
}

/// A failed message is given up when its next attempt lies years away (see `mail::run_outbox`).
fn given_up(m: &outbox::Message, now: DateTime<Utc>) -> bool {
    m.next_attempt_at > now + chrono::Duration::days(365)
}

impl App {
    pub async fn mail_queue(&self, ctx: &Ctx, unsent: bool, offset: u64) -> Result<MailQueue> {
        let ev = || AuditEvent::new(&ctx.actor, "outbox.read", "outbox");
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::Outbox, ev())
            .await?;
        let (rows, total) = outbox::page(tx.conn(), unsent, offset, PAGE_SIZE).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        let now = crate::clock::now_utc();
        let messages = rows
            .into_iter()
            .map(|m| {
                let state = outbox::state(&m, now);
                let label = if state == State::Failed && given_up(&m, now) {
                    "failed, given up"
                } else {
                    state_label(state)
                };
                QueuedMail {
                    id: m.id,
                    kind: labels::mail_kind(&m.kind),
                    state: label,
                    attempts: m.attempts,
                    last_error: m.last_error.clone(),
                    created_at: m.created_at,
                    next_attempt_at: (matches!(state, State::Waiting | State::Failed)
                        && !given_up(&m, now))
                    .then_some(m.next_attempt_at),
                    sent_at: m.sent_at,
                    retryable: matches!(state, State::Waiting | State::Failed),
                    recipient: m.recipient,
                }
            })
            .collect();
        Ok(MailQueue {
            messages,
            total,
            offset,
        })
    }

    /// Sends one unsent message again at the worker's next run, with a fresh count of attempts.
    pub async fn retry_mail(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        let ev = || AuditEvent::new(&ctx.actor, "outbox.retry", "outbox").resource(id);
        let tx = self.store.begin().await?;
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::Outbox, ev())
            .await?;
        if !outbox::retry(tx.conn(), id).await? {
            return Err(Error::Conflict(
                "this message was sent, cancelled or is being sent; there is nothing to retry"
                    .into(),
            ));
        }
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A message as the demo mailbox shows it: what would have been sent, text included.
#[derive(Debug, Clone, Serialize)]
pub struct DemoMail {
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    /// The first web address in the text (a questionnaire, diary, booking or portal link), to follow it.
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The first `http://` or `https://` address in a text, up to the next white space.
pub fn first_link(text: &str) -> Option<String> {
    let i = text.find("http://").or_else(|| text.find("https://"))?;
    let rest = &text[i..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches(['.', ',', ')']).to_string())
}

impl App {
    /// The demo mailbox: the newest unsent messages with their texts, for administrators of a demo practice that
    /// has no SMTP server. Anywhere else it does not exist (404), whoever asks.
    pub async fn demo_mailbox(&self, ctx: &Ctx) -> Result<Vec<DemoMail>> {
        if !self.config().demo_mailbox {
            return Err(Error::NotFound);
        }
        let ev = || AuditEvent::new(&ctx.actor, "outbox.demo_read", "outbox");
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::Read, Resource::Outbox, ev())
            .await?;
        let (rows, _) = outbox::page(tx.conn(), true, 0, PAGE_SIZE).await?;
        let mut mails = Vec::with_capacity(rows.len());
        for m in rows {
            let text = outbox::body(tx.cipher(), &m)?;
            mails.push(DemoMail {
                kind: labels::mail_kind(&m.kind),
                link: first_link(&text),
                recipient: m.recipient,
                subject: m.subject,
                text,
                created_at: m.created_at,
            });
        }
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(mails)
    }
}

#[cfg(test)]
mod tests {
    use super::first_link;

    #[test]
    fn the_first_link_is_found_without_its_punctuation() {
        assert_eq!(
            first_link("Please answer: https://rapport.test/m/abc123.\nThanks"),
            Some("https://rapport.test/m/abc123".into())
        );
        assert_eq!(first_link("no link here"), None);
    }
}
