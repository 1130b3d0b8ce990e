//! Alerts raised by critical answers: announced by e-mail to the care team and to whoever is on call (`on_call`),
//! listed for the care team until a care-team clinician acknowledges them, and escalated to the clinicians'
//! supervisors, the practice's administrators and whoever is on call then, when nobody has done so within
//! `measures.escalate_after_minutes`.
//!
//! E-mails about alerts name neither the client nor the answer: they say that something waits and link to it.
//! Inside Rapport the reason names the instrument and item numbers, never the question's wording.

use super::{Person, system_event};
use crate::notes::Names;
use crate::{App, Ctx};
use chrono::{DateTime, Duration, Utc};
use rapport_domain::measures::acknowledgement::Acknowledgement;
use rapport_domain::measures::{Instrument, InstrumentId};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::when::Zone;
use rapport_domain::{ClientId, Error, Result, Role, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::measures::{self as repo, Alert};
use rapport_store::outbox::{self, NewMessage};
use rapport_store::{Tx, care, clients, now_utc, users};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// What acknowledging says: `action` is one of `contacted_client`, `safety_plan_reviewed`, `emergency_services`,
/// `no_action_needed` (which needs a `note` saying why).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckInput {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub client_name: String,
    pub response_id: Uuid,
    pub instrument: Option<InstrumentId>,
    /// Instrument and item numbers, e.g. "PHQ-9: critical answer to item 9".
    pub reason: String,
    pub raised_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Person>,
    /// What was done ("Contacted the client"), and the acknowledging clinician's note.
    pub acknowledged_action: Option<String>,
    pub acknowledged_note: Option<String>,
    /// Whether the caller may acknowledge it (clinicians on the care team; a supervisor who sees an escalated
    /// alert of a supervisee's client may not, and should reach the care team instead).
    pub can_acknowledge: bool,
}

/// The stored reason: which instrument and which items, never what the items ask.
pub(crate) fn alert_reason(i: &Instrument, items: &[&str]) -> String {
    match items {
        [one] => format!("{}: critical answer to item {one}", i.short_name),
        many => format!(
            "{}: critical answers to items {}",
            i.short_name,
            many.join(", ")
        ),
    }
}

/// The outbox keys of the e-mails that tell someone off the care team about an alert: one spelling, because
/// `was_told_of_alert` reads them back.
fn on_call_key(alert: Uuid, user: UserId) -> String {
    format!("measure-alert-on-call:{alert}:{user}")
}

fn escalation_key(alert: Uuid, user: UserId) -> String {
    format!("measure-escalation:{alert}:{user}")
}

/// Whether `user` was e-mailed about this alert as someone off the care team (on call when it was raised, or
/// among those it escalated to). Such a person may learn that the alert exists and whom to reach, and may break
/// the glass for its client without being able to name them.
pub(crate) async fn was_told_of_alert(tx: &Tx<'_>, alert: Uuid, user: UserId) -> Result<bool> {
    Ok(outbox::queued_any(
        tx.conn(),
        &[on_call_key(alert, user), escalation_key(alert, user)],
    )
    .await?)
}

/// What someone who was told of an alert, but may not read its client's record, sees at the e-mail's link: that
/// it is real, whether it still waits, and whom to reach. Never the client, the questionnaire or the answer.
#[derive(Debug, Clone, Serialize)]
pub struct AlertNotice {
    pub id: Uuid,
    pub raised_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Person>,
    /// The client's care team, as the e-mail named them.
    pub care_team: Vec<Person>,
    /// Whether the policy lets the caller break the glass for the alert's client (clinical staff only).
    pub may_break_glass: bool,
}

/// The zone a staff member reads times in, for an e-mail to them (`resources::zone_of_user`).
pub(crate) async fn reader_zone(tx: &Tx<'_>, user: UserId) -> Result<Zone> {
    Ok(Zone::named(
        &rapport_store::resources::zone_of_user(tx.conn(), user).await?,
    ))
}

/// How alert e-mails to people off the care team name the client: by the care team's names, never the client's.
async fn client_of_team(tx: &Tx<'_>, team: &[UserId]) -> Result<String> {
    if team.is_empty() {
        return Ok("a client with no care team".into());
    }
    let mut names = Names::default();
    let mut clinicians = Vec::with_capacity(team.len());
    for u in team {
        clinicians.push(names.person(tx, *u).await?.name);
    }
    Ok(format!("a client of {}", clinicians.join(", ")))
}

impl App {
    fn alert_url(&self, id: Uuid) -> String {
        format!(
            "{}/alerts/{id}",
            self.config.public_url.trim_end_matches('/')
        )
    }

