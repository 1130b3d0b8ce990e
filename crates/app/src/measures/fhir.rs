//! Measures in FHIR R4 shapes: an instrument as a Questionnaire, a recorded response as a QuestionnaireResponse,
//! and a client's scores as a searchset Bundle of Observations (category `survey`, LOINC where confirmed).
//!
//! The decision worth knowing: a response whose total is not valid under the instrument's missing-item rule
//! still becomes an Observation, with no value and a `dataAbsentReason`, rather than disappearing: a receiving
//! system should see that the client was asked and could not be scored, not a gap. Observations are built from
//! the plain score columns, so listing them never decrypts answers; only the QuestionnaireResponse does.

use crate::{App, Ctx};
use rapport_domain::measures::instrument::ScoringMethod;
use rapport_domain::measures::{self as m, Instrument};
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::measures::{self as repo, EnteredVia, Response, ResponseHead};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";
const CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const DATA_ABSENT: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
const ORDINAL: &str = "http://hl7.org/fhir/StructureDefinition/ordinalValue";

/// The canonical URL of an instrument's Questionnaire: where this server serves it.
pub fn questionnaire_url(base: &str, i: &Instrument) -> String {
    format!("{}/api/v1/instruments/{}", base.trim_end_matches('/'), i.id)
}

/// FHIR R4 Questionnaire for an instrument: items as `choice` questions whose answer codes are the option values
/// (with the ordinal value extension), the LOINC panel code and item codes where they were confirmed.
pub fn fhir_questionnaire(base: &str, i: &Instrument) -> Value {
    let items: Vec<Value> = i
        .items
        .iter()
        .map(|item| {
            let options: Vec<Value> = item
                .options
                .iter()
                .map(|o| {
                    json!({
                        "valueCoding": { "code": o.value.to_string(), "display": o.label },
                        "extension": [{ "url": ORDINAL, "valueDecimal": o.value }],
                    })
                })
                .collect();
            let mut q = json!({
                "linkId": item.id,
                "text": item.text,
                "type": "choice",
                // Skip logic is sum-based and has no faithful `enableWhen`; such items are simply optional here.
                "required": item.scored && item.asked_if.is_none(),
                "answerOption": options,
            });
            if let Some(code) = i.loinc.items.get(&item.id) {
                q["code"] = json!([{ "system": LOINC, "code": code }]);
            }
            q
        })
        .collect();
    let computer_name: String = i
        .short_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut q = json!({
        "resourceType": "Questionnaire",
        "id": resource_id(i),
        "url": questionnaire_url(base, i),
        "name": computer_name,
        "title": i.name,
        "version": i.version,
        "status": "active",
        "subjectType": ["Patient"],
        "copyright": copyright(i),
        "item": items,
    });
    if let Some(panel) = &i.loinc.panel {
        q["code"] = json!([{ "system": LOINC, "code": panel, "display": i.name }]);
    }
    q
}

/// The licence's required notice first (a receiving system that shows only a line still shows the right one),
/// then its terms.
fn copyright(i: &Instrument) -> String {
    match &i.licence.notice {
        Some(n) => format!("{n}\n\n{}", i.licence.terms),
        None => i.licence.terms.clone(),
    }
}

/// FHIR ids allow letters, digits, `-` and `.`, so `cssrs_screener` becomes `cssrs-screener`.
fn resource_id(i: &Instrument) -> String {
    i.id.as_str().replace('_', "-")
}

fn patient(client: ClientId) -> Value {
    json!({ "reference": format!("Patient/{}", client.0) })
}

/// One recorded response as a QuestionnaireResponse: the answered items in the form's order, each answer the
/// same `valueCoding` the Questionnaire offers. Items left out by skip logic or left blank are absent.
pub fn questionnaire_response(base: &str, i: &Instrument, r: &Response) -> Value {
    let items: Vec<Value> = i
        .items
        .iter()
        .filter_map(|item| {
            let value = r.answers.get(&item.id)?;
            let label = item.option(value).map(|o| o.label.as_str()).unwrap_or("");
            Some(json!({
                "linkId": item.id,
                "text": item.text,
                "answer": [{ "valueCoding": { "code": value.to_string(), "display": label } }],
            }))
        })
        .collect();
    let mut qr = json!({
        "resourceType": "QuestionnaireResponse",
        "id": r.head.id.to_string(),
        "questionnaire": questionnaire_url(base, i),
        "status": "completed",
        "subject": patient(r.head.client_id),
        "authored": r.head.completed_at.to_rfc3339(),
        "item": items,
    });
    match r.head.entered_via {
        // The client answered through a link: the information came from the patient.
        EnteredVia::ClientLink => qr["source"] = patient(r.head.client_id),
        EnteredVia::Staff(u) => {
            qr["author"] = json!({ "reference": format!("Practitioner/{}", u.0) });
        }
    }
    qr
}

fn score_quantity(total: f64) -> Value {
    json!({ "value": total, "unit": "{score}", "system": UCUM, "code": "{score}" })
}

/// What the total means in words: the band, or for population bands (AUDIT-C) each population's band.
fn interpretation(i: &Instrument, h: &ResponseHead) -> Option<String> {
    if let Some(b) = &h.band {
        return Some(b.clone());
    }
    let total = h.total?;
    let whole = total.round() as i32;
    let rows: Vec<String> = i
        .population_bands
        .iter()
        .filter_map(|pb| {
            pb.bands
                .iter()
                .find(|b| b.low <= whole && whole <= b.high)
                .map(|b| format!("{}: {}", pb.population, b.label))
        })
        .collect();
    (!rows.is_empty()).then(|| rows.join("; "))
}

