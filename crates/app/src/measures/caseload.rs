//! A clinician's caseload at a glance: every client on their care team who has measures or behaviour work (a diary
//! or homework), with the latest score per instrument, the valid totals for a sparkline, and whether the client is
//! on track — "not on track" first.
//!
//! One query reads the scores of the whole caseload (plain columns; no answer is decrypted); two more, alongside
//! it, the behaviour column (diary logging in the last complete week, overdue homework;
//! `rapport_store::behaviour::glance`); and one batch of audit entries records a read per client listed, so each
//! client's access log shows the caseload view too.

use super::results::{reasons, valid_totals};
use crate::{App, Ctx};
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use rapport_domain::behaviour::{self as bm, GLANCE_DEFINITION, LoggedBehaviour, WeekLogging};
use rapport_domain::measures::progress::{
    NOT_ON_TRACK_DEFINITION, REVIEW_AFTER_DAYS, ReliableRule, TrackReason,
};
use rapport_domain::measures::{self as m, InstrumentId, ReliableChangeOutcome};
use rapport_domain::policy::{Action, ClientRelation, Resource, authorize};
use rapport_domain::{ClientId, Error, Result};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::measures::{self as repo, ResponseHead};
use rapport_store::{ConnectionTrait, behaviour, care, clients, now_utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One instrument of one client, as the caseload shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseloadSeries {
    pub instrument: InstrumentId,
    pub short_name: String,
    pub responses: usize,
    pub first_total: Option<f64>,
    /// The latest valid total and its band.
    pub latest_total: Option<f64>,
    pub latest_band: Option<String>,
    /// The latest risk level, for instruments without a total (C-SSRS screener).
    pub latest_risk: Option<String>,
    pub latest_at: DateTime<Utc>,
    pub min_score: i32,
    pub max_score: i32,
    pub higher_is_better: bool,
    /// Valid totals, oldest first (the sparkline).
    pub totals: Vec<f64>,
    /// Latest against first, by the instrument's trend rule.
    pub reliable_change: Option<ReliableChangeOutcome>,
    pub not_on_track: Vec<TrackReason>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseloadRow {
    pub client_id: ClientId,
    pub client_name: String,
    pub not_on_track: bool,
    /// "PHQ-9: reliable deterioration since the first score", one per reason.
    pub reasons: Vec<String>,
    pub open_alerts: usize,
    /// The latest questionnaire completed; `None` for a client with behaviour work only.
    pub last_completed_at: Option<DateTime<Utc>>,
    pub instruments: Vec<CaseloadSeries>,
    /// Diary logging and overdue homework; `None` for a client with no active behaviour and no open homework.
    pub behaviour: Option<BehaviourGlance>,
}

/// The caseload's behaviour column for one client.
#[derive(Debug, Clone, Serialize)]
pub struct BehaviourGlance {
    /// Logging in the last complete ISO week; `None` without an active behaviour.
    pub last_week: Option<WeekLogging>,
    pub overdue_homework: u32,
    pub open_homework: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Caseload {
    /// What "not on track" means, shown with the list.
    pub definition: &'static str,
    pub review_after_days: i64,
    pub not_on_track: usize,
    /// Not on track first, then by name.
    pub clients: Vec<CaseloadRow>,
    /// What the behaviour column means.
    pub behaviour_definition: &'static str,
}

fn series(id: &InstrumentId, heads: &[&ResponseHead]) -> Result<Option<CaseloadSeries>> {
    let i = m::instrument(id.as_str())?;
    let Some(last) = heads.last() else {
        return Ok(None);
    };
    let scored = valid_totals(heads);
    let rule = ReliableRule::for_instrument(i);
    let (first, latest) = (scored.first(), scored.last());
    let latest_band = latest
        .and_then(|l| m::progress::band_of(i, l.total))
        .map(|b| b.label.clone());
    let reliable_change = match (rule, first, latest) {
        (Some(r), Some(f), Some(l)) if scored.len() > 1 => Some(r.outcome(f.total, l.total)),
        _ => None,
    };
    let (min_score, max_score) = i.total_range();
    Ok(Some(CaseloadSeries {
        instrument: i.id.clone(),
        short_name: i.short_name.clone(),
        responses: heads.len(),
        first_total: first.map(|s| s.total),
        latest_total: latest.map(|s| s.total),
        latest_band,
        latest_risk: last.risk_level.clone(),
        latest_at: last.completed_at,
        min_score,
        max_score,
        higher_is_better: m::progress::higher_is_better(i),
        totals: scored.iter().map(|s| s.total).collect(),
        reliable_change,
        not_on_track: reasons(i, &scored),
    }))
}

/// The behaviour column of each of `clients` that has behaviour work, from two set-based reads
/// (`behaviour::glance`), each client's week taken on their own calendar.
pub(crate) async fn glances(
    c: &impl ConnectionTrait,
    clients: &[ClientId],
    now: DateTime<Utc>,
) -> Result<HashMap<ClientId, BehaviourGlance>> {
    // Last week's Monday is at most 13 days before a client's today (within a day of UTC's); entries may be dated
    // up to MAX_DAYS_BACK before the day they were typed, so a diary defined since then can have its earliest
    // entry (its start, see `last_week_logging`) that much earlier still.
    let utc_today = now.date_naive();
    let g = behaviour::glance(
        c,
        clients,
        utc_today - Days::new(bm::MAX_DAYS_BACK + 15),
        utc_today + Days::new(1),
    )
    .await?;
    let today = |client: &ClientId| {
        let tz = g
            .time_zones
            .get(client)
            .and_then(|z| z.parse::<Tz>().ok())
            .unwrap_or(Tz::UTC);
        bm::local_date(now, tz)
    };
    let mut logged: BTreeMap<ClientId, Vec<LoggedBehaviour>> = BTreeMap::new();
    for b in &g.behaviours {
        logged
            .entry(b.client_id)
            .or_default()
            .push(LoggedBehaviour {
                starts_on: b.starts_on,
                logged: b.logged.iter().copied().collect(),
            });
    }
    let mut due: BTreeMap<ClientId, Vec<NaiveDate>> = BTreeMap::new();
    for (client, on) in &g.open_homework {
        due.entry(*client).or_default().push(*on);
    }
    let mut out = HashMap::new();
    for client in logged.keys().chain(due.keys()) {
        if out.contains_key(client) {
            continue;
        }
        let t = today(client);
        let open = due.get(client).map(Vec::as_slice).unwrap_or(&[]);
        out.insert(
            *client,
            BehaviourGlance {
                last_week: bm::last_week_logging(
                    logged.get(client).map(Vec::as_slice).unwrap_or(&[]),
                    t,
                ),
                overdue_homework: bm::overdue(open, t),
                open_homework: open.len() as u32,
            },
        );
    }
    Ok(out)
}

impl App {
    /// The caller's caseload with measures or behaviour work (clients on their care team). Staff without clinical
    /// access get an empty list: there is nothing of theirs to show.
    pub async fn measures_caseload(&self, ctx: &Ctx) -> Result<Caseload> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut out = Caseload {
            definition: NOT_ON_TRACK_DEFINITION,
            review_after_days: REVIEW_AFTER_DAYS,
            not_on_track: 0,
            clients: Vec::new(),
            behaviour_definition: GLANCE_DEFINITION,
        };
        if !ctx.actor.is_clinical() {
            return Ok(out);
        }
        let tx = self.store.begin_read().await?;
        // The care team is the relation that lets a clinician read a client's measures; asking the policy with
        // it (rather than trusting the query) keeps the list from ever showing more than a read would.
        let on_team = ClientRelation {
            on_care_team: true,
            supervises_care_team_member: false,
            emergency_access: false,
        };
        let mine: Vec<ClientId> = if authorize(
            &ctx.actor,
            Action::Read,
            Resource::ClientClinical(on_team),
        )
        .is_allowed()
        {
            let mut v: Vec<ClientId> = care::clients_in_scope(tx.conn(), me, false)
                .await?
                .into_iter()
                .collect();
            v.sort();
            v
        } else {
            Vec::new()
        };
        let now = now_utc();
        // The behaviour column is read on a pooled connection while the transaction reads the scores: it is a
        // glance (plain numbers, no snapshot needed together with the scores), and overlapping the two keeps it
        // off the dashboard's critical path. It covers the whole care team; only listed clients show it.
        let (heads, behaviour) = tokio::join!(
            repo::responses_for_clients(tx.conn(), &mine),
            glances(self.store.unaudited(Unaudited::AfterDecision), &mine, now),
        );
        let (heads, behaviour) = (heads?, behaviour?);
        // Every client with scores or behaviour work is listed; the glance covers only `mine`, like the scores.
        let mut by_client: BTreeMap<ClientId, Vec<&ResponseHead>> =
            behaviour.keys().map(|c| (*c, Vec::new())).collect();
        for h in &heads {
            by_client.entry(h.client_id).or_default().push(h);
        }
        let listed: Vec<ClientId> = by_client.keys().copied().collect();
        let names = clients::names(tx.conn(), &listed).await?;
        let mut alerts: HashMap<ClientId, usize> = HashMap::new();
        for a in repo::open_alerts(tx.conn(), tx.cipher(), &listed).await? {
            *alerts.entry(ClientId(a.client_id)).or_default() += 1;
        }
        for (client, hs) in &by_client {
            // Instruments in the order they were first used.
            let mut order: Vec<&InstrumentId> = Vec::new();
            for h in hs {
                if !order.contains(&&h.instrument) {
                    order.push(&h.instrument);
                }
            }
            let mut instruments = Vec::with_capacity(order.len());
            let mut why = Vec::new();
            for id in order {
                let of: Vec<&ResponseHead> =
                    hs.iter().copied().filter(|h| &h.instrument == id).collect();
                if let Some(s) = series(id, &of)? {
                    why.extend(
                        s.not_on_track
                            .iter()
                            .map(|r| format!("{}: {}", s.short_name, r.label())),
                    );
                    instruments.push(s);
                }
            }
            let last_completed_at = hs.iter().map(|h| h.completed_at).max();
            out.clients.push(CaseloadRow {
                client_id: *client,
                client_name: names.get(client).cloned().unwrap_or_default(),
                not_on_track: !why.is_empty(),
                reasons: why,
                open_alerts: alerts.get(client).copied().unwrap_or(0),
                last_completed_at,
                instruments,
                behaviour: behaviour.get(client).cloned(),
            });
        }
        out.clients.sort_by(|a, b| {
            (!a.not_on_track, &a.client_name, a.client_id).cmp(&(
                !b.not_on_track,
                &b.client_name,
                b.client_id,
            ))
        });
        out.not_on_track = out.clients.iter().filter(|c| c.not_on_track).count();
        let mut entries = vec![
            AuditEvent::new(&ctx.actor, "measure.caseload.read", "caseload")
                .request(ctx.rid())
                .detail(format!(
                    "{} clients, {} not on track",
                    out.clients.len(),
                    out.not_on_track
                )),
        ];
        entries.extend(out.clients.iter().map(|c| {
            AuditEvent::new(&ctx.actor, "measure.caseload.read", "client")
                .resource(c.client_id)
                .client(c.client_id.0)
                .request(ctx.rid())
        }));
        tx.audit_many(entries).await?;
        tx.commit().await?;
        Ok(out)
    }
}