    /// E-mails the clinicians on the client's care team (except whoever entered the answers, who has seen them),
    /// and whoever is on call: they get no access to the client by this (they may break the glass, `emergency`) and no
    /// name, only the care team's names and the duty to see that someone on it responds.
    pub(crate) async fn announce_alert(
        &self,
        tx: &Tx<'_>,
        a: &Alert,
        entered_by: Option<UserId>,
    ) -> Result<()> {
        let team = care::members(tx.conn(), ClientId(a.client_id)).await?;
        let team_ids: Vec<UserId> = team.iter().map(|m| m.user_id).collect();
        let on_call: Vec<UserId> = crate::on_call::reachable_on_call(tx.conn(), a.raised_at)
            .await?
            .into_iter()
            .filter(|u| Some(*u) != entered_by && !team_ids.contains(u))
            .collect();
        let of = if on_call.is_empty() {
            String::new()
        } else {
            client_of_team(tx, &team_ids).await?
        };
        for u in on_call {
            let Some(u) = users::by_id(tx.conn(), u).await? else {
                continue;
            };
            outbox::enqueue(
                tx,
                NewMessage {
                    dedupe_key: on_call_key(a.id, UserId(u.id)),
                    kind: "measure_alert_on_call",
                    appointment_id: None,
                    recipient: u.email.clone(),
                    subject: "An alert was raised while you are on call".into(),
                    body: format!(
                        "Hello {},\n\nAn answer to a questionnaire by {of} raised an alert at {}. You are on call: please make sure someone on the care team responds. The link shows whom to reach and, if nobody can be reached, lets you open the record in an emergency:\n{}\n\nRapport\n",
                        u.display_name,
                        reader_zone(tx, UserId(u.id)).await?.stamp(a.raised_at),
                        self.alert_url(a.id)
                    ),
                    due_at: now_utc(),
                },
            )
            .await?;
        }
        for m in team {
            if Some(m.user_id) == entered_by {
                continue;
            }
            let Some(u) = users::by_id(tx.conn(), m.user_id).await? else {
                continue;
            };
            if u.disabled || !users::roles(&u).iter().any(|r| r.is_clinical()) {
                continue;
            }
            outbox::enqueue(
                tx,
                NewMessage {
                    dedupe_key: format!("measure-alert:{}:{}", a.id, u.id),
                    kind: "measure_alert",
                    appointment_id: None,
                    recipient: u.email.clone(),
                    subject: "An alert needs your attention".into(),
                    body: format!(
                        "Hello {},\n\nAn answer to a questionnaire needs your attention. Please review and acknowledge the alert:\n{}\n\nRapport\n",
                        u.display_name,
                        self.alert_url(a.id)
                    ),
                    due_at: now_utc(),
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn alert_views(&self, tx: &Tx<'_>, alerts: Vec<Alert>) -> Result<Vec<AlertView>> {
        let mut names = Names::default();
        let mut clients_seen: HashMap<Uuid, String> = HashMap::new();
        let mut out = Vec::with_capacity(alerts.len());
        for a in alerts {
            let client_name = match clients_seen.get(&a.client_id) {
                Some(n) => n.clone(),
                None => {
                    let n = clients::get(tx.conn(), ClientId(a.client_id))
                        .await?
                        .map(|c| c.preferred_name.unwrap_or(c.legal_name))
                        .unwrap_or_default();
                    clients_seen.insert(a.client_id, n.clone());
                    n
                }
            };
            let instrument =
                rapport_store::measures::response_instrument(tx.conn(), a.response_id).await?;
            out.push(AlertView {
                id: a.id,
                client_id: ClientId(a.client_id),
                client_name,
                response_id: a.response_id,
                instrument,
                reason: a.reason,
                raised_at: a.raised_at,
                escalated_at: a.escalated_at,
                acknowledged_at: a.acknowledged_at,
                acknowledged_by: match a.acknowledged_by {
                    Some(u) => Some(names.person(tx, UserId(u)).await?),
                    None => None,
                },
                acknowledged_action: a.ack_action.map(|x| x.label().to_string()),
                acknowledged_note: a.ack_note,
                can_acknowledge: false,
            });
        }
        Ok(out)
    }

    /// Open alerts for the caller: those of clients on whose care team they are, and, for supervisors, escalated
    /// alerts of their supervisees' clients. Most urgent first: escalated ones (someone already missed them), then
    /// the longest waiting. Anyone without clinical access gets an empty list.
    pub async fn measure_alerts(&self, ctx: &Ctx) -> Result<Vec<AlertView>> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin_read().await?;
        let views = self.open_alerts_for(&tx, ctx, me).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "measure.alert.list", "measure_alert")
                .request(ctx.rid())
                .detail(format!("{} open alerts", views.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(views)
    }

    /// `measure_alerts` inside the caller's transaction, not audited (the caller audits what it shows).
    pub(crate) async fn open_alerts_for(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        me: UserId,
    ) -> Result<Vec<AlertView>> {
        let mut alerts = Vec::new();
        if ctx.actor.is_clinical() {
            let own = care::clients_in_scope(tx.conn(), me, false).await?;
            let own_list: Vec<ClientId> = own.iter().copied().collect();
            alerts.extend(repo::open_alerts(tx.conn(), tx.cipher(), &own_list).await?);
            if ctx.actor.has(Role::Supervisor) {
                let theirs: Vec<ClientId> = care::clients_in_scope(tx.conn(), me, true)
                    .await?
                    .into_iter()
                    .filter(|c| !own.contains(c))
                    .collect();
                alerts.extend(
                    repo::open_alerts(tx.conn(), tx.cipher(), &theirs)
                        .await?
                        .into_iter()
                        .filter(|a| a.escalated_at.is_some()),
                );
            }
        }
        // Each one through the policy as well: the list may never show more than a read would.
        let mut readable = Vec::with_capacity(alerts.len());
        let mut may_ack = Vec::new();
        for a in alerts {
            let rel = care::relation(tx.conn(), me, ClientId(a.client_id)).await?;
            if authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed() {
                if authorize(&ctx.actor, Action::Update, Resource::ClientClinical(rel)).is_allowed()
                {
                    may_ack.push(a.id);
                }
                readable.push(a);
            }
        }
        readable.sort_by_key(|a| (a.escalated_at.is_none(), a.raised_at, a.id));
        let mut views = self.alert_views(tx, readable).await?;
        for v in &mut views {
            v.can_acknowledge = may_ack.contains(&v.id);
        }
        Ok(views)
    }

    /// One alert, open or acknowledged (the e-mails link to it), for those who may read the client's measures.
    pub async fn measure_alert(&self, ctx: &Ctx, id: Uuid) -> Result<AlertView> {
        let ev = || AuditEvent::new(&ctx.actor, "measure.alert.read", "measure_alert").resource(id);
        let tx = self.store.begin_read().await?;
        let Some(a) = repo::alert(tx.conn(), tx.cipher(), id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let client = a.client_id;
        let (tx, _) = self
            .measure_client(tx, ctx, ClientId(client), Action::Read, ev().client(client))
            .await?;
        let open = a.acknowledged_at.is_none();
        let mut view = self.alert_views(&tx, vec![a]).await?;
        if let Some(me) = ctx.actor.user_id() {
            let rel = care::relation(tx.conn(), me, ClientId(client)).await?;
            let may = authorize(&ctx.actor, Action::Update, Resource::ClientClinical(rel));
            for v in &mut view {
                v.can_acknowledge = open && may.is_allowed();
            }
        }
        tx.audit(ev().client(client).request(ctx.rid())).await?;
        tx.commit().await?;
        view.into_iter()
            .next()
            .ok_or_else(|| Error::internal("alert vanished"))
    }

    /// An alert seen by someone who was told of it but may not read its client (`AlertNotice`). Anyone else gets
    /// "not found", as for an unknown alert. Audited as a read of the alert, naming the client only in the log.
    pub async fn measure_alert_notice(&self, ctx: &Ctx, id: Uuid) -> Result<AlertNotice> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev =
            || AuditEvent::new(&ctx.actor, "measure.alert.notice", "measure_alert").resource(id);
        let tx = self.store.begin_read().await?;
        let Some(a) = repo::alert(tx.conn(), tx.cipher(), id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        if !was_told_of_alert(&tx, id, me).await? {
            return self.hidden(tx, ctx, ev().client(a.client_id)).await;
        }
        let mut names = Names::default();
        let mut care_team = Vec::new();
        for m in care::members(tx.conn(), ClientId(a.client_id)).await? {
            care_team.push(names.person(&tx, m.user_id).await?);
        }
        let rel = care::relation(tx.conn(), me, ClientId(a.client_id)).await?;
        let may_break_glass =
            authorize(&ctx.actor, Action::Create, Resource::EmergencyAccess(rel)).is_allowed();
        let acknowledged_by = match a.acknowledged_by {
            Some(u) => Some(names.person(&tx, UserId(u)).await?),
            None => None,
        };
        tx.audit(ev().client(a.client_id).request(ctx.rid()))
            .await?;
        tx.commit().await?;
        Ok(AlertNotice {
            id,
            raised_at: a.raised_at,
            escalated_at: a.escalated_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by,
            care_team,
            may_break_glass,
        })
    }

    /// A care-team clinician acknowledges an alert, saying what was done: it leaves everyone's list and will not
    /// escalate. The input is checked after the policy, so a refusal says nothing to someone who may not know.
    pub async fn acknowledge_measure_alert(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: AckInput,
    ) -> Result<AlertView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "measure.alert.acknowledge", "measure_alert").resource(id)
        };
        let tx = self.store.begin().await?;
        let Some(a) = repo::alert(tx.conn(), tx.cipher(), id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let (tx, _) = self
            .measure_client(
                tx,
                ctx,
                ClientId(a.client_id),
                Action::Update,
                ev().client(a.client_id),
            )
            .await?;
        let ack = Acknowledgement::parse(&input.action, input.note.as_deref().unwrap_or(""))?;
        let now = now_utc();
        if !repo::acknowledge(&tx, id, me, now, &ack).await? {
            return Err(Error::Conflict(
                "this alert was already acknowledged by someone else".into(),
            ));
        }
        tx.audit(
            ev().client(a.client_id)
                .request(ctx.rid())
                .detail(ack.action.key()),
        )
        .await?;
        let view = self
            .alert_views(
                &tx,
                vec![Alert {
                    acknowledged_by: Some(me.0),
                    acknowledged_at: Some(now),
                    ack_action: Some(ack.action),
                    ack_note: ack.note.clone(),
                    ..a
                }],
            )
            .await?;
        tx.commit().await?;
        view.into_iter()
            .next()
            .ok_or_else(|| Error::internal("acknowledged alert vanished"))
    }

    /// Escalates alerts nobody acknowledged within the practice's limit (as of `now`): each is marked escalated
    /// and its care team's supervisors, the administrators and whoever is on call at `now` are e-mailed, without the
    /// client's name. The worker
    /// calls this every tick; tests call it with a `now` in the future. Returns how many were escalated.
    pub async fn escalate_measure_alerts(&self, now: DateTime<Utc>) -> Result<usize> {
        let minutes = self.measure_settings().await?.escalate_after_minutes;
        let cutoff = now - Duration::minutes(minutes);
        let overdue = repo::overdue_alerts(
            self.store.unaudited(Unaudited::Worker),
            self.store.cipher(),
            cutoff,
            100,
        )
        .await?;
        let mut escalated = 0;
        for a in overdue {
            let tx = self.store.begin().await?;
            if !repo::mark_escalated(tx.conn(), a.id, now).await? {
                continue;
            }
            let team: Vec<UserId> = care::members(tx.conn(), ClientId(a.client_id))
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            let of = client_of_team(&tx, &team).await?;
            let mut recipients = care::supervisors_of(tx.conn(), &team).await?;
            for u in users::list(tx.conn()).await? {
                if users::roles(&u).contains(&Role::Admin) {
                    recipients.push(UserId(u.id));
                }
            }
            // Whoever is on call at the moment of escalation is told too, with the same message: make sure the
            // care team responds. Being on call grants no access to the client; reaching into a record one is not
            // on the care team of is breaking the glass (`emergency`), reviewed afterwards.
            let on_call = crate::on_call::reachable_on_call(tx.conn(), now).await?;
            recipients.extend(on_call.iter().copied());
            recipients.sort();
            recipients.dedup();
            let mut told = 0;
            let mut told_on_call = 0;
            for r in recipients {
                let Some(u) = users::by_id(tx.conn(), r).await?.filter(|u| !u.disabled) else {
                    continue;
                };
                if on_call.contains(&r) {
                    told_on_call += 1;
                }
                outbox::enqueue(
                    &tx,
                    NewMessage {
                        dedupe_key: escalation_key(a.id, UserId(u.id)),
                        kind: "measure_escalation",
                        appointment_id: None,
                        recipient: u.email.clone(),
                        subject: "An alert has not been acknowledged".into(),
                        body: format!(
                            "Hello {},\n\nAn alert raised at {} for {of} has not been acknowledged within {minutes} minutes. Please make sure someone on the care team responds now. The link shows whom to reach:\n{}\n\nRapport\n",
                            u.display_name,
                            reader_zone(&tx, UserId(u.id)).await?.stamp(a.raised_at),
                            self.alert_url(a.id)
                        ),
                        due_at: now_utc(),
                    },
                )
                .await?;
                told += 1;
            }
            tx.audit(
                system_event("measure.alert.escalate", "measure_alert")
                    .resource(a.id)
                    .client(a.client_id)
                    .detail(format!(
                        "after {minutes} minutes; {told} people e-mailed, {told_on_call} of them on call"
                    )),
            )
            .await?;
            tx.commit().await?;
            escalated += 1;
        }
        Ok(escalated)
    }
}
