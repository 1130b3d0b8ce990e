//! Appointment reminders: queued in the booking's transaction, one per recipient per appointment time, cancelled
//! when the appointment is moved or cancelled. They say when and where, never who the clinician is or what the
//! session is about.

use crate::App;
use chrono::Duration;
use chrono_tz::Tz;
use rapport_domain::ClientId;
use rapport_domain::Result;
use rapport_domain::client::is_minor;
use rapport_domain::scheduling::appointment::Mode;
use rapport_store::outbox::{self, NewMessage};
use rapport_store::schedule::Appointment;
use rapport_store::{ConnectionTrait, Tx, clients, now_utc, resources};

pub(crate) const DEFAULT_REMINDER_HOURS: i64 = 24;

/// What reminders for a booking's clients need from the database: the practice's lead time and name, and each
/// client's recipients (the client, or a minor's guardians) and zone. Read before a booking takes the writers'
/// turn, so only the outbox rows are written under it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReminderPlan {
    /// `None` when the practice sends no reminders.
    lead: Option<Duration>,
    practice: String,
    recipients: Vec<(ClientId, Vec<String>, Tz)>,
}

impl App {
    pub(crate) async fn reminder_plan(
        &self,
        c: &impl ConnectionTrait,
        client_ids: &[ClientId],
    ) -> Result<ReminderPlan> {
        let lead = resources::setting(c, "reminder_hours")
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(DEFAULT_REMINDER_HOURS);
        if lead <= 0 {
            return Ok(ReminderPlan::default());
        }
        let practice = resources::practice_name(c).await?;
        let today = now_utc().date_naive();
        let mut recipients = Vec::with_capacity(client_ids.len());
        for id in client_ids {
            let Some(c) = clients::get(c, *id).await? else {
                continue;
            };
            let to: Vec<String> = if is_minor(c.date_of_birth, today) {
                c.guardians.iter().filter_map(|g| g.email.clone()).collect()
            } else {
                c.email.clone().into_iter().collect()
            };
            let tz: Tz = c.time_zone.parse().unwrap_or(chrono_tz::UTC);
            recipients.push((*id, to, tz));
        }
        Ok(ReminderPlan {
            lead: Some(Duration::hours(lead)),
            practice,
            recipients,
        })
    }

    /// Queues reminders for an appointment (to the client, or a minor's guardians), due the practice's reminder
    /// lead time before it starts. Past appointments get none.
    pub(crate) async fn queue_reminders(&self, tx: &Tx<'_>, a: &Appointment) -> Result<()> {
        if !wants_reminders(a) {
            return Ok(());
        }
        let plan = self.reminder_plan(tx.conn(), &a.client_ids).await?;
        self.enqueue_reminders(tx, a, &plan).await
    }

    /// Writes the outbox rows of `queue_reminders` from a plan read earlier.
    pub(crate) async fn enqueue_reminders(
        &self,
        tx: &Tx<'_>,
        a: &Appointment,
        plan: &ReminderPlan,
    ) -> Result<()> {
        let Some(lead) = plan.lead.filter(|_| wants_reminders(a)) else {
            return Ok(());
        };
        let due = (a.session.start - lead).max(now_utc());
        let practice = &plan.practice;
        for (_, recipients, tz) in plan
            .recipients
            .iter()
            .filter(|(id, _, _)| a.client_ids.contains(id))
        {
            let tz = *tz;
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
                    tx,
                    NewMessage {
                        dedupe_key: format!(
                            "reminder:{}:{}:{}",
                            a.id,
                            a.session.start.timestamp(),
                            to.to_lowercase()
                        ),
                        kind: "reminder",
                        appointment_id: Some(a.id),
                        recipient: to.clone(),
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

/// Past appointments and requests awaiting the practice's approval get no reminder (a request is reminded once it
/// is accepted).
fn wants_reminders(a: &Appointment) -> bool {
    a.session.start > now_utc()
        && a.status.holds_time()
        && a.status != rapport_domain::scheduling::appointment::Status::Requested
}
