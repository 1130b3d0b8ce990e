//! Recording a completed questionnaire, whoever entered it: score it, store the answers sealed with the score in
//! plain columns, and raise an alert on a critical answer — in the caller's transaction, so a response never
//! exists without its alert. Also the staff side: answers entered in session, and one response read back.

use super::alerts::alert_reason;
use super::{Person, usable};
use crate::notes::Names;
use crate::{App, Ctx};
use chrono::{DateTime, SubsecRound, Utc};
use rapport_domain::measures::{self as m, Answers, Instrument, InstrumentId, RiskLevel, Score};
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::clients::Client;
use rapport_store::measures::{self as repo, Alert, EnteredVia, Response, ResponseHead};
use rapport_store::{Tx, now_utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub(crate) struct Recording<'a> {
    pub client: &'a Client,
    pub instrument: &'static Instrument,
    pub answers: Answers,
    pub assignment_id: Option<Uuid>,
    pub link_id: Option<Uuid>,
    pub via: EnteredVia,
    pub completed_at: DateTime<Utc>,
}

/// How far back a questionnaire filled in on paper may be dated when it is entered.
const PAPER_DAYS: i64 = 366;

/// Answers entered by staff.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    pub instrument: String,
    /// Item id → the value of the option chosen.
    pub answers: Answers,
    /// The assignment this answers, if any (it must be this client's, for this instrument).
    #[serde(default)]
    pub assignment_id: Option<Uuid>,
    /// When the client filled it in (RFC 3339), for a paper form entered later; now by default.
    #[serde(default)]
    pub completed_at: Option<String>,
    /// The client left questions blank on paper: score with the instrument's published missing-item rule
    /// (prorated or invalid) instead of refusing the blanks.
    #[serde(default)]
    pub partial: bool,
}

/// One response as the care team sees it: the answers, and the score recomputed from them.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub instrument: InstrumentId,
    pub instrument_name: String,
    pub entered_via: &'static str,
    pub entered_by: Option<Person>,
    pub completed_at: DateTime<Utc>,
    pub answers: Answers,
    pub score: Score,
    /// The alert this response raised, if any.
    pub alert_id: Option<Uuid>,
}

fn risk_str(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::None => "none",
        RiskLevel::Low => "low",
        RiskLevel::Moderate => "moderate",
        RiskLevel::High => "high",
    }
}

