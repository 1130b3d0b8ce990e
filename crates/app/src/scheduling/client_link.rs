//! A client's own appointments, reached through the one-time booking link e-mailed to them: the coming sessions
//! (their own clinicians named, nobody else), each downloadable as an .ics file, and cancellation online while
//! the session is outside the practice's late-cancellation window. Inside the window the client is asked to call,
//! because a late cancellation may carry a fee and a clinician should hear about it from a person.
//!
//! The link is the only authority (`policy::Resource::BookingLink`), and only while it is live; using it to look
//! or to cancel does not use it up (booking does). Every look and every cancellation is audited under the client.

use super::feed;
use crate::secrets::sha256_hex;
use crate::{App, Ctx};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use rapport_domain::policy::{Action, Resource};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{self, Status};
use rapport_domain::{Actor, ClientId, Error, Result, UserId};
use rapport_store::audit::AuditEvent;
use rapport_store::schedule::{self, Appointment, RangeFilter};
use rapport_store::{Tx, booking_links, clients, now_utc, resources, users};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// How far ahead a client sees their own sessions.
const AHEAD_DAYS: i64 = 400;

/// One of the client's coming sessions, as the client sees it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnAppointment {
    pub id: Uuid,
    pub clinician_name: String,
    pub start: DateTime<Utc>,
    pub start_local: NaiveDateTime,
    pub minutes: i64,
    pub mode: String,
    /// The mode in words ("In person").
    pub mode_label: &'static str,
    pub status: String,
    /// False inside the late-cancellation window: the client is asked to call instead.
    pub can_cancel_online: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OwnAppointments {
    pub time_zone: String,
    pub cancellation_window_hours: i64,
    pub appointments: Vec<OwnAppointment>,
}

fn event(action: &str, client: ClientId, request_id: Option<&str>) -> AuditEvent {
    AuditEvent::new(&Actor::Public, action.to_string(), "appointment")
        .client(client.0)
        .request(request_id)
}

impl App {
    /// Opens a transaction on the link's client, once the policy allows `action` on a link in this state. An
    /// unknown, used or expired link is refused like any unknown page, and the refusal is audited.
    async fn link_tx(
        &self,
        token: &str,
        action: Action,
        audit_action: &str,
        request_id: Option<&str>,
    ) -> Result<(Tx<'_>, ClientId)> {
        self.open_rules().await?;
        let tx = self.store.begin().await?;
        let link = booking_links::live(tx.conn(), &sha256_hex(token)).await?;
        let ctx = Ctx::new(Actor::Public, request_id.map(String::from));
        let ev = || AuditEvent::new(&ctx.actor, audit_action.to_string(), "booking_link");
        let tx = self
            .guard(
                tx,
                &ctx,
                action,
                Resource::BookingLink {
                    live: link.is_some(),
                },
                ev(),
            )
            .await?;
        let link = link.ok_or(Error::NotFound)?;
        Ok((tx, ClientId(link.client_id)))
    }

    async fn own_upcoming(&self, tx: &Tx<'_>, client: ClientId) -> Result<Vec<Appointment>> {
        let now = now_utc();
        let filter = RangeFilter {
            client: Some(client),
            ..Default::default()
        };
        Ok(schedule::in_range(
            tx.conn(),
            Interval::from_duration(now, Duration::days(AHEAD_DAYS)),
            &filter,
        )
        .await?
        .into_iter()
        .filter(|a| a.session.start > now)
        .collect())
    }

    /// The client's coming sessions, on the client's wall clock.
    pub async fn link_appointments(
        &self,
        token: &str,
        request_id: Option<&str>,
    ) -> Result<OwnAppointments> {
        let (tx, client_id) = self
            .link_tx(token, Action::Read, "online.appointments", request_id)
            .await?;
        let client = clients::get(tx.conn(), client_id)
            .await?
            .ok_or(Error::NotFound)?;
        let own = self.own_appointments(&tx, &client).await?;
        tx.audit(
            event("online.appointments", client_id, request_id).detail("listed by the client"),
        )
        .await?;
        tx.commit().await?;
        Ok(own)
    }

