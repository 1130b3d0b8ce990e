//! Change between two administrations: Jacobson–Truax reliable and clinically significant change, and the NHS
//! Talking Therapies outcome rules.
//!
//! Every number leaves this module as a `Figure`: the value together with one sentence saying what it means, so the
//! clinician reads "reliable improvement" next to its definition rather than a bare flag. Thresholds come from the
//! instrument file (with their sources); nothing here knows a particular instrument.

use serde::Serialize;

use super::instrument::{ChangeParams, Instrument, ScoringMethod, TalkingTherapiesParams};
use super::scoring::Score;
use crate::{Error, Result};

/// Jacobson & Truax (1991): |RCI| above 1.96 means a change this large would arise from measurement error alone
/// less than 5% of the time.
pub const RCI_THRESHOLD: f64 = 1.96;

/// A value with the sentence shown beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure<T> {
    pub value: T,
    pub definition: String,
}

impl<T> Figure<T> {
    fn new(value: T, definition: impl Into<String>) -> Self {
        Self {
            value,
            definition: definition.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReliableChangeOutcome {
    ReliablyImproved,
    ReliablyDeteriorated,
    NoReliableChange,
}

/// Jacobson & Truax (1991) categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalOutcome {
    /// Reliable improvement that also crossed from the clinical into the functional range.
    Recovered,
    /// Reliable improvement without crossing the cut-off.
    Improved,
    Unchanged,
    Deteriorated,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliableChange {
    /// Present when a published SD and reliability are available.
    pub rci: Option<Figure<f64>>,
    /// The smallest change in points that counts as reliable.
    pub threshold_points: Figure<f64>,
    pub outcome: Figure<ReliableChangeOutcome>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClinicalSignificance {
    pub cutoff: Figure<f64>,
    pub clinical_at_start: bool,
    pub clinical_at_end: bool,
    pub outcome: Figure<ClinicalOutcome>,
}

/// NHS Talking Therapies outcome for one measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TalkingTherapiesOutcome {
    pub caseness_at_start: Figure<bool>,
    pub caseness_at_end: Figure<bool>,
    pub reliable_improvement: Figure<bool>,
    pub reliable_deterioration: Figure<bool>,
    /// `None` when the person was not a case at the start: recovery is then undefined.
    pub recovery: Figure<Option<bool>>,
    pub reliable_recovery: Figure<Option<bool>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeAssessment {
    pub instrument: super::instrument::InstrumentId,
    pub higher_is_better: bool,
    pub baseline: f64,
    pub latest: f64,
    pub change: Figure<f64>,
    pub reliable_change: Option<ReliableChange>,
    pub clinical_significance: Option<ClinicalSignificance>,
    pub talking_therapies: Option<TalkingTherapiesOutcome>,
}

/// Change between two valid scores of the same instrument.
pub fn assess_change(
    instrument: &Instrument,
    baseline: &Score,
    latest: &Score,
) -> Result<ChangeAssessment> {
    let total = |s: &Score, field: &str| -> Result<f64> {
        if s.instrument != instrument.id {
            return Err(Error::invalid(
                field,
                format!("is a {} score, not a {} score", s.instrument, instrument.id),
            ));
        }
        match (s.valid, s.total) {
            (true, Some(t)) => Ok(t),
            _ => Err(Error::invalid(field, "has no valid total to compare")),
        }
    };
    assess_totals(
        instrument,
        total(baseline, "baseline")?,
        total(latest, "latest")?,
    )
}

/// Change between two totals (prorated totals may be fractional).
pub fn assess_totals(
    instrument: &Instrument,
    baseline: f64,
    latest: f64,
) -> Result<ChangeAssessment> {
    if instrument.scoring.method != ScoringMethod::Sum {
        return Err(Error::invalid(
            "instrument",
            format!("the {} has no total to compare", instrument.short_name),
        ));
    }
    let Some(params) = &instrument.change else {
        return Err(Error::invalid(
            "instrument",
            format!(
                "the {} does not define change statistics",
                instrument.short_name
            ),
        ));
    };
    let (lo, hi) = instrument.total_range();
    let in_range = |x: f64| x.is_finite() && x >= f64::from(lo) && x <= f64::from(hi);
    for (field, x) in [("baseline", baseline), ("latest", latest)] {
        if !in_range(x) {
            return Err(Error::invalid(
                field,
                format!("must be between {lo} and {hi}"),
            ));
        }
    }

    let delta = latest - baseline;
    let better = if params.higher_is_better {
        "higher"
    } else {
        "lower"
    };
    let change = Figure::new(
        delta,
        format!(
            "Latest score minus first score; on the {} {better} scores are better.",
            instrument.short_name
        ),
    );
    let reliable_change = reliable_change(params, delta);
    let clinical_significance = reliable_change
        .as_ref()
        .and_then(|rc| clinical_significance(params, baseline, latest, rc.outcome.value));
    let talking_therapies = params
        .talking_therapies
        .as_ref()
        .map(|t| talking_therapies(t, params.higher_is_better, baseline, latest));
    Ok(ChangeAssessment {
        instrument: instrument.id.clone(),
        higher_is_better: params.higher_is_better,
        baseline,
        latest,
        change,
        reliable_change,
        clinical_significance,
        talking_therapies,
    })
}

/// Standard error of the difference between two scores: S_diff = sqrt(2 · SEM²), SEM = SD · sqrt(1 − r)
/// (Jacobson & Truax 1991, eq. for S_diff).
pub fn s_diff(sd: f64, reliability: f64) -> f64 {
    let sem = sd * (1.0 - reliability).sqrt();
    (2.0 * sem * sem).sqrt()
}

pub(crate) fn direction(
    higher_is_better: bool,
    delta: f64,
    reliable: bool,
) -> ReliableChangeOutcome {
    let improved = if higher_is_better {
        delta > 0.0
    } else {
        delta < 0.0
    };
    match (reliable, improved) {
        (false, _) => ReliableChangeOutcome::NoReliableChange,
        (true, true) => ReliableChangeOutcome::ReliablyImproved,
        (true, false) => ReliableChangeOutcome::ReliablyDeteriorated,
    }
}

fn outcome_figure(outcome: ReliableChangeOutcome, threshold: f64) -> Figure<ReliableChangeOutcome> {
    let text = match outcome {
        ReliableChangeOutcome::ReliablyImproved => format!(
            "Reliable improvement: the score moved at least {threshold:.1} points in the better direction, more than measurement error alone would explain."
        ),
        ReliableChangeOutcome::ReliablyDeteriorated => format!(
            "Reliable deterioration: the score moved at least {threshold:.1} points in the worse direction, more than measurement error alone would explain."
        ),
        ReliableChangeOutcome::NoReliableChange => format!(
            "No reliable change: the score moved less than {threshold:.1} points, within what measurement error alone can produce."
        ),
    };
    Figure::new(outcome, text)
}

fn reliable_change(params: &ChangeParams, delta: f64) -> Option<ReliableChange> {
    if let Some(jt) = &params.jacobson_truax {
        let sdiff = s_diff(jt.sd, jt.reliability);
        let rci = delta / sdiff;
        let threshold = RCI_THRESHOLD * sdiff;
        let outcome = direction(params.higher_is_better, delta, rci.abs() > RCI_THRESHOLD);
        return Some(ReliableChange {
            rci: Some(Figure::new(
                rci,
                format!(
                    "Reliable change index (Jacobson & Truax 1991): the change divided by the standard error of a difference ({sdiff:.2} points, from SD {} and reliability {}). Beyond ±1.96 the change is unlikely to be measurement error.",
                    jt.sd, jt.reliability
                ),
            )),
            threshold_points: Figure::new(
                threshold,
                "Smallest change in points that counts as reliable: 1.96 times the standard error of a difference.",
            ),
            outcome: outcome_figure(outcome, threshold),
            source: format!(
                "SD: {}; reliability: {}",
                jt.sd_source, jt.reliability_source
            ),
        });
    }
    params.published_reliable_change.as_ref().map(|t| {
        let outcome = direction(params.higher_is_better, delta, delta.abs() >= t.points);
        ReliableChange {
            rci: None,
            threshold_points: Figure::new(
                t.points,
                "Smallest change in points the instrument's authors count as reliable.",
            ),
            outcome: outcome_figure(outcome, t.points),
            source: t.source.clone(),
        }
    })
}

/// Criterion c (Jacobson & Truax 1991): the point between the functional and clinical distributions, weighted by
/// their SDs; when no normative pair is published we use the published cut-off instead.
pub fn criterion_c(
    functional_mean: f64,
    functional_sd: f64,
    clinical_mean: f64,
    clinical_sd: f64,
) -> f64 {
    (functional_sd * clinical_mean + clinical_sd * functional_mean) / (functional_sd + clinical_sd)
}

fn clinical_significance(
    params: &ChangeParams,
    baseline: f64,
    latest: f64,
    rc: ReliableChangeOutcome,
) -> Option<ClinicalSignificance> {
    let cutoff = if let Some(n) = &params.normative {
        let c = criterion_c(
            n.functional_mean,
            n.functional_sd,
            n.clinical_mean,
            n.clinical_sd,
        );
        Figure::new(
            c,
            format!(
                "Criterion c (Jacobson & Truax 1991), the midpoint between normative and clinical samples weighted by their SDs ({}).",
                n.source
            ),
        )
    } else {
        let c = params.clinical_cutoff.as_ref()?;
        Figure::new(
            c.score,
            format!("Published clinical cut-off ({}).", c.source),
        )
    };
    // Symptom scales publish caseness as "at or above"; on higher-is-better scales the cut-off is the first
    // functional score.
    let clinical = |x: f64| {
        if params.higher_is_better {
            x < cutoff.value
        } else {
            x >= cutoff.value
        }
    };
    let (start, end) = (clinical(baseline), clinical(latest));
    let outcome = match rc {
        ReliableChangeOutcome::ReliablyImproved if start && !end => ClinicalOutcome::Recovered,
        ReliableChangeOutcome::ReliablyImproved => ClinicalOutcome::Improved,
        ReliableChangeOutcome::ReliablyDeteriorated => ClinicalOutcome::Deteriorated,
        ReliableChangeOutcome::NoReliableChange => ClinicalOutcome::Unchanged,
    };
    let text = match outcome {
        ClinicalOutcome::Recovered => {
            "Recovered: reliable improvement that also moved from the clinical into the non-clinical range (clinically significant change)."
        }
        ClinicalOutcome::Improved => {
            "Improved: reliable improvement that did not (or did not need to) cross the clinical cut-off."
        }
        ClinicalOutcome::Unchanged => "Unchanged: no reliable change.",
        ClinicalOutcome::Deteriorated => "Deteriorated: reliable change in the worse direction.",
    };
    Some(ClinicalSignificance {
        cutoff,
        clinical_at_start: start,
        clinical_at_end: end,
        outcome: Figure::new(outcome, text),
    })
}

fn talking_therapies(
    t: &TalkingTherapiesParams,
    higher_is_better: bool,
    baseline: f64,
    latest: f64,
) -> TalkingTherapiesOutcome {
    let gain = if higher_is_better {
        latest - baseline
    } else {
        baseline - latest
    };
    let case = |x: f64| x >= t.caseness_at_or_above;
    let improved = gain >= t.reliable_change_points;
    let deteriorated = -gain >= t.reliable_change_points;
    let was_case = case(baseline);
    let recovered = was_case.then(|| !case(latest));
    let reliably_recovered = recovered.map(|r| r && improved);
    let (pts, cut) = (t.reliable_change_points, t.caseness_at_or_above);
    TalkingTherapiesOutcome {
        caseness_at_start: Figure::new(
            was_case,
            format!("Caseness (NHS Talking Therapies): a first score of {cut} or more."),
        ),
        caseness_at_end: Figure::new(
            case(latest),
            format!("Caseness at the latest score: {cut} or more."),
        ),
        reliable_improvement: Figure::new(
            improved,
            format!(
                "Reliable improvement (NHS Talking Therapies): the score fell by {pts} points or more."
            ),
        ),
        reliable_deterioration: Figure::new(
            deteriorated,
            format!(
                "Reliable deterioration (NHS Talking Therapies): the score rose by {pts} points or more."
            ),
        ),
        recovery: Figure::new(
            recovered,
            format!(
                "Recovery (NHS Talking Therapies): a case at the start ({cut} or more) and below {cut} at the latest score; not defined for people who were not a case."
            ),
        ),
        reliable_recovery: Figure::new(
            reliably_recovered,
            "Reliable recovery (NHS Talking Therapies): recovery together with reliable improvement.",
        ),
    }
}

/// The NHS Talking Therapies outcome of a course of treatment, judged on the depression measure (PHQ-9) and the
/// anxiety measure together, as the programme reports it: a case if either is at caseness at the start; recovered
/// if a case and both are below caseness at the end; reliable improvement if either improves reliably and neither
/// deteriorates reliably; reliable deterioration if either deteriorates reliably and neither improves reliably.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CombinedTalkingTherapiesOutcome {
    pub caseness_at_start: Figure<bool>,
    pub reliable_improvement: Figure<bool>,
    pub reliable_deterioration: Figure<bool>,
    pub recovery: Figure<Option<bool>>,
    pub reliable_recovery: Figure<Option<bool>>,
}

pub fn talking_therapies_combined(
    depression: &ChangeAssessment,
    anxiety: &ChangeAssessment,
) -> Result<CombinedTalkingTherapiesOutcome> {
    let (Some(d), Some(a)) = (&depression.talking_therapies, &anxiety.talking_therapies) else {
        return Err(Error::invalid(
            "instrument",
            "both measures must define NHS Talking Therapies thresholds",
        ));
    };
    let was_case = d.caseness_at_start.value || a.caseness_at_start.value;
    let improved_any = d.reliable_improvement.value || a.reliable_improvement.value;
    let worse_any = d.reliable_deterioration.value || a.reliable_deterioration.value;
    let improvement = improved_any && !worse_any;
    let deterioration = worse_any && !improved_any;
    let recovered = was_case.then_some(!d.caseness_at_end.value && !a.caseness_at_end.value);
    Ok(CombinedTalkingTherapiesOutcome {
        caseness_at_start: Figure::new(
            was_case,
            "Caseness (NHS Talking Therapies): at or above caseness on the depression or the anxiety measure at the start.",
        ),
        reliable_improvement: Figure::new(
            improvement,
            "Reliable improvement (NHS Talking Therapies): reliable improvement on at least one measure and reliable deterioration on neither.",
        ),
        reliable_deterioration: Figure::new(
            deterioration,
            "Reliable deterioration (NHS Talking Therapies): reliable deterioration on at least one measure and reliable improvement on neither.",
        ),
        recovery: Figure::new(
            recovered,
            "Recovery (NHS Talking Therapies): a case at the start and below caseness on both measures at the end.",
        ),
        reliable_recovery: Figure::new(
            recovered.map(|r| r && improvement),
            "Reliable recovery (NHS Talking Therapies): recovery together with reliable improvement.",
        ),
    })
}
