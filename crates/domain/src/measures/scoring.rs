//! Turning one set of answers into a score: validation, skip logic, missing-item rule, bands, critical answers.
//!
//! Critical answers are looked for before, and independently of, the validity of the total: a respondent who
//! ticks "nearly every day" on PHQ-9 item 9 and leaves three other items blank has an invalid score and still
//! needs a clinician today.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::instrument::{
    BandDef, Condition, Instrument, InstrumentId, Item, MissingRuleKind, RiskLevel, ScoringMethod,
};
use crate::Result;
use crate::error::Problems;

/// Answers to one administration: item id → the value of the option chosen. Absent items are unanswered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(BTreeMap<String, i32>);

impl Answers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, item: impl Into<String>, value: i32) -> &mut Self {
        self.0.insert(item.into(), value);
        self
    }

    pub fn get(&self, item: &str) -> Option<i32> {
        self.0.get(item).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, i32)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

impl<K: Into<String>> FromIterator<(K, i32)> for Answers {
    fn from_iter<T: IntoIterator<Item = (K, i32)>>(iter: T) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Band {
    pub label: String,
    pub low: i32,
    pub high: i32,
}

impl From<&BandDef> for Band {
    fn from(b: &BandDef) -> Self {
        Self {
            label: b.label.clone(),
            low: b.low,
            high: b.high,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PopulationBand {
    pub population: String,
    pub band: Band,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubscaleScore {
    pub id: String,
    pub name: String,
    /// `None` when any of its items is unanswered: we do not prorate subscales.
    pub total: Option<i32>,
}

/// An answer that needs a clinician's attention, whatever the total says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriticalAnswer {
    pub item: String,
    pub value: i32,
    /// The option label as the respondent saw it.
    pub answer: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskAssessment {
    pub level: RiskLevel,
    pub label: String,
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub instrument: InstrumentId,
    /// The total, prorated when the missing-item rule allows it; `None` when invalid or when the instrument has
    /// no total (C-SSRS).
    pub total: Option<f64>,
    pub prorated: bool,
    /// Scored items that were neither answered nor filled in by skip logic.
    pub missing: usize,
    pub valid: bool,
    /// Why the score is not valid, in plain words; `None` when valid.
    pub invalid_reason: Option<String>,
    pub subscales: Vec<SubscaleScore>,
    pub band: Option<Band>,
    pub population_bands: Vec<PopulationBand>,
    pub risk: Option<RiskAssessment>,
    pub critical: Vec<CriticalAnswer>,
}

/// Scores one administration. Answers to unknown items or with values that are not options are a
/// `Validation` error naming `items.<id>`; everything else (including missing answers) yields a `Score`.
pub fn score(instrument: &Instrument, answers: &Answers) -> Result<Score> {
    validate(instrument, answers)?;
    let critical = critical_answers(instrument, answers);

    let mut answered = 0usize;
    let mut missing = 0usize;
    let mut sum = 0i32;
    for item in instrument.scored_items() {
        match effective_value(instrument, item, answers) {
            Some(v) => {
                answered += 1;
                sum += instrument.item_score(item, v);
            }
            None if !is_asked(instrument, item, answers) => {}
            None => missing += 1,
        }
    }

    let (valid, invalid_reason, prorated) = match instrument.missing.kind {
        _ if missing == 0 => (true, None, false),
        MissingRuleKind::Prorate { max_missing } if missing <= max_missing && answered > 0 => {
            (true, None, true)
        }
        MissingRuleKind::Prorate { max_missing } => (
            false,
            Some(format!(
                "{missing} questions were not answered; the {} can be scored with at most {max_missing} missing",
                instrument.short_name
            )),
            false,
        ),
        MissingRuleKind::InvalidIfAnyMissing => (
            false,
            Some(format!(
                "{missing} questions were not answered; the {} is only valid when every question is answered",
                instrument.short_name
            )),
            false,
        ),
    };

    let mut out = Score {
        instrument: instrument.id.clone(),
        total: None,
        prorated,
        missing,
        valid,
        invalid_reason,
        subscales: subscales(instrument, answers),
        band: None,
        population_bands: Vec::new(),
        risk: None,
        critical,
    };

    match instrument.scoring.method {
        ScoringMethod::RiskLevel => out.risk = risk(instrument, answers),
        ScoringMethod::Sum if valid => {
            let total = if prorated {
                // Mean of the answered items times the number of scored items (Arrieta et al. 2017 for PHQ-9).
                f64::from(sum) * (answered + missing) as f64 / answered as f64
            } else {
                f64::from(sum)
            };
            out.total = Some(total);
            out.band = band_for(&instrument.bands, total);
            out.population_bands = instrument
                .population_bands
                .iter()
                .filter_map(|pb| {
                    band_for(&pb.bands, total).map(|band| PopulationBand {
                        population: pb.population.clone(),
                        band,
                    })
                })
                .collect();
        }
        ScoringMethod::Sum => {}
    }
    Ok(out)
}

/// The scored questions put to the respondent (after skip logic) that have no answer, in the instrument's order.
/// A form that must be complete refuses these by name (`items.<id>`) instead of letting the missing-item rule
/// prorate or invalidate the score.
pub fn unanswered(instrument: &Instrument, answers: &Answers) -> Vec<String> {
    instrument
        .scored_items()
        .filter(|item| {
            effective_value(instrument, item, answers).is_none()
                && is_asked(instrument, item, answers)
        })
        .map(|item| item.id.clone())
        .collect()
}

/// Bands are published on whole scores; a prorated total is placed by rounding half away from zero.
fn band_for(bands: &[BandDef], total: f64) -> Option<Band> {
    let whole = total.round() as i32;
    bands
        .iter()
        .find(|b| b.low <= whole && whole <= b.high)
        .map(Band::from)
}

fn validate(instrument: &Instrument, answers: &Answers) -> Result<()> {
    let mut problems = Problems::new();
    for (id, value) in answers.iter() {
        let field = format!("items.{id}");
        match instrument.item(id) {
            None => problems.add(
                &field,
                format!("is not a question on the {}", instrument.short_name),
            ),
            Some(item) if item.option(value).is_none() => {
                let allowed: Vec<String> =
                    item.options.iter().map(|o| o.value.to_string()).collect();
                problems.add(
                    &field,
                    format!("must be one of {} (got {value})", allowed.join(", ")),
                );
            }
            Some(_) => {}
        }
    }
    problems.finish()
}

fn sum_of(instrument: &Instrument, condition: &Condition, answers: &Answers) -> Option<i32> {
    let mut sum = 0;
    for id in &condition.items {
        let item = instrument.item(id)?;
        sum += effective_value(instrument, item, answers)?;
    }
    Some(sum)
}

/// Whether skip logic puts this item to the respondent. An item whose gate is itself unanswered counts as asked,
/// so that a blank gate shows up as missing rather than silently excusing what follows it.
fn is_asked(instrument: &Instrument, item: &Item, answers: &Answers) -> bool {
    match &item.asked_if {
        None => true,
        Some(c) => sum_of(instrument, c, answers).is_none_or(|s| c.holds(s)),
    }
}

/// The answer given, or the value the publication assigns when skip logic left the item out.
fn effective_value(instrument: &Instrument, item: &Item, answers: &Answers) -> Option<i32> {
    if let Some(v) = answers.get(&item.id) {
        return Some(v);
    }
    if item.asked_if.is_some() && !is_asked(instrument, item, answers) {
        return item.value_if_not_asked;
    }
    None
}

fn subscales(instrument: &Instrument, answers: &Answers) -> Vec<SubscaleScore> {
    instrument
        .scoring
        .subscales
        .iter()
        .map(|s| {
            let total = s.items.iter().try_fold(0, |acc, id| {
                let item = instrument.item(id)?;
                let v = effective_value(instrument, item, answers)?;
                Some(acc + instrument.item_score(item, v))
            });
            SubscaleScore {
                id: s.id.clone(),
                name: s.name.clone(),
                total,
            }
        })
        .collect()
}

fn critical_answers(instrument: &Instrument, answers: &Answers) -> Vec<CriticalAnswer> {
    instrument
        .critical_items
        .iter()
        .filter_map(|rule| {
            let value = answers.get(&rule.item)?;
            let test = Condition {
                items: vec![rule.item.clone()],
                op: rule.op,
                value: rule.value,
            };
            if !test.holds(value) {
                return None;
            }
            let answer = instrument
                .item(&rule.item)
                .and_then(|i| i.option(value))
                .map(|o| o.label.clone())
                .unwrap_or_default();
            Some(CriticalAnswer {
                item: rule.item.clone(),
                value,
                answer,
                reason: rule.reason.clone(),
            })
        })
        .collect()
}

/// The first (highest) rule with a condition that holds on the answers given; unanswered items never raise risk.
fn risk(instrument: &Instrument, answers: &Answers) -> Option<RiskAssessment> {
    instrument
        .risk_levels
        .iter()
        .find(|r| {
            r.when_any.is_empty()
                || r.when_any
                    .iter()
                    .any(|c| sum_of(instrument, c, answers).is_some_and(|s| c.holds(s)))
        })
        .map(|r| RiskAssessment {
            level: r.level,
            label: r.label.clone(),
            action: r.action.clone(),
        })
}