    /// The client's coming sessions on the client's own clock, with their clinicians' names (nobody else's);
    /// the caller has asked the policy and writes the audit entry.
    pub(crate) async fn own_appointments(
        &self,
        tx: &Tx<'_>,
        client: &clients::Client,
    ) -> Result<OwnAppointments> {
        let tz: Tz = client.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let window = self.cancellation_window(tx).await?;
        let list = self.own_upcoming(tx, client.id).await?;
        let staff: HashMap<UserId, String> = users::list(tx.conn())
            .await?
            .into_iter()
            .map(|u| (UserId(u.id), u.display_name))
            .collect();
        let now = now_utc();
        let appointments = list
            .into_iter()
            .map(|a| OwnAppointment {
                id: a.id,
                clinician_name: staff.get(&a.clinician_id).cloned().unwrap_or_default(),
                start: a.session.start,
                start_local: a.session.start.with_timezone(&tz).naive_local(),
                minutes: (a.session.end - a.session.start).num_minutes(),
                mode: a.mode.as_str().into(),
                mode_label: a.mode.label(),
                status: a.status.as_str().into(),
                can_cancel_online: appointment::cancellation_status(now, a.session.start, window)
                    == Status::Cancelled,
            })
            .collect();
        Ok(OwnAppointments {
            time_zone: tz.name().into(),
            cancellation_window_hours: window.num_hours(),
            appointments,
        })
    }

    /// One of the client's own coming sessions as an .ics file (no clinical details; the clinician's name is
    /// the client's to know).
    pub async fn link_appointment_ics(
        &self,
        token: &str,
        id: Uuid,
        request_id: Option<&str>,
    ) -> Result<String> {
        let (tx, client_id) = self
            .link_tx(token, Action::Read, "online.appointment_ics", request_id)
            .await?;
        let a = self
            .own_upcoming(&tx, client_id)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(Error::NotFound)?;
        let clinician = users::by_id(tx.conn(), a.clinician_id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        let practice = resources::practice_name(tx.conn()).await?;
        let text = feed::client_ics(&practice, &clinician, &a)?;
        tx.audit(event("online.appointment_ics", client_id, request_id).resource(a.id))
            .await?;
        tx.commit().await?;
        Ok(text)
    }

    /// Cancels one of the client's own sessions, outside the late-cancellation window. The freed time goes to
    /// the waitlist and the reminders are withdrawn, as when the front desk cancels.
    pub async fn cancel_with_link(
        &self,
        token: &str,
        id: Uuid,
        request_id: Option<&str>,
    ) -> Result<()> {
        let (tx, client_id) = self
            .link_tx(token, Action::Update, "online.cancel", request_id)
            .await?;
        let (before, changed) = self
            .cancel_own(&tx, client_id, id, "cancelled by the client online")
            .await?;
        tx.audit(
            event("online.cancel", client_id, request_id)
                .resource(changed.id)
                .detail(format!(
                    "{} -> {}",
                    before.as_str(),
                    changed.status.as_str()
                )),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cancels one of the client's own coming sessions outside the late-cancellation window (inside it the client
    /// is asked to call): the status changes, the history records it, reminders are withdrawn and the freed time
    /// goes to the waitlist. The caller asked the policy and writes the audit entry. Returns the status before and
    /// the appointment after.
    pub(crate) async fn cancel_own(
        &self,
        tx: &Tx<'_>,
        client_id: ClientId,
        id: Uuid,
        why: &str,
    ) -> Result<(Status, Appointment)> {
        let a = self
            .own_upcoming(tx, client_id)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(Error::NotFound)?;
        let window = self.cancellation_window(tx).await?;
        if appointment::cancellation_status(now_utc(), a.session.start, window) != Status::Cancelled
        {
            return Err(Error::Conflict(format!(
                "this appointment is less than {} hours away, so it cannot be cancelled online; please call the practice",
                window.num_hours()
            )));
        }
        let before = a.status;
        let next = before.transition(Status::Cancelled)?;
        let version = schedule::update_status(tx, &a, next, Some(why)).await?;
        schedule::history(
            tx.conn(),
            a.id,
            None,
            "status",
            None,
            None,
            Some(a.status),
            Some(next),
        )
        .await?;
        let changed = Appointment {
            status: next,
            version,
            ..a
        };
        self.cancel_reminders(tx, &changed).await?;
        self.offer_freed_time(tx, &changed).await?;
        Ok((before, changed))
    }
}
