//! Appointment reminders: queued in the booking's transaction, one per recipient per appointment time, cancelled
//! when the appointment is moved or cancelled. They say when and where, never who the clinician is or what the
//! session is about.

use crate::App;
use chrono::Duration;
use chrono_tz::Tz;
use rapport_domain::Result;
use rapport_domain::client::is_minor;
use rapport_domain::scheduling::appointment::Mode;
use rapport_store::outbox::{self, NewMessage};
use rapport_store::schedule::Appointment;
use rapport_store::{Tx, clients, now_utc, resources};

const DEFAULT_REMINDER_HOURS: i64 = 24;

impl App {
    /// Queues reminders for an appointment (to the client, or a minor's guardians), due the practice's reminder
    /// lead time before it starts. Past appointments get none.
    pub(crate) async fn queue_reminders(&self, tx: &Tx<'_>, a: &Appointment) -> Result<()> {
        let now = now_utc();
        // A request awaiting the practice's approval is reminded once it is accepted.
        if a.session.start <= now
            || !a.status.holds_time()
            || a.status == rapport_domain::scheduling::appointment::Status::Requested
        {
            return Ok(());
        }
        let lead = resources::setting(tx.conn(), "reminder_hours")
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(DEFAULT_REMINDER_HOURS);
        if lead <= 0 {
            return Ok(());
        }
        let practice = resources::setting(tx.conn(), "practice_name")
            .await?
            .unwrap_or_else(|| "Your practice".into());
        let due = (a.session.start - Duration::hours(lead)).max(now);
        for id in &a.client_ids {
            let Some(c) = clients::get(tx.conn(), *id).await? else {
                continue;
            };
            let recipients: Vec<String> = if is_minor(c.date_of_birth, now.date_naive()) {
                c.guardians.iter().filter_map(|g| g.email.clone()).collect()
            } else {
                c.email.clone().into_iter().collect()
            };
            let tz: Tz = c.time_zone.parse().unwrap_or(chrono_tz::UTC);
            let when = a
                .session
                .start
                .with_timezone(&tz)
                .format("%A %-d %B %Y at %H:%M")
                .to_string();
            let place = match a.mode {
                Mode::Telehealth => {
                    "It is an online session; the link comes from your practice.".to_string()
                }
                Mode::InPerson => "It takes place at the practice.".to_string(),
            };
            for to in recipients {
                let body = format!(
                    "Hello,\n\nThis is a reminder of an appointment on {when} ({}).\n{place}\n\nIf you cannot attend, please let us know as soon as possible.\n\n{practice}\n",
                    tz.name()
                );
                outbox::enqueue(
                    tx.conn(),
                    NewMessage {
                        dedupe_key: format!(
                            "reminder:{}:{}:{}",
                            a.id,
                            a.session.start.timestamp(),
                            to.to_lowercase()
                        ),
                        kind: "reminder",
                        appointment_id: Some(a.id),
                        recipient: to,
                        subject: format!(
                            "Appointment reminder: {}",
                            a.session.start.with_timezone(&tz).format("%-d %b, %H:%M")
                        ),
                        body,
                        due_at: due,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn cancel_reminders(&self, tx: &Tx<'_>, a: &Appointment) -> Result<()> {
        outbox::cancel_for_appointment(tx.conn(), a.id).await?;
        Ok(())
    }
}