/// The score of one response as an Observation, derived from its QuestionnaireResponse.
pub fn score_observation(i: &Instrument, h: &ResponseHead) -> Value {
    let what = match i.scoring.method {
        ScoringMethod::Sum => format!("{} total score", i.short_name),
        ScoringMethod::RiskLevel => format!("{} risk level", i.short_name),
    };
    let mut code = json!({ "text": what });
    if let (ScoringMethod::Sum, Some(total)) = (i.scoring.method, &i.loinc.total) {
        code["coding"] = json!([{ "system": LOINC, "code": total }]);
    }
    let mut o = json!({
        "resourceType": "Observation",
        "id": h.id.to_string(),
        "status": "final",
        "category": [{ "coding": [{ "system": CATEGORY, "code": "survey", "display": "Survey" }] }],
        "code": code,
        "subject": patient(h.client_id),
        "effectiveDateTime": h.completed_at.to_rfc3339(),
        "derivedFrom": [{ "reference": format!("QuestionnaireResponse/{}", h.id) }],
    });
    match (i.scoring.method, h.total, &h.risk_level) {
        (ScoringMethod::RiskLevel, _, Some(level)) => {
            let label = i
                .risk_levels
                .iter()
                .find(|r| risk_key(r.level) == level.as_str())
                .map(|r| r.label.clone())
                .unwrap_or_else(|| level.clone());
            o["valueCodeableConcept"] = json!({ "text": label });
        }
        (ScoringMethod::Sum, Some(total), _) if h.valid => {
            o["valueQuantity"] = score_quantity(total);
            if let Some(text) = interpretation(i, h) {
                o["interpretation"] = json!([{ "text": text }]);
            }
            if h.prorated {
                o["note"] = json!([{ "text": format!(
                    "Prorated for unanswered items under the {} missing-item rule: {}",
                    i.short_name, i.missing.source
                ) }]);
            }
        }
        _ => {
            o["dataAbsentReason"] = json!({
                "coding": [{ "system": DATA_ABSENT, "code": "asked-declined", "display": "Asked But Declined" }],
                "text": format!(
                    "Not scored: too many items were left unanswered for the {} missing-item rule ({}).",
                    i.short_name, i.missing.source
                ),
            });
        }
    }
    o
}

fn risk_key(level: m::RiskLevel) -> &'static str {
    match level {
        m::RiskLevel::None => "none",
        m::RiskLevel::Low => "low",
        m::RiskLevel::Moderate => "moderate",
        m::RiskLevel::High => "high",
    }
}

/// Which of a client's scores to list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationQuery {
    /// An instrument id (`phq9`); all instruments when absent.
    #[serde(default)]
    pub instrument: Option<String>,
}

impl App {
    fn fhir_base(&self) -> &str {
        self.config.public_url.trim_end_matches('/')
    }

    /// An instrument's FHIR Questionnaire, with this server's canonical URL.
    pub(crate) fn questionnaire_for(&self, i: &Instrument) -> Value {
        fhir_questionnaire(self.fhir_base(), i)
    }

    /// One response as a FHIR QuestionnaireResponse (the care team, and supervisors of its members); audited as
    /// a read of the response, like the JSON view.
    pub async fn measure_questionnaire_response(&self, ctx: &Ctx, id: Uuid) -> Result<Value> {
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
        let i = m::instrument(r.head.instrument.as_str())?;
        let qr = questionnaire_response(self.fhir_base(), i, &r);
        tx.audit(
            ev().client(client.0)
                .request(ctx.rid())
                .detail("FHIR QuestionnaireResponse"),
        )
        .await?;
        tx.commit().await?;
        Ok(qr)
    }

    /// A client's scores as a FHIR searchset Bundle of Observations, oldest first (the care team, and supervisors
    /// of its members); audited as a read of the client's results.
    pub async fn measure_observations(
        &self,
        ctx: &Ctx,
        client: ClientId,
        q: ObservationQuery,
    ) -> Result<Value> {
        let only = match q.instrument.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(m::instrument(id).map_err(|e| match e {
                Error::NotFound => {
                    Error::invalid("instrument", format!("there is no instrument '{id}'"))
                }
                e => e,
            })?),
        };
        let ev = || {
            AuditEvent::new(&ctx.actor, "measure.results.read", "client")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin_read().await?;
        let (tx, _) = self
            .measure_client(tx, ctx, client, Action::Read, ev())
            .await?;
        let heads = repo::responses_for_client(tx.conn(), client).await?;
        let mut entries = Vec::new();
        for h in heads
            .iter()
            .filter(|h| only.is_none_or(|i| i.id == h.instrument))
        {
            let i = m::instrument(h.instrument.as_str())?;
            entries.push(json!({
                "fullUrl": format!("urn:uuid:{}", h.id),
                "resource": score_observation(i, h),
                "search": { "mode": "match" },
            }));
        }
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "FHIR Observations: {} of {} responses",
            entries.len(),
            heads.len()
        )))
        .await?;
        tx.commit().await?;
        Ok(json!({
            "resourceType": "Bundle",
            "type": "searchset",
            "total": entries.len(),
            "entry": entries,
        }))
    }
}
