//! Log entries: checked all together and stored all together, by staff through the API or by the client
//! through the diary link. Entries are served as FHIR R4 Observation resources (code text, `valueQuantity` with a
//! UCUM unit, `effectiveDateTime` as the client's calendar date, the client as subject).

use super::client_today;
use crate::{App, Ctx};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rapport_domain::behaviour::{self as bm, MAX_DAYS_BACK, MeasureKind};
use rapport_domain::error::Problems;
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::behaviour::{self as repo, Behaviour, Entry, Via};
use rapport_store::{Tx, now_utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// One value to log. The API takes durations in minutes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    pub behaviour_id: Uuid,
    /// The client's calendar date (YYYY-MM-DD); today in the client's zone when left out.
    #[serde(default)]
    pub date: Option<String>,
    pub value: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntriesInput {
    pub entries: Vec<EntryInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryQuery {
    #[serde(default)]
    pub behaviour_id: Option<Uuid>,
    /// Calendar dates (YYYY-MM-DD), inclusive; the last 12 weeks by default.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// One value to store, with the form or API field that carries it (for the error message).
pub(crate) struct Pending {
    pub field: String,
    /// The field that carries the date (one per entry in the API, one for the whole diary form).
    pub date_field: String,
    pub behaviour_id: Uuid,
    pub date: NaiveDate,
    pub value: f64,
}

/// Checks every pending value against the client's active behaviours, the calendar and what each day already
/// holds (including the other values of this same submission), then stores them all. A problem anywhere stores
/// nothing; the caller's transaction is rolled back with the error.
pub(crate) async fn record(
    tx: &Tx<'_>,
    behaviours: &[Behaviour],
    pending: Vec<Pending>,
    today: NaiveDate,
    via: Via,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>> {
    let mut p = Problems::new();
    let mut day_totals: HashMap<(Uuid, NaiveDate), f64> = HashMap::new();
    let mut checked = Vec::new();
    for e in pending {
        let Some(b) = behaviours
            .iter()
            .find(|b| b.id == e.behaviour_id && b.active)
        else {
            p.add(
                &e.field,
                "this is not one of the client's behaviours being logged",
            );
            continue;
        };
        if let Err(err) = bm::check_date(&e.date_field, e.date, today) {
            p.take::<()>(Err(err));
            continue;
        }
        let Some(value) = p.take(bm::check_value(b.kind, &e.field, e.value)) else {
            continue;
        };
        let key = (b.id, e.date);
        let already = match day_totals.get(&key) {
            Some(v) => *v,
            None => bm::day_value(b.kind, &repo::day_values(tx.conn(), b.id, e.date).await?)
                .filter(|_| b.kind.sums())
                .unwrap_or(0.0),
        };
        if p.take(bm::check_day_total(b.kind, &e.field, already, value))
            .is_none()
        {
            continue;
        }
        day_totals.insert(key, already + value);
        checked.push(Entry {
            id: Uuid::now_v7(),
            behaviour_id: b.id,
            client_id: b.client_id,
            date: e.date,
            value,
            via,
            logged_at: now,
        });
    }
    p.finish()?;
    for e in &checked {
        repo::insert_entry(tx.conn(), e).await?;
    }
    Ok(checked)
}

/// An entry as a FHIR R4 Observation.
pub fn observation(e: &Entry, b: &Behaviour) -> Value {
    let (code, unit) = b.kind.unit();
    let performer = match e.via {
        Via::DiaryLink(_) => json!({ "reference": format!("Patient/{}", e.client_id) }),
        Via::Staff(u) => json!({ "reference": format!("Practitioner/{u}") }),
    };
    json!({
        "resourceType": "Observation",
        "id": e.id,
        "status": "final",
        "category": [{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }] }],
        "code": {
            "coding": [{ "system": "urn:rapport:behaviour", "code": b.id.to_string() }],
            "text": b.name,
        },
        "subject": { "reference": format!("Patient/{}", e.client_id) },
        "effectiveDateTime": e.date.to_string(),
        "issued": e.logged_at.to_rfc3339(),
        "performer": [performer],
        "valueQuantity": {
            "value": e.value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": code,
        },
    })
}

fn date_or(field: &str, raw: Option<&str>, default: NaiveDate) -> Result<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => validate::date(field, s),
        None => Ok(default),
    }
}

