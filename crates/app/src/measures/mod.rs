//! Measurement-based care use cases: the instrument catalogue, assignments with e-mailed single-use links, the
//! public questionnaire reached by such a link, answers entered by staff, results with change statistics, and
//! alerts on critical answers that escalate when nobody acknowledges them; `fhir` gives the same data in FHIR R4
//! shapes (Questionnaire, QuestionnaireResponse, Observation).
//!
//! Answers and scores are clinical: staff read and enter them under `Resource::ClientClinical`, and every read
//! and write leaves a `measure.*` audit entry. A link, not an account, is the client's authority, so a link is
//! bound to one client and one instrument when it is made and the form never says whom it is for.

mod alerts;
mod assign;
mod caseload;
mod demo;
mod fhir;
mod link;
mod record;
mod results;

pub use alerts::{AckInput, AlertNotice, AlertView};
pub(crate) use alerts::{reader_zone, was_told_of_alert};
pub use assign::{AssignInput, AssignmentView};
pub(crate) use caseload::glances;
pub use caseload::{BehaviourGlance, Caseload, CaseloadRow, CaseloadSeries};
pub use fhir::{ObservationQuery, fhir_questionnaire, questionnaire_url};
pub use link::{LinkForm, LinkItem};
pub use record::{ResponseInput, ResponseView};
pub use results::{BandRange, InstrumentResults, MeasureResults, ResponsePoint};

use crate::secrets::{self, sha256_hex};
use crate::{App, Ctx};
use chrono::{DateTime, Duration, Utc};
use rapport_domain::measures::{self as m, Instrument, InstrumentId, LicenceStatus};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::{Actor, ClientId, Error, Result};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::clients::Client;
use rapport_store::outbox::{self, NewMessage};
use rapport_store::{Tx, care, clients, measures as repo, resources};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// An unacknowledged alert escalates after this many minutes unless the practice says otherwise.
pub const DEFAULT_ESCALATE_AFTER_MINUTES: i64 = 60;
/// E-mailed links work for a week unless the assignment says otherwise.
pub const DEFAULT_LINK_DAYS: i64 = 7;
const ESCALATE_SETTING: &str = "measures.escalate_after_minutes";

/// The practice's measure settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureSettings {
    /// Minutes after which an unacknowledged alert is escalated to supervisors and administrators.
    pub escalate_after_minutes: i64,
}

/// One instrument in the catalogue (no client data).
#[derive(Debug, Clone, Serialize)]
pub struct InstrumentSummary {
    pub id: InstrumentId,
    pub name: String,
    pub short_name: String,
    pub items: usize,
    pub licence: LicenceStatus,
    /// False while the licence needs a person's review: it cannot be assigned or entered yet.
    pub offered: bool,
    pub loinc_panel: Option<String>,
    pub loinc_total: Option<String>,
    pub change_statistics: bool,
}

/// The full definition, plus the same questions as a FHIR R4 Questionnaire.
#[derive(Debug, Clone, Serialize)]
pub struct InstrumentView {
    #[serde(flatten)]
    pub definition: Instrument,
    pub offered: bool,
    pub questionnaire: Value,
}

/// A person as the care team sees them (id and display name).
pub use crate::notes::Person;

fn offered(i: &Instrument) -> bool {
    i.licence.status != LicenceStatus::NeedsReview
}

/// An instrument that may be given to a client now; unknown or unlicensed ones are refused under `field`.
pub(crate) fn usable(field: &str, id: &str) -> Result<&'static Instrument> {
    let i = match m::instrument(id.trim()) {
        Ok(i) => i,
        Err(Error::NotFound) => {
            return Err(Error::invalid(
                field,
                format!("there is no instrument '{}'", id.trim()),
            ));
        }
        Err(e) => return Err(e),
    };
    if !offered(i) {
        return Err(Error::invalid(
            field,
            format!(
                "the {} is not offered until someone at the practice has reviewed its licence",
                i.short_name
            ),
        ));
    }
    Ok(i)
}

/// The audit actor of background jobs (escalation, scheduled links).
pub(crate) fn system_event(action: &str, resource_type: &'static str) -> AuditEvent {
    AuditEvent {
        actor_kind: "system",
        ..AuditEvent::anonymous(action.to_string(), resource_type)
    }
}

impl App {
    /// The instrument catalogue. Definitions hold no client data, so this read takes no audit lock.
    pub fn instruments(&self, ctx: &Ctx) -> Result<Vec<InstrumentSummary>> {
        authorize(&ctx.actor, Action::List, Resource::PracticeSettings).into_result()?;
        Ok(m::library()?
            .iter()
            .map(|i| InstrumentSummary {
                id: i.id.clone(),
                name: i.name.clone(),
                short_name: i.short_name.clone(),
                items: i.items.len(),
                licence: i.licence.status,
                offered: offered(i),
                loinc_panel: i.loinc.panel.clone(),
                loinc_total: i.loinc.total.clone(),
                change_statistics: i.change.is_some(),
            })
            .collect())
    }