impl App {
    /// Scores and stores one response; raises (and announces) an alert on a critical answer. Returns the score
    /// and the alert's id.
    pub(crate) async fn record_response(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        r: Recording<'_>,
    ) -> Result<(Uuid, Score, Option<Uuid>)> {
        let score = m::score(r.instrument, &r.answers)?;
        let critical = !score.critical.is_empty();
        let head = ResponseHead {
            id: Uuid::now_v7(),
            client_id: r.client.id,
            instrument: r.instrument.id.clone(),
            assignment_id: r.assignment_id,
            link_id: r.link_id,
            entered_via: r.via,
            total: score.total,
            valid: score.valid,
            prorated: score.prorated,
            band: score.band.as_ref().map(|b| b.label.clone()),
            risk_level: score.risk.as_ref().map(|k| risk_str(k.level).to_string()),
            critical,
            completed_at: r.completed_at,
        };
        let id = head.id;
        repo::insert_response(
            tx,
            &Response {
                head,
                answers: r.answers,
            },
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "measure.response.create", "measure_response")
                .resource(id)
                .client(r.client.id.0)
                .request(ctx.rid())
                .detail(match r.via {
                    EnteredVia::ClientLink => format!("{} by link", r.instrument.id),
                    EnteredVia::Staff(_) => format!("{} by staff", r.instrument.id),
                }),
        )
        .await?;
        let alert = if critical {
            let items: Vec<&str> = score.critical.iter().map(|c| c.item.as_str()).collect();
            let a = Alert {
                id: Uuid::now_v7(),
                response_id: id,
                client_id: r.client.id.0,
                reason: alert_reason(r.instrument, &items),
                raised_at: now_utc(),
                acknowledged_by: None,
                acknowledged_at: None,
                escalated_at: None,
                ack_action: None,
                ack_note: None,
            };
            repo::insert_alert(tx, &a).await?;
            tx.audit(
                AuditEvent::new(&ctx.actor, "measure.alert.raise", "measure_alert")
                    .resource(a.id)
                    .client(r.client.id.0)
                    .request(ctx.rid()),
            )
            .await?;
            let entered_by = match r.via {
                EnteredVia::Staff(u) => Some(u),
                EnteredVia::ClientLink => None,
            };
            self.announce_alert(tx, &a, entered_by).await?;
            Some(a.id)
        } else {
            None
        };
        Ok((id, score, alert))
    }

    /// Answers entered by a care-team clinician (in session, or from a paper form).
    pub async fn enter_measure_response(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: ResponseInput,
    ) -> Result<ResponseView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let instrument = usable("instrument", &input.instrument)?;
        if input.partial {
            m::score(instrument, &input.answers)?;
        } else {
            super::link::check_complete(instrument, &input.answers)?;
        }
        let now = now_utc();
        let completed_at = match input.completed_at.as_deref().map(str::trim) {
            None | Some("") => now,
            Some(s) => {
                let at = DateTime::parse_from_rfc3339(s)
                    .map_err(|_| {
                        Error::invalid(
                            "completed_at",
                            "a date and time such as 2026-11-26T10:30:00Z",
                        )
                    })?
                    .with_timezone(&Utc);
                if at > now {
                    return Err(Error::invalid("completed_at", "cannot be in the future"));
                }
                // A paper form is entered days or weeks later, not decades: an older date is a typing slip.
                if at < now - chrono::Duration::days(PAPER_DAYS) {
                    return Err(Error::invalid(
                        "completed_at",
                        "is more than a year ago; check the date",
                    ));
                }
                // Microseconds, as every stored instant (both databases must return what was written).
                at.trunc_subsecs(6)
            }
        };
        let ev = || {
            AuditEvent::new(&ctx.actor, "measure.response.create", "measure_response")
                .client(client.0)
                .detail(instrument.id.as_str())
        };
        let tx = self.store.begin().await?;
        let (tx, c) = self
            .measure_client(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        if let Some(a) = input.assignment_id {
            let ok = repo::assignment(tx.conn(), a)
                .await?
                .is_some_and(|a| a.client_id == client && a.instrument == instrument.id);
            if !ok {
                return Err(Error::invalid(
                    "assignment_id",
                    format!(
                        "this client has no {} assignment with that id",
                        instrument.short_name
                    ),
                ));
            }
        }
        let answers = input.answers;
        let (id, score, alert_id) = self
            .record_response(
                &tx,
                ctx,
                Recording {
                    client: &c,
                    instrument,
                    answers: answers.clone(),
                    assignment_id: input.assignment_id,
                    link_id: None,
                    via: EnteredVia::Staff(me),
                    completed_at,
                },
            )
            .await?;
        let entered_by = Names::default().person(&tx, me).await?;
        self.commit_once(
            tx,
            ctx,
            ResponseView {
                id,
                client_id: client,
                instrument: instrument.id.clone(),
                instrument_name: instrument.short_name.clone(),
                entered_via: "staff",
                entered_by: Some(entered_by),
                completed_at,
                answers,
                score,
                alert_id,
            },
        )
        .await
    }

    /// One response with its answers (the care team, and supervisors of its members); the read is audited.
    pub async fn measure_response(&self, ctx: &Ctx, id: Uuid) -> Result<ResponseView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "measure.response.read", "measure_response").resource(id)
        };
        let tx = self.store.begin_read().await?;
        let Some(r) = repo::response(&tx, id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let client = r.head.client_id;
        let (tx, _) = self
            .measure_client(tx, ctx, client, Action::Read, ev().client(client.0))
            .await?;
        let instrument = m::instrument(r.head.instrument.as_str())?;
        let score = m::score(instrument, &r.answers)?;
        let entered_by = match r.head.entered_via {
            EnteredVia::Staff(u) => Some(Names::default().person(&tx, u).await?),
            EnteredVia::ClientLink => None,
        };
        let alert_id = repo::alerts_for_client(tx.conn(), tx.cipher(), client)
            .await?
            .into_iter()
            .find(|a| a.response_id == id)
            .map(|a| a.id);
        tx.audit(ev().client(client.0).request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(ResponseView {
            id,
            client_id: client,
            instrument: instrument.id.clone(),
            instrument_name: instrument.short_name.clone(),
            entered_via: match r.head.entered_via {
                EnteredVia::ClientLink => "client_link",
                EnteredVia::Staff(_) => "staff",
            },
            entered_by,
            completed_at: r.head.completed_at,
            answers: r.answers,
            score,
            alert_id,
        })
    }
}
