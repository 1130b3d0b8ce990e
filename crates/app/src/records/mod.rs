//! One client's record as a single document that leaves the practice: an export by the care team, or the answer
//! to a record request (`requests`). Versioned (`FORMAT`) so that whoever reads the file later knows its shape.
//!
//! Notes come from the chart's own query (`store::notes::in_record_of`, the same `in_chart_of` the chart uses) with
//! psychotherapy notes always left out, whoever exports: HIPAA excludes them from the right of access and an export
//! is not a supervision share. The document says so in a fixed sentence (`records::PSYCHOTHERAPY_EXCLUSION`) that
//! reads the same whether or not the client has any. Only signed notes are included: drafts are working
//! documents. Group sessions come through the member's own view (`groups::chart`), so other members' names are
//! already redacted. Each document is one audit entry naming the client and the sections it holds.

mod requests;

pub(crate) use requests::seed_demo;

pub use requests::{ExtendInput, Fulfilled, RecordRequestView, RequestInput, RequestQuery};

use crate::groups::MemberSessionView;
use crate::notes::{AddendumView, Names, Person, UnitRef};
use crate::plans::PlanView;
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::measures::Answers;
use rapport_domain::policy::{Action, Resource};
use rapport_domain::records::{
    DRAFT_EXCLUSION, GROUP_EXCLUSION, PSYCHOTHERAPY_EXCLUSION, UNIT_EXCLUSION,
};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::Status;
use rapport_domain::{ClientId, Error, NoteId, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::clients::Client;
use rapport_store::{Tx, care, episodes, notes, now_utc, resources, schedule};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The name and version of the document's shape.
pub const FORMAT: &str = "rapport.client-record/1";

/// Why the document was made: the care team's own export, or the answer to one record request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    Export,
    RecordRequest {
        request_id: Uuid,
    },
    /// Read in the client portal by the client or a minor's parent or guardian (`capacity`).
    Portal {
        capacity: rapport_domain::portal::Capacity,
    },
}

