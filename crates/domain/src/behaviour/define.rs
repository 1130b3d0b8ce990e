//! Defining a target behaviour, optionally linked to a treatment-plan objective.
//!
//! A linked objective lends what it knows: its target value when the clinician gives none, the period when its
//! measure says "per week" or "a night", and the direction when its baseline and target differ. What the
//! clinician states explicitly wins over what is read from the objective's wording, but a direction that
//! contradicts the objective's own baseline → target is refused: the diary would then count success as failure.

use super::{Direction, MeasureKind, Period, Target};
use crate::error::Problems;
use crate::plans::Objective;
use crate::{Error, Result, validate};
use serde::Deserialize;
use uuid::Uuid;

const NAME_MAX: usize = 120;

/// What a clinician sends to define a behaviour (API body and form alike).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourInput {
    /// In the client's words: "Angry outbursts", "Drinks", "Hours slept". Sealed at rest.
    #[serde(default)]
    pub name: String,
    /// `count`, `duration` (minutes) or `intensity`.
    #[serde(default)]
    pub kind: String,
    /// An intensity scale's bounds (0–10 unless given).
    #[serde(default)]
    pub scale_min: Option<i32>,
    #[serde(default)]
    pub scale_max: Option<i32>,
    /// `reduce` or `increase`; may be left out when a linked objective's baseline and target say which.
    #[serde(default)]
    pub direction: Option<String>,
    /// The target value (minutes for a duration); taken from the linked objective when left out.
    #[serde(default)]
    pub target: Option<f64>,
    /// `day` or `week`; read from the objective's measure ("per week", "a night") when left out.
    #[serde(default)]
    pub target_per: Option<String>,
    /// The treatment plan and the objective (its id in the plan, such as `p1.g1.o1`) this behaviour measures.
    #[serde(default)]
    pub plan_id: Option<Uuid>,
    #[serde(default)]
    pub objective_id: Option<String>,
}

/// A checked definition.
#[derive(Debug, Clone, PartialEq)]
pub struct BehaviourDef {
    pub name: String,
    pub kind: MeasureKind,
    pub direction: Direction,
    pub target: Option<Target>,
}

/// The period an objective's measure speaks of, if its words say ("outbursts per week", "hours of sleep a night").
fn period_in(measure: &str) -> Option<Period> {
    let m = measure.to_lowercase();
    let week = ["per week", "a week", "each week", "weekly", "/week", "/wk"];
    let day = [
        "per day",
        "a day",
        "each day",
        "daily",
        "per night",
        "a night",
        "nightly",
        "/day",
    ];
    if week.iter().any(|w| m.contains(w)) {
        Some(Period::Week)
    } else if day.iter().any(|d| m.contains(d)) {
        Some(Period::Day)
    } else {
        None
    }
}

/// The direction implied by an objective's baseline and target, when both are known and differ.
fn direction_of(o: &Objective) -> Option<Direction> {
    let (b, t) = (o.baseline?, o.target?);
    if t < b {
        Some(Direction::Reduce)
    } else if t > b {
        Some(Direction::Increase)
    } else {
        None
    }
}

/// The objective's target in the behaviour's unit: durations are logged in minutes, while an objective may
/// speak of "hours of sleep a night".
fn objective_target(o: &Objective, kind: Option<MeasureKind>) -> Option<f64> {
    let t = o.target?;
    let hours = o.measure.to_lowercase().contains("hour");
    Some(if kind == Some(MeasureKind::Duration) && hours {
        t * 60.0
    } else {
        t
    })
}

/// The largest sensible target for a kind and period: what a day (or a week of days) can hold.
fn target_ceiling(kind: MeasureKind, per: Period) -> f64 {
    let days = match per {
        Period::Day => 1.0,
        Period::Week => 7.0,
    };
    match kind {
        MeasureKind::Count => f64::from(super::DAILY_COUNT_MAX) * days,
        MeasureKind::Duration => 1440.0 * days,
        MeasureKind::Intensity { max, .. } => f64::from(max),
    }
}

/// Checks a definition; `objective` is the linked objective when the input names one (the caller found it in
/// the client's plan). All problems are reported at once.
pub fn define(input: &BehaviourInput, objective: Option<&Objective>) -> Result<BehaviourDef> {
    let mut p = Problems::new();
    let name = p.take(validate::required_line("name", &input.name, NAME_MAX));
    let kind = p.take(MeasureKind::parse(
        "kind",
        &input.kind,
        input.scale_min,
        input.scale_max,
    ));
    let implied = objective.and_then(direction_of);
    let direction = match input.direction.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => {
            let d = p.take(Direction::parse("direction", raw));
            if let (Some(d), Some(i)) = (d, implied)
                && d != i
            {
                p.add(
                    "direction",
                    format!(
                        "the linked objective goes from a baseline to a target that means '{}'",
                        i.as_str()
                    ),
                );
            }
            d
        }
        _ => {
            if implied.is_none() {
                p.add(
                    "direction",
                    "say whether the client wants to reduce or increase this behaviour",
                );
            }
            implied
        }
    };
    let value = match input.target {
        Some(v) if !v.is_finite() => {
            p.add("target", "must be a number");
            None
        }
        Some(v) => Some(v),
        None => objective.and_then(|o| objective_target(o, kind)),
    };
    let per = match input.target_per.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => p.take(Period::parse("target_per", raw)),
        _ => objective.and_then(|o| period_in(&o.measure)),
    };
    let target = match (value, per) {
        (None, _) => None,
        (Some(_), None) => {
            p.add(
                "target_per",
                "say whether the target is per day or per week",
            );
            None
        }
        (Some(v), Some(per)) => {
            if let Some(k) = kind {
                let ceiling = target_ceiling(k, per);
                let floor = k.scale().map(|(min, _)| f64::from(min)).unwrap_or(0.0);
                if v < floor || v > ceiling {
                    p.add(
                        "target",
                        format!(
                            "a target {} must be between {} and {}",
                            match per {
                                Period::Day => "per day",
                                Period::Week => "per week",
                            },
                            floor,
                            ceiling
                        ),
                    );
                }
            }
            Some(Target { value: v, per })
        }
    };
    if input.plan_id.is_some()
        != input
            .objective_id
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
    {
        p.add(
            "objective_id",
            "link a behaviour to an objective by giving both the plan and the objective",
        );
    }
    p.finish()?;
    match (name, kind, direction) {
        (Some(name), Some(kind), Some(direction)) => Ok(BehaviourDef {
            name,
            kind,
            direction,
            target,
        }),
        _ => Err(Error::internal(
            "behaviour definition checked without a value",
        )),
    }
}
