//! The shape of an instrument definition, as read from `crates/domain/instruments/*.json`.
//!
//! Everything a published scoring manual says is data here (items, bands, missing-item rule, critical answers,
//! change parameters, sources), so that correcting a number is a reviewed edit of one JSON file with its citation
//! beside it, never a code change. Unknown JSON fields are rejected so a typo cannot silently drop a rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Stable identifier of an instrument (`phq9`, `gad7`, …), as used in URLs and stored responses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstrumentId(String);

impl InstrumentId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: InstrumentId,
    pub name: String,
    pub short_name: String,
    /// Version of the instrument text and of this definition, e.g. `"2001; rapport definition 1"`.
    pub version: String,
    /// Instructions shown above the items (the recall period lives here).
    #[serde(default)]
    pub instructions: Option<String>,
    pub items: Vec<Item>,
    pub scoring: Scoring,
    pub missing: MissingRule,
    /// Severity bands over the whole score range; empty when the instrument publishes none.
    #[serde(default)]
    pub bands: Vec<BandDef>,
    /// Bands that differ by population (AUDIT-C cut-offs differ by sex); the caller picks the row that applies.
    #[serde(default)]
    pub population_bands: Vec<PopulationBands>,
    /// Ordered highest first; used when `scoring.method` is `risk_level`.
    #[serde(default)]
    pub risk_levels: Vec<RiskRule>,
    #[serde(default)]
    pub critical_items: Vec<CriticalRule>,
    #[serde(default)]
    pub change: Option<ChangeParams>,
    #[serde(default)]
    pub loinc: Loinc,
    pub citation: String,
    pub licence: Licence,
    /// Anything a reviewer should know that does not fit a field (unverified numbers, choices we made and why).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Instrument {
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn scored_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.scored)
    }

    pub fn is_reverse_scored(&self, item_id: &str) -> bool {
        self.scoring.reverse_scored.iter().any(|r| r == item_id)
    }

    /// The contribution of one answer to the total, after reverse scoring.
    pub fn item_score(&self, item: &Item, value: i32) -> i32 {
        if self.is_reverse_scored(&item.id) {
            item.min_value() + item.max_value() - value
        } else {
            value
        }
    }

    /// Lowest and highest total a complete answer set can give.
    pub fn total_range(&self) -> (i32, i32) {
        self.scored_items().fold((0, 0), |(lo, hi), item| {
            let scores = item.options.iter().map(|o| self.item_score(item, o.value));
            let (mut a, mut b) = (i32::MAX, i32::MIN);
            for s in scores {
                a = a.min(s);
                b = b.max(s);
            }
            (lo + a, hi + b)
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub text: String,
    pub options: Vec<AnswerOption>,
    /// Declared bounds of the answer value; when absent they are the smallest and largest option values.
    #[serde(default)]
    pub min: Option<i32>,
    #[serde(default)]
    pub max: Option<i32>,
    /// False for questions that are asked but not summed (PHQ-9 difficulty, PHQ-A's extra questions).
    #[serde(default = "yes")]
    pub scored: bool,
    /// Skip logic: the item is only put to the respondent when this holds.
    #[serde(default)]
    pub asked_if: Option<Condition>,
    /// The value the publication assigns when skip logic leaves the item out (K10 items 3 and 6, AUDIT 2–8).
    #[serde(default)]
    pub value_if_not_asked: Option<i32>,
}

fn yes() -> bool {
    true
}

impl Item {
    pub fn min_value(&self) -> i32 {
        self.min
            .unwrap_or_else(|| self.options.iter().map(|o| o.value).min().unwrap_or(0))
    }

    pub fn max_value(&self) -> i32 {
        self.max
            .unwrap_or_else(|| self.options.iter().map(|o| o.value).max().unwrap_or(0))
    }

    pub fn option(&self, value: i32) -> Option<&AnswerOption> {
        self.options.iter().find(|o| o.value == value)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: i32,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoringMethod {
    /// Sum of the scored items (after reverse scoring).
    Sum,
    /// No total: a risk level from the first matching rule in `risk_levels` (C-SSRS screener).
    RiskLevel,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    pub method: ScoringMethod,
    #[serde(default)]
    pub subscales: Vec<SubscaleDef>,
    #[serde(default)]
    pub reverse_scored: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscaleDef {
    pub id: String,
    pub name: String,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum MissingRuleKind {
    /// Replace missing scored items by the mean of the answered ones, up to `max_missing` items.
    Prorate {
        max_missing: usize,
    },
    InvalidIfAnyMissing,
}

// No `deny_unknown_fields` here: serde does not support it together with `flatten`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MissingRule {
    #[serde(flatten)]
    pub kind: MissingRuleKind,
    pub source: String,
}

/// One severity band; `low` and `high` are inclusive whole scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandDef {
    pub low: i32,
    pub high: i32,
    pub label: String,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationBands {
    /// Who the row applies to, e.g. `"men"`, `"women"`.
    pub population: String,
    pub bands: Vec<BandDef>,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    None,
    Low,
    Moderate,
    High,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskRule {
    pub level: RiskLevel,
    pub label: String,
    /// The rule matches when any of these holds; an empty list matches always (the fallback row).
    #[serde(default)]
    pub when_any: Vec<Condition>,
    /// What the publication recommends at this level, shown to the clinician.
    pub action: String,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Gte,
    Lte,
}

/// `sum(answers of items) op value`; with one item it is a test on that item's answer (its raw value, before
/// reverse scoring, because publications phrase critical answers in terms of what was ticked).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub items: Vec<String>,
    pub op: Op,
    pub value: i32,
}

impl Condition {
    pub fn holds(&self, sum: i32) -> bool {
        match self.op {
            Op::Eq => sum == self.value,
            Op::Gte => sum >= self.value,
            Op::Lte => sum <= self.value,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriticalRule {
    pub item: String,
    pub op: Op,
    pub value: i32,
    /// Why this answer needs a clinician's attention today, in plain words.
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeParams {
    /// For most symptom scales lower is better; alliance and well-being scales are the other way round.
    pub higher_is_better: bool,
    #[serde(default)]
    pub jacobson_truax: Option<JacobsonTruax>,
    /// A published minimum change in points taken as reliable (used when no SD/reliability pair is published).
    #[serde(default)]
    pub published_reliable_change: Option<PublishedThreshold>,
    #[serde(default)]
    pub clinical_cutoff: Option<ClinicalCutoff>,
    #[serde(default)]
    pub normative: Option<Normative>,
    #[serde(default)]
    pub talking_therapies: Option<TalkingTherapiesParams>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JacobsonTruax {
    pub sd: f64,
    pub sd_source: String,
    pub reliability: f64,
    /// `test_retest` or `internal_consistency`.
    pub reliability_kind: String,
    pub reliability_source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedThreshold {
    pub points: f64,
    pub source: String,
}

/// A score at or beyond which a person counts as in the clinical range (`at_or_above` for symptom scales).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicalCutoff {
    pub score: f64,
    pub source: String,
}

/// Means and SDs of a functional (normative) and a dysfunctional (clinical) sample, for criterion c.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normative {
    pub functional_mean: f64,
    pub functional_sd: f64,
    pub clinical_mean: f64,
    pub clinical_sd: f64,
    pub source: String,
}

/// NHS Talking Therapies (formerly IAPT) outcome rules for this measure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TalkingTherapiesParams {
    /// A change of at least this many points counts as reliable improvement or deterioration.
    pub reliable_change_points: f64,
    /// A score at or above this is "caseness".
    pub caseness_at_or_above: f64,
    pub source: String,
}

/// LOINC codes of the instrument: the panel (a Questionnaire's code), the total score (an Observation's code) and
/// each item that has one (item id → code). Only codes confirmed against a LOINC source are given; `source` says
/// where, and `notes` what was looked for and not found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loinc {
    #[serde(default)]
    pub panel: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, String>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStatus {
    /// Public domain or free for any use without permission.
    Free,
    /// Free for clinical (non-commercial) use with attribution; the terms are in `terms`.
    FreeNonCommercial,
    /// We could not confirm that embedding it in software is free; a person must decide before it is offered.
    NeedsReview,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    pub status: LicenceStatus,
    pub terms: String,
    /// Words the licence requires to be shown, verbatim, wherever the questions are put to someone (the CORE
    /// System Trust's copyright line). Every form that shows the items prints it; without it the use is unlicensed.
    #[serde(default)]
    pub notice: Option<String>,
    pub source: String,
}