/// Who made the document: the staff member who exported it or answered the request, or (purpose `portal`) the
/// portal account reading it.
#[derive(Debug, Clone, Serialize)]
pub struct Maker {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryRecord {
    pub at: DateTime<Utc>,
    pub change: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// The status reached, in words ("No-show"), for the printable record.
    pub to_status_label: Option<&'static str>,
    pub from_start: Option<DateTime<Utc>>,
    pub to_start: Option<DateTime<Utc>>,
}

/// An appointment the client took part in. Who else was booked on it is not said.
#[derive(Debug, Clone, Serialize)]
pub struct AppointmentRecord {
    pub id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub time_zone: String,
    pub appointment_type: String,
    pub mode: &'static str,
    pub mode_label: &'static str,
    pub status: &'static str,
    pub clinician: Person,
    pub history: Vec<HistoryRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldRecord {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// A signed note with what the signature vouches for.
#[derive(Debug, Clone, Serialize)]
pub struct NoteRecord {
    pub id: NoteId,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub template: String,
    pub service_date: NaiveDate,
    pub appointment_id: Option<Uuid>,
    pub author: Person,
    pub status: &'static str,
    pub signed_at: Option<DateTime<Utc>>,
    pub content_hash: Option<String>,
    /// Whether the stored note still matches the hash recorded at signing.
    pub hash_verified: Option<bool>,
    pub cosigned_by: Option<Person>,
    pub cosigned_at: Option<DateTime<Utc>>,
    /// Set on a joint note of a couple or family.
    pub unit: Option<UnitRef>,
    pub fields: Vec<FieldRecord>,
    pub addenda: Vec<AddendumView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeasureRecord {
    pub id: Uuid,
    pub instrument: String,
    pub name: String,
    pub completed_at: DateTime<Utc>,
    pub total: Option<f64>,
    pub valid: bool,
    pub prorated: bool,
    pub band: Option<String>,
    pub risk_level: Option<String>,
    pub critical: bool,
    pub answers: Answers,
}

impl MeasureRecord {
    /// The answers as "item: value" pairs, for the printable page.
    pub fn answers_text(&self) -> String {
        self.answers
            .iter()
            .map(|(item, v)| format!("{item}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A note of this record released outside the practice, with this client's consent to it.
#[derive(Debug, Clone, Serialize)]
pub struct DisclosureRecord {
    pub note_id: NoteId,
    pub released_at: DateTime<Utc>,
    pub recipient: String,
    pub purpose: String,
    pub released_by: String,
    pub consent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientRecord {
    pub format: &'static str,
    pub generated_at: DateTime<Utc>,
    pub generated_by: Maker,
    pub purpose: Purpose,
    /// Demographics, guardians and emergency contacts, clinical fields, care team, couples, families and groups.
    pub client: crate::clients::ClientView,
    pub episodes: Vec<crate::clients::EpisodeView>,
    pub appointments: Vec<AppointmentRecord>,
    /// Signed notes, the client's own and joint ones, newest first.
    pub notes: Vec<NoteRecord>,
    pub plans: Vec<PlanView>,
    /// The client's safety plan, when there is one.
    pub safety_plan: Option<crate::safety::SafetyPlanView>,
    /// Medications, current first.
    pub medications: Vec<crate::medications::MedicationView>,
    /// Referrals out of the practice, open first.
    pub referrals: Vec<crate::referrals::ReferralView>,
    pub measures: Vec<MeasureRecord>,
    pub group_sessions: Vec<MemberSessionView>,
    pub disclosures: Vec<DisclosureRecord>,
    /// What this document leaves out, in fixed words.
    pub excluded: Vec<&'static str>,
}

impl ClientRecord {
    /// The client's name as the record shows it.
    pub fn client_name(&self) -> &str {
        self.client
            .preferred_name
            .as_deref()
            .unwrap_or(&self.client.legal_name)
    }

    /// The sections and their sizes, for the audit entry.
    pub(crate) fn sections(&self) -> String {
        format!(
            "demographics, clinical, {} episodes, {} appointments, {} notes, {} plans, {} measures, {} group sessions, {} disclosures",
            self.episodes.len(),
            self.appointments.len(),
            self.notes.len(),
            self.plans.len(),
            self.measures.len(),
            self.group_sessions.len(),
            self.disclosures.len()
        )
    }
}

/// Open ends for the appointment query, within what both databases store.
fn all_time() -> Interval {
    Interval {
        start: DateTime::from_timestamp(-2_208_988_800, 0).unwrap_or_default(),
        end: DateTime::from_timestamp(10_413_792_000, 0).unwrap_or_default(),
    }
}

impl App {
    /// The care team's export of one client's whole record (psychotherapy notes never included); audited as
    /// `client.export` with the sections it holds.
    pub async fn export_client_record(&self, ctx: &Ctx, client: ClientId) -> Result<ClientRecord> {
        let tx = self.store.begin_read().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "client.export", "client")
                .resource(client)
                .client(client.0)
        };
        let Some(c) = rapport_store::clients::get(tx.conn(), client).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, client).await?,
            None => Default::default(),
        };
        let tx = self
            .guard(tx, ctx, Action::Read, Resource::ClientRecord(rel), ev())
            .await?;
        let maker = self.maker(&tx, ctx).await?;
        let record = self
            .client_record(&tx, ctx, c, Purpose::Export, maker)
            .await?;
        tx.audit(ev().request(ctx.rid()).detail(record.sections()))
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The staff member making a document, as it names them.
    pub(crate) async fn maker(&self, tx: &Tx<'_>, ctx: &Ctx) -> Result<Maker> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let p = Names::default().person(tx, me).await?;
        Ok(Maker {
            id: p.id.0,
            name: p.name,
        })
    }

    /// Builds the document; the caller has asked the policy and writes the audit entry.
    pub(crate) async fn client_record(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        c: Client,
        purpose: Purpose,
        generated_by: Maker,
    ) -> Result<ClientRecord> {
        let id = c.id;
        let mut names = Names::default();
        let clinical = rapport_store::clients::clinical(tx, id).await?;
        let team = care::members(tx.conn(), id).await?;
        let memberships = rapport_store::groups::memberships(tx.conn(), tx.cipher(), id).await?;
        // A record is a document, not a screen: it carries no rights (an empty set is left out of it).
        let client = crate::clients::view(
            c,
            clinical,
            team,
            memberships,
            rapport_domain::policy::ClientRights::default(),
        );
        let episodes = episodes::list_for_client(tx, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let appointments = self.appointment_records(tx, id, &mut names).await?;
        let (notes, disclosures) = self.note_records(tx, id, &mut names).await?;
        let mut plans = Vec::new();
        for p in rapport_store::plans::for_client(tx, id).await? {
            plans.push(self.treatment_plan_view(tx, ctx, p).await?);
        }
        let safety_plan = Some(crate::safety::read(tx, id).await?).filter(|s| s.exists());
        let medications = crate::medications::list(tx, id).await?;
        let referrals = crate::referrals::list(tx, id).await?;
        let measures = measure_records(tx, id).await?;
        let group_sessions = crate::groups::chart::member_sessions(tx, id).await?;
        Ok(ClientRecord {
            format: FORMAT,
            generated_at: now_utc(),
            generated_by,
            purpose,
            client,
            episodes,
            appointments,
            notes,
            plans,
            safety_plan,
            medications,
            referrals,
            measures,
            group_sessions,
            disclosures,
            excluded: vec![
                PSYCHOTHERAPY_EXCLUSION,
                DRAFT_EXCLUSION,
                UNIT_EXCLUSION,
                GROUP_EXCLUSION,
            ],
        })
    }

    async fn appointment_records(
        &self,
        tx: &Tx<'_>,
        client: ClientId,
        names: &mut Names,
    ) -> Result<Vec<AppointmentRecord>> {
        let labels: HashMap<String, String> = resources::types(tx.conn())
            .await?
            .into_iter()
            .map(|t| (t.key, t.label))
            .collect();
        let filter = schedule::RangeFilter {
            client: Some(client),
            include_cancelled: true,
            ..Default::default()
        };
        let mut out = Vec::new();
        for a in schedule::in_range(tx.conn(), all_time(), &filter).await? {
            let history = schedule::history_of(tx.conn(), a.id)
                .await?
                .into_iter()
                .map(|h| HistoryRecord {
                    at: h.at,
                    change: h.change,
                    from_status: h.from_status,
                    to_status_label: h
                        .to_status
                        .as_deref()
                        .and_then(|s| Status::parse(s).ok())
                        .map(Status::label),
                    to_status: h.to_status,
                    from_start: h.from_start,
                    to_start: h.to_start,
                })
                .collect();
            out.push(AppointmentRecord {
                id: a.id,
                start: a.session.start,
                end: a.session.end,
                appointment_type: labels.get(&a.type_key).cloned().unwrap_or(a.type_key),
                mode: a.mode.as_str(),
                mode_label: a.mode.label(),
                status: a.status.label(),
                clinician: names.person(tx, a.clinician_id).await?,
                time_zone: a.time_zone,
                history,
            });
        }
        Ok(out)
    }

    /// The signed notes of the record and the disclosures of them.
    async fn note_records(
        &self,
        tx: &Tx<'_>,
        client: ClientId,
        names: &mut Names,
    ) -> Result<(Vec<NoteRecord>, Vec<DisclosureRecord>)> {
        let mut out = Vec::new();
        let mut disclosures = Vec::new();
        for n in notes::in_record_of(tx, client).await? {
            // The query never returns one; this is the second safety net of a rule that must not fail.
            if n.kind.is_psychotherapy() || !n.status.is_locked() {
                continue;
            }
            let consent = notes::release_consents(tx.conn(), n.id)
                .await?
                .into_iter()
                .find(|c| c.client_id == client)
                .map(|c| c.how);
            for r in notes::releases(tx, n.id).await? {
                disclosures.push(DisclosureRecord {
                    note_id: n.id,
                    released_at: r.released_at,
                    recipient: r.recipient,
                    purpose: r.purpose,
                    released_by: names.person(tx, r.released_by).await?.name,
                    consent: consent.clone(),
                });
            }
            let mut addenda = Vec::new();
            for a in notes::addenda(tx, n.id).await? {
                addenda.push(AddendumView {
                    author: names.person(tx, a.author_id).await?,
                    id: a.id,
                    body: a.body,
                    created_at: a.created_at,
                    content_hash: a.content_hash,
                });
            }
            let unit = match n.unit_id {
                Some(u) => rapport_store::units::get(tx.conn(), tx.cipher(), u)
                    .await?
                    .map(|u| UnitRef {
                        id: u.id,
                        kind: u.kind.as_str(),
                        label: u.label,
                    }),
                None => None,
            };
            let fields = n
                .template
                .fields
                .iter()
                .map(|f| FieldRecord {
                    key: f.key.clone(),
                    label: f.label.clone(),
                    value: n.content.get(&f.key).cloned().unwrap_or_default(),
                })
                .collect();
            out.push(NoteRecord {
                hash_verified: n
                    .signed_at
                    .zip(n.content_hash.as_ref())
                    .map(|(at, h)| &crate::notes::signed_hash(&n, at) == h),
                id: n.id,
                kind: n.kind.as_str(),
                kind_label: n.kind.label(),
                template: n.template.label.clone(),
                service_date: n.service_date,
                appointment_id: n.appointment_id,
                author: names.person(tx, n.author_id).await?,
                status: n.status.label(),
                signed_at: n.signed_at,
                cosigned_by: match n.cosigned_by {
                    Some(u) => Some(names.person(tx, u).await?),
                    None => None,
                },
                cosigned_at: n.cosigned_at,
                content_hash: n.content_hash.clone(),
                unit,
                fields,
                addenda,
            });
        }
        disclosures.sort_by_key(|d| d.released_at);
        Ok((out, disclosures))
    }
}

async fn measure_records(tx: &Tx<'_>, client: ClientId) -> Result<Vec<MeasureRecord>> {
    let mut out = Vec::new();
    for h in rapport_store::measures::responses_for_client(tx.conn(), client).await? {
        let answers = rapport_store::measures::response(tx, h.id)
            .await?
            .map(|r| r.answers)
            .unwrap_or_default();
        out.push(MeasureRecord {
            name: rapport_domain::measures::instrument(h.instrument.as_str())
                .map(|i| i.name.clone())
                .unwrap_or_else(|_| h.instrument.to_string()),
            instrument: h.instrument.to_string(),
            id: h.id,
            completed_at: h.completed_at,
            total: h.total,
            valid: h.valid,
            prorated: h.prorated,
            band: h.band,
            risk_level: h.risk_level,
            critical: h.critical,
            answers,
        });
    }
    Ok(out)
}
