//! Reading a series of scores over time: which change from the first score a trend marks as reliable, the
//! clinical cut-off a chart draws, and whether a client counts as "not on track".
//!
//! A chart marks one rule per instrument, chosen here once so the client page, the caseload and the CSV agree:
//! NHS Talking Therapies' points where the instrument has them (PHQ-9, GAD-7 — the rule services report
//! against), otherwise the Jacobson–Truax index from the published SD and reliability, otherwise the authors'
//! published minimum change. "Not on track" is deliberately simple, and every screen that uses it shows
//! `NOT_ON_TRACK_DEFINITION` beside it: it is a prompt to look, not a verdict.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::change::{RCI_THRESHOLD, ReliableChangeOutcome, criterion_c, direction, s_diff};
use super::instrument::{BandDef, Instrument, ScoringMethod};

/// Weeks of treatment after which no reliable improvement counts as "not on track" (a common review point in
/// routine outcome monitoring; with fortnightly measures it is the fourth score).
pub const REVIEW_AFTER_DAYS: i64 = 42;

/// Shown wherever the caseload is sorted by it.
pub const NOT_ON_TRACK_DEFINITION: &str = "Not on track: on any instrument, the latest score is in its most severe \
band; or the change from the first score is a reliable deterioration; or, six weeks or more after a first score in \
the clinical range, there is still no reliable improvement. Reliable change follows NHS Talking Therapies for the \
PHQ-9 (6 points) and GAD-7 (4 points), and the Jacobson–Truax index or the authors' published threshold otherwise.";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Threshold {
    /// A change of at least this many points.
    AtLeast(f64),
    /// |change| / S_diff beyond 1.96 (Jacobson & Truax 1991).
    Rci { s_diff: f64 },
}

/// The reliable-change rule a trend marks for one instrument.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliableRule {
    /// The smallest change in points that counts (for the index: 1.96 · S_diff, rounded for display only).
    pub points: f64,
    pub higher_is_better: bool,
    /// One sentence, shown with the chart.
    pub definition: String,
    #[serde(skip)]
    threshold: Threshold,
}

impl ReliableRule {
    /// The rule for an instrument with a total and published change parameters; `None` otherwise.
    pub fn for_instrument(i: &Instrument) -> Option<ReliableRule> {
        if i.scoring.method != ScoringMethod::Sum {
            return None;
        }
        let params = i.change.as_ref()?;
        let hib = params.higher_is_better;
        if let Some(t) = &params.talking_therapies {
            let pts = t.reliable_change_points;
            return Some(ReliableRule {
                points: pts,
                higher_is_better: hib,
                definition: format!(
                    "Reliable change (NHS Talking Therapies): the {} moved {pts} points or more from the first score.",
                    i.short_name
                ),
                threshold: Threshold::AtLeast(pts),
            });
        }
        if let Some(jt) = &params.jacobson_truax {
            let sd = s_diff(jt.sd, jt.reliability);
            let pts = RCI_THRESHOLD * sd;
            return Some(ReliableRule {
                points: pts,
                higher_is_better: hib,
                definition: format!(
                    "Reliable change (Jacobson & Truax): the {} moved more than {pts:.1} points from the first score (reliable change index beyond ±1.96).",
                    i.short_name
                ),
                threshold: Threshold::Rci { s_diff: sd },
            });
        }
        let t = params.published_reliable_change.as_ref()?;
        Some(ReliableRule {
            points: t.points,
            higher_is_better: hib,
            definition: format!(
                "Reliable change (published threshold): the {} moved {} points or more from the first score.",
                i.short_name, t.points
            ),
            threshold: Threshold::AtLeast(t.points),
        })
    }

    /// Reliable improvement, deterioration or neither, from `first` to `value`.
    pub fn outcome(&self, first: f64, value: f64) -> ReliableChangeOutcome {
        let delta = value - first;
        let reliable = match self.threshold {
            Threshold::AtLeast(p) => delta.abs() >= p,
            Threshold::Rci { s_diff } => (delta / s_diff).abs() > RCI_THRESHOLD,
        };
        direction(self.higher_is_better, delta, reliable)
    }
}

