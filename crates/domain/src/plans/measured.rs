//! An objective measured by a questionnaire, read against the client's scores: baseline, latest score, target,
//! and a verdict (target met, reliably improved, progressing, not progressing, reliably worse).
//!
//! "Met" follows the instrument's direction: on symptom scales (every instrument Rapport ships) lower is better, so
//! the target is met when the latest valid score is at or below it; on a scale where higher is better, at or
//! above. "Reliably improved" uses the same reliable-change rule as the trend charts (`ReliableRule`), measured
//! from the objective's baseline, so the plan and the chart never disagree about what counts as real change.

use serde::Serialize;

use super::model::Objective;
use crate::measures::ReliableChangeOutcome;
use crate::measures::instrument::{Instrument, InstrumentId, ScoringMethod};
use crate::measures::progress::{ReliableRule, Scored, higher_is_better};

/// Where the baseline shown comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    /// Recorded in the plan.
    Plan,
    /// The plan has none yet; the client's first valid score stands in.
    FirstScore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasuredStatus {
    /// No valid score on this instrument yet.
    NoScoreYet,
    /// The instrument gives a risk level, not a total, so there is nothing to compare with a target.
    NoTotal,
    Met,
    ReliablyImproved,
    /// Moved toward the target, but not by a reliable change (or the instrument publishes no rule).
    Progressing,
    /// No movement toward the target, short of a reliable deterioration.
    NotProgressing,
    ReliablyDeteriorated,
}

impl MeasuredStatus {
    pub fn label(self) -> &'static str {
        match self {
            MeasuredStatus::NoScoreYet => "no score yet",
            MeasuredStatus::NoTotal => "no total to compare",
            MeasuredStatus::Met => "target met",
            MeasuredStatus::ReliablyImproved => "reliably improved",
            MeasuredStatus::Progressing => "progressing",
            MeasuredStatus::NotProgressing => "not progressing",
            MeasuredStatus::ReliablyDeteriorated => "reliably worse",
        }
    }
}

/// One objective with its instrument's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredObjective {
    pub objective_id: String,
    pub instrument: InstrumentId,
    pub short_name: String,
    pub higher_is_better: bool,
    pub baseline: Option<f64>,
    pub baseline_source: Option<BaselineSource>,
    pub target: Option<f64>,
    pub latest: Option<f64>,
    pub latest_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the latest score meets the target, in the instrument's direction.
    pub met: bool,
    /// From the baseline to the latest score, by the instrument's trend rule; `None` without a rule.
    pub reliable_change: Option<ReliableChangeOutcome>,
    pub status: MeasuredStatus,
    pub status_label: &'static str,
    /// What "met" and "reliable" mean here, in one or two sentences.
    pub definition: String,
    /// Valid totals, oldest first (for a small trend).
    pub totals: Vec<f64>,
    pub min_score: i32,
    pub max_score: i32,
}