    pub fn instrument(&self, ctx: &Ctx, id: &str) -> Result<InstrumentView> {
        authorize(&ctx.actor, Action::Read, Resource::PracticeSettings).into_result()?;
        let i = m::instrument(id)?;
        Ok(InstrumentView {
            definition: i.clone(),
            offered: offered(i),
            questionnaire: self.questionnaire_for(i),
        })
    }

    pub async fn measure_settings(&self) -> Result<MeasureSettings> {
        let minutes = resources::setting(
            self.store.unaudited(Unaudited::Configuration),
            ESCALATE_SETTING,
        )
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ESCALATE_AFTER_MINUTES);
        Ok(MeasureSettings {
            escalate_after_minutes: minutes,
        })
    }

    /// Sets how long an alert may stay unacknowledged before it escalates (administrators).
    pub async fn set_measure_settings(&self, ctx: &Ctx, s: MeasureSettings) -> Result<()> {
        if !(1..=24 * 60).contains(&s.escalate_after_minutes) {
            return Err(Error::invalid(
                "escalate_after_minutes",
                "between 1 and 1440 minutes",
            ));
        }
        let ev = || AuditEvent::new(&ctx.actor, "settings.measures", "settings");
        let tx = self.store.begin().await?;
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::PracticeSettings, ev())
            .await?;
        resources::set_setting(
            tx.conn(),
            ESCALATE_SETTING,
            &s.escalate_after_minutes.to_string(),
        )
        .await?;
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "escalate after {} minutes",
            s.escalate_after_minutes
        )))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Loads a client and asks the policy about their clinical record; an unknown client is "not found", and a
    /// denial is audited under `action` either way.
    pub(crate) async fn measure_client<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
        action: Action,
        ev: AuditEvent,
    ) -> Result<(Tx<'s>, Client)> {
        let Some(c) = clients::get(tx.conn(), client).await? else {
            return self.hidden(tx, ctx, ev).await;
        };
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, client).await?,
            None => Default::default(),
        };
        let tx = self
            .guard(tx, ctx, action, Resource::ClientClinical(rel), ev)
            .await?;
        Ok((tx, c))
    }

    /// Makes a single-use link for this client and instrument and queues the e-mail that carries it. The e-mail
    /// names neither the instrument nor anything clinical: anyone may read a client's inbox.
    pub(crate) async fn send_measure_link(
        &self,
        tx: &Tx<'_>,
        client: &Client,
        assignment: Option<Uuid>,
        instrument: &Instrument,
        link_days: i64,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        let Some(email) = client.email.as_deref().filter(|e| !e.trim().is_empty()) else {
            return Err(Error::invalid(
                "email",
                "the client has no e-mail address on file; add one, or enter the answers in session",
            ));
        };
        let token = secrets::token();
        let hash = sha256_hex(&token);
        let expires_at = now + Duration::days(link_days);
        repo::insert_link(
            tx.conn(),
            repo::NewLink {
                token_hash: &hash,
                client_id: client.id,
                assignment_id: assignment,
                instrument: &instrument.id,
                created_at: now,
                expires_at,
            },
        )
        .await?;
        let practice = resources::practice_name(tx.conn()).await?;
        let url = format!("{}/m/{token}", self.config.public_url.trim_end_matches('/'));
        let days = if link_days == 1 {
            "1 day".to_string()
        } else {
            format!("{link_days} days")
        };
        outbox::enqueue(
            tx,
            NewMessage {
                dedupe_key: format!("measure-link:{hash}"),
                kind: "measure_link",
                appointment_id: None,
                recipient: email.to_string(),
                subject: "A short questionnaire from your practice".into(),
                body: format!(
                    "Hello,\n\nYour practice asked you to fill in a short questionnaire. It takes a few minutes.\n\nPlease use this link within {days}; it works once:\n{url}\n\nIf you have questions, please contact your practice.\n\n{practice}\n"
                ),
                due_at: now,
            },
        )
        .await?;
        Ok(expires_at)
    }

    /// The background work of measures, run by the worker loop beside the outbox: scheduled links that are due,
    /// then escalation of overdue alerts. Returns (links sent, alerts escalated).
    pub async fn run_measure_jobs(&self, now: DateTime<Utc>) -> Result<(usize, usize)> {
        let sent = self.send_due_measure_links(now).await?;
        let escalated = self.escalate_measure_alerts(now).await?;
        Ok((sent, escalated))
    }
}

/// The public actor, for the questionnaire pages.
pub(crate) fn public() -> Ctx {
    Ctx::new(Actor::Public, None)
}
