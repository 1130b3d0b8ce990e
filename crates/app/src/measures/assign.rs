//! Assigning instruments to a client, once or every N days: the first link goes out with the assignment, in the
//! same transaction; later ones are sent by the worker when they fall due.

use super::{DEFAULT_LINK_DAYS, system_event, usable};
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::error::Problems;
use rapport_domain::measures::{InstrumentId, Schedule};
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Error, Result, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::measures::{self as repo, Assignment};
use rapport_store::{Tx, clients, now_utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest a link may stay usable: answers older than a month say little about "the last two weeks".
const MAX_LINK_DAYS: i64 = 30;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// An instrument id from the catalogue (`phq9`, `gad7`, …).
    pub instrument: String,
    /// `once` (the default) or `every_days`.
    #[serde(default)]
    pub schedule: Option<String>,
    /// With `every_days`: how many days apart (1–365).
    #[serde(default)]
    pub every_days: Option<i64>,
    /// How many days each link works (1–30, default 7).
    #[serde(default)]
    pub link_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub instrument: InstrumentId,
    pub instrument_name: String,
    pub schedule: &'static str,
    pub every_days: Option<u32>,
    /// When the next link goes out; none after a one-off link was sent, or once stopped.
    pub next_due_on: Option<NaiveDate>,
    pub link_days: i32,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

fn view(a: Assignment) -> AssignmentView {
    let instrument_name = rapport_domain::measures::instrument(a.instrument.as_str())
        .map(|i| i.short_name.clone())
        .unwrap_or_else(|_| a.instrument.to_string());
    AssignmentView {
        id: a.id,
        client_id: a.client_id,
        instrument_name,
        instrument: a.instrument,
        schedule: a.schedule.kind(),
        every_days: a.schedule.every_days(),
        next_due_on: a.next_due_on,
        link_days: a.link_days,
        active: a.active,
        created_by: a.created_by,
        created_at: a.created_at,
    }
}

impl App {
    /// Assigns an instrument to a client (care-team clinicians) and e-mails the first link now.
    pub async fn assign_measure(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: AssignInput,
    ) -> Result<AssignmentView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut p = Problems::new();
        let instrument = p.take(usable("instrument", &input.instrument));
        let schedule = p.take(Schedule::parse(
            input.schedule.as_deref().unwrap_or("once"),
            input.every_days,
        ));
        let link_days = input.link_days.unwrap_or(DEFAULT_LINK_DAYS);
        if !(1..=MAX_LINK_DAYS).contains(&link_days) {
            p.add("link_days", format!("between 1 and {MAX_LINK_DAYS} days"));
        }
        p.finish()?;
        let (Some(instrument), Some(schedule)) = (instrument, schedule) else {
            return Err(Error::internal("validation passed without values"));
        };
        let ev = || {
            AuditEvent::new(&ctx.actor, "measure.assign", "measure_assignment")
                .client(client.0)
                .detail(format!("{} {}", instrument.id, schedule.kind()))
        };
        let tx = self.store.begin().await?;
        let (tx, c) = self
            .measure_client(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let now = now_utc();
        let today = now.date_naive();
        let a = Assignment {
            id: Uuid::now_v7(),
            client_id: client,
            instrument: instrument.id.clone(),
            schedule,
            next_due_on: schedule.next_after(today),
            link_days: link_days as i32,
            active: true,
            created_by: me,
            created_at: now,
            updated_at: now,
        };
        repo::insert_assignment(tx.conn(), &a).await?;
        self.send_measure_link(&tx, &c, Some(a.id), instrument, link_days, now)
            .await?;
        tx.audit(ev().resource(a.id).request(ctx.rid())).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "measure.link.send", "measure_assignment")
                .resource(a.id)
                .client(client.0)
                .request(ctx.rid()),
        )
        .await?;
        self.commit_once(tx, ctx, view(a)).await
    }

    /// A client's assignments, active and stopped.
    pub async fn measure_assignments(
        &self,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<Vec<AssignmentView>> {
        let tx = self.store.begin_read().await?;
        let (tx, list) = self.read_measure_assignments(tx, ctx, client).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// `measure_assignments` inside the caller's transaction: authorised and audited, not committed.
    pub(crate) async fn read_measure_assignments<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<(Tx<'s>, Vec<AssignmentView>)> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "measure.assignment.list", "client")
                .resource(client)
                .client(client.0)
        };
        let (tx, _) = self
            .measure_client(tx, ctx, client, Action::List, ev())
            .await?;
        let list: Vec<AssignmentView> = repo::assignments_for_client(tx.conn(), client)
            .await?
            .into_iter()
            .map(view)
            .collect();
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} assignments", list.len())),
        )
        .await?;
        Ok((tx, list))
    }

    /// Stops an assignment: no more links go out. Links already sent keep working until they expire, so a client
    /// halfway through a form is not cut off.
    pub async fn stop_measure_assignment(
        &self,
        ctx: &Ctx,
        client: ClientId,
        assignment: Uuid,
    ) -> Result<AssignmentView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "measure.assignment.stop", "measure_assignment")
                .resource(assignment)
                .client(client.0)
        };
        let tx = self.store.begin().await?;
        let (tx, _) = self
            .measure_client(tx, ctx, client, Action::Update, ev())
            .await?;
        let a = repo::assignment(tx.conn(), assignment)
            .await?
            .filter(|a| a.client_id == client)
            .ok_or(Error::NotFound)?;
        let now = now_utc();
        if !repo::stop_assignment(tx.conn(), a.id, now).await? {
            return Err(Error::Conflict(
                "this assignment was already stopped".into(),
            ));
        }
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(view(Assignment {
            active: false,
            next_due_on: None,
            updated_at: now,
            ..a
        }))
    }

    /// Sends the links of scheduled assignments that are due by `now` (the worker calls this). Each assignment
    /// is handled in its own transaction, so one client without an e-mail address does not hold up the rest.
    pub async fn send_due_measure_links(&self, now: DateTime<Utc>) -> Result<usize> {
        let due = repo::due_assignments(
            self.store.unaudited(Unaudited::Worker),
            now.date_naive(),
            100,
        )
        .await?;
        let mut sent = 0;
        for a in due {
            let tx = self.store.begin().await?;
            let Some(client) = clients::get(tx.conn(), a.client_id).await? else {
                continue;
            };
            let instrument = match usable("instrument", a.instrument.as_str()) {
                Ok(i) => i,
                Err(_) => {
                    repo::stop_assignment(tx.conn(), a.id, now).await?;
                    tx.commit().await?;
                    continue;
                }
            };
            // Catch up to a date after today, so a server that was down for weeks sends one link, not many.
            let mut next = a.next_due_on;
            while let Some(d) = next.filter(|d| *d <= now.date_naive()) {
                next = a.schedule.next_after(d);
            }
            if !repo::advance(tx.conn(), a.id, a.next_due_on, next, now).await? {
                continue;
            }
            let ev = system_event("measure.link.send", "measure_assignment")
                .resource(a.id)
                .client(a.client_id.0);
            match self
                .send_measure_link(
                    &tx,
                    &client,
                    Some(a.id),
                    instrument,
                    i64::from(a.link_days),
                    now,
                )
                .await
            {
                Ok(_) => {
                    tx.audit(ev).await?;
                    sent += 1;
                }
                Err(Error::Validation(_)) => {
                    // No address on file: the date still moves on, and the audit log says why nothing went out.
                    tx.audit(
                        ev.outcome(rapport_store::audit::Outcome::Failed)
                            .detail("no e-mail address"),
                    )
                    .await?;
                }
                Err(e) => return Err(e),
            }
            tx.commit().await?;
        }
        Ok(sent)
    }
}