/// Reads one objective against `scores` (the client's valid totals on `i`, oldest first).
pub fn measure_objective(o: &Objective, i: &Instrument, scores: &[Scored]) -> MeasuredObjective {
    let hib = higher_is_better(i);
    let rule = ReliableRule::for_instrument(i);
    let (min_score, max_score) = i.total_range();
    let better = |from: f64, to: f64| if hib { to > from } else { to < from };
    let (baseline, baseline_source) = match (o.baseline, scores.first()) {
        (Some(b), _) => (Some(b), Some(BaselineSource::Plan)),
        (None, Some(first)) => (Some(first.total), Some(BaselineSource::FirstScore)),
        (None, None) => (None, None),
    };
    let latest = scores.last().copied();
    let met = match (latest, o.target) {
        (Some(l), Some(t)) if hib => l.total >= t,
        (Some(l), Some(t)) => l.total <= t,
        _ => false,
    };
    let reliable_change = match (&rule, baseline, latest) {
        (Some(r), Some(b), Some(l)) => Some(r.outcome(b, l.total)),
        _ => None,
    };
    let status = if i.scoring.method != ScoringMethod::Sum {
        MeasuredStatus::NoTotal
    } else {
        match (latest, baseline) {
            (None, _) => MeasuredStatus::NoScoreYet,
            _ if met => MeasuredStatus::Met,
            _ if reliable_change == Some(ReliableChangeOutcome::ReliablyImproved) => {
                MeasuredStatus::ReliablyImproved
            }
            _ if reliable_change == Some(ReliableChangeOutcome::ReliablyDeteriorated) => {
                MeasuredStatus::ReliablyDeteriorated
            }
            (Some(l), Some(b)) if better(b, l.total) => MeasuredStatus::Progressing,
            _ => MeasuredStatus::NotProgressing,
        }
    };
    let direction = if hib {
        "at or above the target (higher is better on this scale)"
    } else {
        "at or below the target (lower is better on this scale)"
    };
    let mut definition = format!(
        "Met: the latest valid {} score is {direction}.",
        i.short_name
    );
    match &rule {
        Some(r) => {
            definition.push_str(" Reliably improved: measured from the baseline. ");
            definition.push_str(&r.definition);
        }
        None => definition.push_str(&format!(
            " The {} publishes no reliable-change rule, so movement is shown without that judgement.",
            i.short_name
        )),
    }
    MeasuredObjective {
        objective_id: o.id.clone(),
        instrument: i.id.clone(),
        short_name: i.short_name.clone(),
        higher_is_better: hib,
        baseline,
        baseline_source,
        target: o.target,
        latest: latest.map(|l| l.total),
        latest_at: latest.map(|l| l.at),
        met,
        reliable_change,
        status,
        status_label: status.label(),
        definition,
        totals: scores.iter().map(|s| s.total).collect(),
        min_score,
        max_score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::instrument as library;
    use crate::plans::model::ObjectiveStatus;
    use chrono::{TimeZone, Utc};

    fn objective(baseline: Option<f64>, target: f64) -> Objective {
        Objective {
            id: "p1.g1.o1".into(),
            statement: "Less depressed".into(),
            measure: "PHQ-9 total".into(),
            instrument: Some("phq9".into()),
            baseline,
            target: Some(target),
            target_date: None,
            target_weeks: None,
            current: None,
            status: ObjectiveStatus::InProgress,
            interventions: vec![],
        }
    }

    fn scores(totals: &[f64]) -> Vec<Scored> {
        totals
            .iter()
            .enumerate()
            .map(|(n, t)| Scored {
                at: Utc
                    .with_ymd_and_hms(2026, 1, 1 + n as u32, 9, 0, 0)
                    .unwrap(),
                total: *t,
            })
            .collect()
    }

    fn phq9() -> &'static library::Instrument {
        crate::measures::instrument("phq9").unwrap()
    }

    fn status(baseline: Option<f64>, target: f64, totals: &[f64]) -> MeasuredStatus {
        measure_objective(&objective(baseline, target), phq9(), &scores(totals)).status
    }

    #[test]
    fn on_a_symptom_scale_the_target_is_met_at_or_below_it() {
        assert_eq!(status(Some(18.0), 9.0, &[18.0, 9.0]), MeasuredStatus::Met);
        assert_eq!(
            status(Some(18.0), 9.0, &[18.0, 10.0]),
            MeasuredStatus::ReliablyImproved
        );
    }

    #[test]
    fn reliable_change_follows_the_trend_rule_from_the_baseline() {
        // PHQ-9 reliable change is NHS Talking Therapies' 6 points.
        assert_eq!(
            status(Some(18.0), 9.0, &[13.0]),
            MeasuredStatus::Progressing
        );
        assert_eq!(
            status(Some(18.0), 9.0, &[12.0]),
            MeasuredStatus::ReliablyImproved
        );
        assert_eq!(
            status(Some(12.0), 9.0, &[18.0]),
            MeasuredStatus::ReliablyDeteriorated
        );
        assert_eq!(
            status(Some(12.0), 9.0, &[14.0]),
            MeasuredStatus::NotProgressing
        );
        assert_eq!(
            status(Some(12.0), 9.0, &[12.0]),
            MeasuredStatus::NotProgressing
        );
    }

    #[test]
    fn without_a_recorded_baseline_the_first_score_stands_in() {
        let m = measure_objective(&objective(None, 9.0), phq9(), &scores(&[20.0, 15.0]));
        assert_eq!(m.baseline, Some(20.0));
        assert_eq!(m.baseline_source, Some(BaselineSource::FirstScore));
        assert_eq!(m.latest, Some(15.0));
        assert_eq!(m.status, MeasuredStatus::Progressing);
        assert_eq!(m.totals, [20.0, 15.0]);
    }

    #[test]
    fn no_score_yet_is_said_plainly() {
        let m = measure_objective(&objective(Some(15.0), 9.0), phq9(), &[]);
        assert_eq!(m.status, MeasuredStatus::NoScoreYet);
        assert!(!m.met);
        assert_eq!(m.latest, None);
    }

    #[test]
    fn where_higher_is_better_the_target_is_met_at_or_above_it() {
        let mut i = phq9().clone();
        if let Some(c) = i.change.as_mut() {
            c.higher_is_better = true;
        }
        let m = measure_objective(&objective(Some(5.0), 20.0), &i, &scores(&[20.0]));
        assert_eq!(m.status, MeasuredStatus::Met);
        assert!(m.definition.contains("at or above"));
        let m = measure_objective(&objective(Some(5.0), 20.0), &i, &scores(&[9.0]));
        assert_eq!(m.status, MeasuredStatus::Progressing);
    }

    #[test]
    fn an_instrument_without_a_reliable_change_rule_still_shows_movement() {
        let k10 = crate::measures::instrument("k10").unwrap();
        let m = measure_objective(&objective(Some(30.0), 15.0), k10, &scores(&[24.0]));
        assert_eq!(m.reliable_change, None);
        assert_eq!(m.status, MeasuredStatus::Progressing);
        assert!(m.definition.contains("no reliable-change rule"));
    }

    #[test]
    fn a_risk_level_screener_has_no_total_to_compare() {
        let cssrs = crate::measures::instrument("cssrs_screener").unwrap();
        let m = measure_objective(&objective(None, 0.0), cssrs, &[]);
        assert_eq!(m.status, MeasuredStatus::NoTotal);
    }
}