/// The score that separates the clinical from the non-clinical range, as `change` uses it: criterion c when a
/// normative pair is published, else the published cut-off.
pub fn clinical_cutoff(i: &Instrument) -> Option<f64> {
    let params = i.change.as_ref()?;
    if let Some(n) = &params.normative {
        return Some(criterion_c(
            n.functional_mean,
            n.functional_sd,
            n.clinical_mean,
            n.clinical_sd,
        ));
    }
    params.clinical_cutoff.as_ref().map(|c| c.score)
}

/// Whether higher totals are better on this instrument (symptom scales, the default, are the other way round).
pub fn higher_is_better(i: &Instrument) -> bool {
    i.change.as_ref().is_some_and(|c| c.higher_is_better)
}

/// The band a total falls in, placing a prorated total by rounding (as scoring does).
pub fn band_of(i: &Instrument, total: f64) -> Option<&BandDef> {
    let whole = total.round() as i32;
    i.bands.iter().find(|b| b.low <= whole && whole <= b.high)
}

/// The most severe band: the highest for symptom scales, the lowest when higher is better.
pub fn most_severe_band(i: &Instrument) -> Option<&BandDef> {
    if higher_is_better(i) {
        i.bands.iter().min_by_key(|b| b.low)
    } else {
        i.bands.iter().max_by_key(|b| b.high)
    }
}

fn least_severe_band(i: &Instrument) -> Option<&BandDef> {
    if higher_is_better(i) {
        i.bands.iter().max_by_key(|b| b.high)
    } else {
        i.bands.iter().min_by_key(|b| b.low)
    }
}

/// Why an instrument's series is not on track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackReason {
    MostSevereBand,
    ReliableDeterioration,
    NoReliableImprovement,
}

impl TrackReason {
    pub fn label(self) -> &'static str {
        match self {
            TrackReason::MostSevereBand => "latest score in the most severe band",
            TrackReason::ReliableDeterioration => "reliable deterioration since the first score",
            TrackReason::NoReliableImprovement => "no reliable improvement after six weeks or more",
        }
    }
}

/// A valid total and when it was given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub at: DateTime<Utc>,
    pub total: f64,
}

/// The reasons, if any, why a series from `first` to `latest` (both valid totals) is not on track.
pub fn not_on_track(i: &Instrument, first: Scored, latest: Scored) -> Vec<TrackReason> {
    let mut reasons = Vec::new();
    if let (Some(worst), Some(band)) = (most_severe_band(i), band_of(i, latest.total))
        && worst == band
    {
        reasons.push(TrackReason::MostSevereBand);
    }
    let Some(rule) = ReliableRule::for_instrument(i) else {
        return reasons;
    };
    match rule.outcome(first.total, latest.total) {
        ReliableChangeOutcome::ReliablyDeteriorated => {
            reasons.push(TrackReason::ReliableDeterioration)
        }
        ReliableChangeOutcome::ReliablyImproved => {}
        ReliableChangeOutcome::NoReliableChange => {
            let long_enough = (latest.at - first.at).num_days() >= REVIEW_AFTER_DAYS;
            if long_enough && started_in_clinical_range(i, first.total) {
                reasons.push(TrackReason::NoReliableImprovement);
            }
        }
    }
    reasons
}

/// A client who started in the non-clinical range has little room to improve reliably, and is not expected to.
fn started_in_clinical_range(i: &Instrument, first: f64) -> bool {
    let hib = higher_is_better(i);
    if let Some(c) = clinical_cutoff(i) {
        return if hib { first < c } else { first >= c };
    }
    match (least_severe_band(i), band_of(i, first)) {
        (Some(best), Some(b)) => best != b,
        _ => true,
    }
}
