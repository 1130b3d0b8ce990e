//! A client's results: every response per instrument (scores only; answers stay sealed), and the change from
//! the first valid score to the latest with its reliable-change, clinical-significance and NHS Talking Therapies
//! figures, each with its definition. Each point also carries the reliable-change verdict against the first valid
//! score by the instrument's trend rule (`progress::ReliableRule`), so a chart and a CSV mark the same points.

use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::measures::progress::{self, ReliableRule, Scored, TrackReason};
use rapport_domain::measures::{
    self as m, ChangeAssessment, CombinedTalkingTherapiesOutcome, Instrument, InstrumentId,
    ReliableChangeOutcome, assess_totals, talking_therapies_combined,
};
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Result};
use rapport_store::Tx;
use rapport_store::audit::AuditEvent;
use rapport_store::measures::{self as repo, EnteredVia, ResponseHead};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct ResponsePoint {
    pub id: Uuid,
    pub completed_at: DateTime<Utc>,
    pub total: Option<f64>,
    pub valid: bool,
    pub prorated: bool,
    pub band: Option<String>,
    pub risk_level: Option<String>,
    pub critical: bool,
    pub entered_via: &'static str,
    /// Change from the first valid score by the instrument's trend rule; none for the first score, invalid
    /// ones, and instruments without a rule.
    pub reliable_change: Option<ReliableChangeOutcome>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BandRange {
    pub low: i32,
    pub high: i32,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstrumentResults {
    pub instrument: InstrumentId,
    pub name: String,
    pub short_name: String,
    /// LOINC code of the total score (an Observation's code), where one exists.
    pub loinc_total: Option<String>,
    pub higher_is_better: Option<bool>,
    pub bands: Vec<BandRange>,
    /// Lowest and highest total a complete form can give.
    pub min_score: i32,
    pub max_score: i32,
    /// The clinical cut-off, where one is published.
    pub cutoff: Option<f64>,
    /// The rule by which points are marked as reliable change from the first score.
    pub trend_rule: Option<ReliableRule>,
    /// Why this series is not on track (`progress::NOT_ON_TRACK_DEFINITION`); empty when it is, or when there is
    /// nothing to judge yet.
    pub not_on_track: Vec<TrackReason>,
    /// Oldest first.
    pub responses: Vec<ResponsePoint>,
    /// From the first valid total to the latest; present with two or more valid totals.
    pub change: Option<ChangeAssessment>,
    /// Why there is no change assessment, in plain words.
    pub change_note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeasureResults {
    pub client_id: ClientId,
    pub instruments: Vec<InstrumentResults>,
    /// The programme's combined outcome, when both the PHQ-9 and the GAD-7 have a change assessment.
    pub talking_therapies_combined: Option<CombinedTalkingTherapiesOutcome>,
    pub open_alerts: usize,
}

fn point(h: &ResponseHead, reliable_change: Option<ReliableChangeOutcome>) -> ResponsePoint {
    ResponsePoint {
        reliable_change,
        id: h.id,
        completed_at: h.completed_at,
        total: h.total,
        valid: h.valid,
        prorated: h.prorated,
        band: h.band.clone(),
        risk_level: h.risk_level.clone(),
        critical: h.critical,
        entered_via: match h.entered_via {
            EnteredVia::ClientLink => "client_link",
            EnteredVia::Staff(_) => "staff",
        },
    }
}

/// The valid totals of a series, oldest first.
pub(crate) fn valid_totals(heads: &[&ResponseHead]) -> Vec<Scored> {
    heads
        .iter()
        .filter(|h| h.valid)
        .filter_map(|h| {
            h.total.map(|total| Scored {
                at: h.completed_at,
                total,
            })
        })
        .collect()
}

/// Each response's reliable-change verdict against the first valid total (the first itself has none).
pub(crate) fn marks(
    rule: Option<&ReliableRule>,
    heads: &[&ResponseHead],
) -> Vec<Option<ReliableChangeOutcome>> {
    let first = heads.iter().find(|h| h.valid && h.total.is_some());
    heads
        .iter()
        .map(|h| match (rule, first, h.total) {
            (Some(r), Some(f), Some(t)) if h.valid && f.id != h.id => {
                f.total.map(|ft| r.outcome(ft, t))
            }
            _ => None,
        })
        .collect()
}

/// Why a series is not on track, judged from its first and latest valid totals.
pub(crate) fn reasons(i: &Instrument, valid: &[Scored]) -> Vec<TrackReason> {
    match valid {
        [first, .., last] => progress::not_on_track(i, *first, *last),
        [only] => progress::not_on_track(i, *only, *only),
        [] => Vec::new(),
    }
}

fn results_for(id: &InstrumentId, heads: &[&ResponseHead]) -> Result<InstrumentResults> {
    let i = m::instrument(id.as_str())?;
    let scored = valid_totals(heads);
    let valid: Vec<f64> = scored.iter().map(|s| s.total).collect();
    let trend_rule = ReliableRule::for_instrument(i);
    let marks = marks(trend_rule.as_ref(), heads);
    let (min_score, max_score) = i.total_range();
    let (change, change_note) = match (i.change.is_some(), valid.as_slice()) {
        (false, _) => (
            None,
            Some(format!(
                "The {} has no published change statistics.",
                i.short_name
            )),
        ),
        (true, [first, .., last]) => (Some(assess_totals(i, *first, *last)?), None),
        (true, _) => (
            None,
            Some("Change is shown once there are two valid scores.".to_string()),
        ),
    };
    Ok(InstrumentResults {
        instrument: i.id.clone(),
        name: i.name.clone(),
        short_name: i.short_name.clone(),
        loinc_total: i.loinc.total.clone(),
        higher_is_better: i.change.as_ref().map(|c| c.higher_is_better),
        bands: i
            .bands
            .iter()
            .map(|b| BandRange {
                low: b.low,
                high: b.high,
                label: b.label.clone(),
            })
            .collect(),
        min_score,
        max_score,
        cutoff: progress::clinical_cutoff(i),
        not_on_track: reasons(i, &scored),
        trend_rule,
        responses: heads
            .iter()
            .zip(marks)
            .map(|(h, mark)| point(h, mark))
            .collect(),
        change,
        change_note,
    })
}

impl App {
    /// A client's results per instrument with change statistics (the care team, and supervisors of its members).
    pub async fn client_measures(&self, ctx: &Ctx, client: ClientId) -> Result<MeasureResults> {
        self.results_audited(ctx, client, "measure.results.read")
            .await
    }

    /// The same results, for a file that leaves Rapport (CSV): audited as an export, so the access log tells
    /// a download from a look at the page.
    pub async fn export_client_measures(
        &self,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<MeasureResults> {
        self.results_audited(ctx, client, "measure.results.export")
            .await
    }

    async fn results_audited(
        &self,
        ctx: &Ctx,
        client: ClientId,
        action: &'static str,
    ) -> Result<MeasureResults> {
        let tx = self.store.begin_read().await?;
        let (tx, out) = self.read_client_measures(tx, ctx, client, action).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A client's results inside the caller's transaction: authorised and audited as `action`, not committed.
    pub(crate) async fn read_client_measures<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
        action: &'static str,
    ) -> Result<(Tx<'s>, MeasureResults)> {
        let ev = || {
            AuditEvent::new(&ctx.actor, action, "client")
                .resource(client)
                .client(client.0)
        };
        let (tx, _) = self
            .measure_client(tx, ctx, client, Action::Read, ev())
            .await?;
        let heads = repo::responses_for_client(tx.conn(), client).await?;
        // Instruments in the order they were first used.
        let mut order: Vec<&InstrumentId> = Vec::new();
        for h in &heads {
            if !order.contains(&&h.instrument) {
                order.push(&h.instrument);
            }
        }
        let mut instruments = Vec::with_capacity(order.len());
        for id in order {
            let of: Vec<&ResponseHead> = heads.iter().filter(|h| &h.instrument == id).collect();
            instruments.push(results_for(id, &of)?);
        }
        let change_of = |id: &str| {
            instruments
                .iter()
                .find(|r| r.instrument.as_str() == id)
                .and_then(|r| r.change.as_ref())
        };
        let talking_therapies_combined = match (change_of("phq9"), change_of("gad7")) {
            (Some(d), Some(a)) => Some(talking_therapies_combined(d, a)?),
            _ => None,
        };
        let open_alerts = repo::alerts_for_client(tx.conn(), tx.cipher(), client)
            .await?
            .iter()
            .filter(|a| a.acknowledged_at.is_none())
            .count();
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} responses", heads.len())),
        )
        .await?;
        let out = MeasureResults {
            client_id: client,
            instruments,
            talking_therapies_combined,
            open_alerts,
        };
        Ok((tx, out))
    }
}
