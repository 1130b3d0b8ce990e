//! Sending e-mail over SMTP (lettre), from the outbox. The worker claims a message (recording the Message-ID it
//! will carry) before sending and marks it sent after, so each attempt sends at most once; failures that certainly
//! sent nothing are retried with back-off, and a claim left by a process that died is taken over once its lease
//! runs out (`outbox::LEASE_MINUTES`), so nothing queued is lost: at-least-once across a crash mid-send.

use crate::App;
use chrono::Duration;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rapport_domain::{Error, Result};
use rapport_store::Unaudited;
use rapport_store::{now_utc, outbox};
use secrecy::{ExposeSecret, SecretString};

/// Where mail goes: an SMTP URL (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://host`) and
/// the sender address.
#[derive(Clone)]
pub struct MailConfig {
    pub smtp_url: SecretString,
    pub from: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.email.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(cfg: &MailConfig) -> Result<Mailer> {
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(cfg.smtp_url.expose_secret())
                .map_err(|e| Error::invalid("smtp_url", format!("not a usable SMTP URL: {e}")))?
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build();
        let from = cfg
            .from
            .parse::<Mailbox>()
            .map_err(|e| Error::invalid("mail_from", format!("not an e-mail address: {e}")))?;
        Ok(Mailer { transport, from })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// 1, 2, 4 … minutes after each failure, at most 4 hours; after 12 attempts a message is given up.
fn backoff(attempts: i32) -> Duration {
    Duration::minutes((1i64 << attempts.clamp(0, 8)).min(240))
}

const MAX_ATTEMPTS: i32 = 12;

impl App {
    /// Sends what is due now. Returns how many were sent and how many failed (to be retried).
    pub async fn deliver_due(&self, mailer: &Mailer) -> Result<Delivery> {
        let db = self.store.unaudited(Unaudited::Worker);
        let mut report = Delivery::default();
        for m in outbox::due(db, now_utc(), 50).await? {
            // One Message-ID per message, the same on every attempt: if a process died after the SMTP server
            // took the message, the copy sent on takeover is recognisable as the same message.
            let message_id = format!("<{}@{}>", m.id, mailer.from.email.domain());
            let Some(m) = outbox::claim(db, &m, &message_id).await? else {
                continue;
            };
            let to = match m.recipient.parse::<Mailbox>() {
                Ok(t) => t,
                Err(e) => {
                    outbox::mark_failed(
                        db,
                        &m,
                        &format!("bad recipient: {e}"),
                        Duration::days(3650),
                    )
                    .await?;
                    report.failed += 1;
                    continue;
                }
            };
            let text = outbox::body(self.store.cipher(), &m)?;
            let email = Message::builder()
                .from(mailer.from.clone())
                .to(to)
                .subject(m.subject.clone())
                .message_id(Some(message_id))
                .header(ContentType::TEXT_PLAIN)
                .body(text)
                .map_err(|e| Error::internal(format!("building mail: {e}")))?;
            match mailer.transport.send(email).await {
                Ok(_) => {
                    outbox::mark_sent(db, m.id).await?;
                    report.sent += 1;
                }
                Err(e) => {
                    // A permanent refusal (5xx) will not change; anything else is retried.
                    let wait = if e.is_permanent() || m.attempts + 1 >= MAX_ATTEMPTS {
                        Duration::days(3650)
                    } else {
                        backoff(m.attempts)
                    };
                    tracing::warn!(message_id = %m.id, attempts = m.attempts + 1, error = %e, "e-mail not sent");
                    outbox::mark_failed(db, &m, &e.to_string(), wait).await?;
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// The worker loop: every `every` until `stop` resolves, runs the measure jobs (scheduled questionnaire links,
    /// escalation of unacknowledged alerts), sweeps expired idempotency keys and then sends what the outbox holds.
    /// Without a mailer the jobs still run and their e-mails wait in the outbox.
    pub async fn run_outbox(
        self,
        mailer: Option<Mailer>,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {
                    crate::worker::guarded("measure jobs", self.run_measure_jobs(now_utc())).await;
                    crate::worker::guarded("idempotency sweep", self.sweep_idempotency()).await;
                    if let Some(m) = &mailer {
                        crate::worker::guarded("outbox", self.deliver_due(m)).await;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::minutes(1));
        assert_eq!(backoff(3), Duration::minutes(8));
        assert_eq!(backoff(20), Duration::minutes(240));
    }
}