impl App {
    /// Logs entries for a client (staff, in session or from a paper diary): all or nothing.
    pub async fn log_behaviour_entries(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: EntriesInput,
    ) -> Result<Vec<Value>> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        if input.entries.is_empty() {
            return Err(Error::invalid("entries", "give at least one entry"));
        }
        let ev = || {
            AuditEvent::new(&ctx.actor, "behaviour.entry.create", "client")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin().await?;
        let (tx, c, behaviours) = self
            .behaviour_client(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let now = now_utc();
        let (_, today) = client_today(&c, now);
        let mut p = Problems::new();
        let mut pending = Vec::new();
        for (i, e) in input.entries.iter().enumerate() {
            let field = format!("entries[{i}].value");
            let Some(date) = p.take(date_or(
                &format!("entries[{i}].date"),
                e.date.as_deref(),
                today,
            )) else {
                continue;
            };
            if !behaviours.iter().any(|b| b.id == e.behaviour_id) {
                p.add(
                    &format!("entries[{i}].behaviour_id"),
                    "this client has no such behaviour",
                );
                continue;
            }
            pending.push(Pending {
                field,
                date_field: format!("entries[{i}].date"),
                behaviour_id: e.behaviour_id,
                date,
                value: e.value,
            });
        }
        p.finish()?;
        let stored = record(&tx, &behaviours, pending, today, Via::Staff(me), now).await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} entries", stored.len())),
        )
        .await?;
        let out: Vec<Value> = stored
            .iter()
            .filter_map(|e| {
                behaviours
                    .iter()
                    .find(|b| b.id == e.behaviour_id)
                    .map(|b| observation(e, b))
            })
            .collect();
        self.commit_once(tx, ctx, out).await
    }

    /// Logs what a clinician typed into the diary form in session (`date`, `value.<behaviour id>` with durations in
    /// hours): the same checks as the client's diary link, all or nothing, errors under the form's field names.
    /// Returns how many entries were stored.
    pub async fn log_behaviour_form(
        &self,
        ctx: &Ctx,
        client: ClientId,
        fields: &[(String, String)],
    ) -> Result<usize> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "behaviour.entry.create", "client")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin().await?;
        let (tx, c, behaviours) = self
            .behaviour_client(tx, ctx, client, Action::Create, ev())
            .await?;
        let now = now_utc();
        let (_, today) = client_today(&c, now);
        let mut p = Problems::new();
        let pending = form_values(
            fields,
            &behaviours,
            today,
            "this is not one of the client's behaviours",
            &mut p,
        );
        if pending.is_empty() && p.is_empty() {
            p.add("value", "nothing to save yet: fill in at least one value");
        }
        p.finish()?;
        let stored = record(&tx, &behaviours, pending, today, Via::Staff(me), now).await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} entries, in session", stored.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(stored.len())
    }

    /// A client's entries as Observations, oldest first.
    pub async fn behaviour_entries(
        &self,
        ctx: &Ctx,
        client: ClientId,
        q: &EntryQuery,
    ) -> Result<Vec<Value>> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "behaviour.entry.list", "client")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin_read().await?;
        let (tx, c, behaviours) = self
            .behaviour_client(tx, ctx, client, Action::List, ev())
            .await?;
        let (_, today) = client_today(&c, now_utc());
        let mut p = Problems::new();
        let to = p.take(date_or("to", q.to.as_deref(), today));
        let from = p.take(date_or(
            "from",
            q.from.as_deref(),
            today - Days::new(12 * 7 - 1),
        ));
        p.finish()?;
        let (Some(from), Some(to)) = (from, to) else {
            return Err(Error::internal("entry range checked without a value"));
        };
        if from > to {
            return Err(Error::invalid("from", "must not be after 'to'"));
        }
        let list = repo::entries_for_client(tx.conn(), client, from, to).await?;
        let out = list
            .iter()
            .filter(|e| q.behaviour_id.is_none_or(|id| e.behaviour_id == id))
            .filter_map(|e| {
                behaviours
                    .iter()
                    .find(|b| b.id == e.behaviour_id)
                    .map(|b| observation(e, b))
            })
            .collect();
        tx.audit(ev().request(ctx.rid()).detail(format!("{from} to {to}")))
            .await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// The first date an entry may carry, for forms (`max`/`min` attributes).
pub fn earliest(today: NaiveDate) -> NaiveDate {
    today - Days::new(MAX_DAYS_BACK)
}

/// Lowest, highest and step of a form's number input for a behaviour of this kind (durations typed in hours).
pub fn input_bounds(kind: MeasureKind) -> (f64, f64, f64) {
    match kind {
        MeasureKind::Count => (0.0, f64::from(bm::DAILY_COUNT_MAX), 1.0),
        MeasureKind::Duration => (0.0, 24.0, 0.25),
        MeasureKind::Intensity { min, max } => (f64::from(min), f64::from(max), 1.0),
    }
}

/// A form number: a decimal comma is accepted, as phones in many locales type one.
fn number(field: &str, raw: &str) -> Result<f64> {
    raw.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| Error::invalid(field, "type a number, such as 2 or 7.5"))
}

/// The diary form's values, as the client's diary page and the clinician's in-session form both send them: one
/// `date` (today when blank) and `value.<behaviour id>` per behaviour (durations in hours, blanks skipped). Problems
/// go to `p` under the form's own field names; `unknown` is what an id that is not one of `behaviours` is told.
pub(crate) fn form_values(
    fields: &[(String, String)],
    behaviours: &[Behaviour],
    today: NaiveDate,
    unknown: &str,
    p: &mut Problems,
) -> Vec<Pending> {
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.trim());
    // The one date of the form is checked once, so a future day is one message, not one per behaviour.
    let date = match get("date") {
        None | Some("") => Some(today),
        Some(raw) => p.take(validate::date("date", raw)),
    }
    .filter(|d| p.take(bm::check_date("date", *d, today)).is_some());
    let mut pending = Vec::new();
    for (k, v) in fields {
        let Some(id) = k.strip_prefix("value.") else {
            continue;
        };
        if v.trim().is_empty() {
            continue;
        }
        let Some(b) = Uuid::parse_str(id)
            .ok()
            .and_then(|id| behaviours.iter().find(|b| b.id == id))
        else {
            p.add(k, unknown);
            continue;
        };
        let Some(mut value) = p.take(number(k, v)) else {
            continue;
        };
        if b.kind == MeasureKind::Duration {
            value *= 60.0;
        }
        if let Some(date) = date {
            pending.push(Pending {
                field: k.clone(),
                date_field: "date".into(),
                behaviour_id: b.id,
                date,
                value,
            });
        }
    }
    pending
}
