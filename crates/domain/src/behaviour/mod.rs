//! Behaviour modification: target behaviours a client logs (anger outbursts, cravings, drinks, hours slept), their
//! targets, the weekly summaries, streaks and adherence a clinician reads at a glance, and homework.
//!
//! A behaviour is measured one way for its whole life: a **count** per day, a **duration** in minutes per day, or
//! an **intensity** on a bounded whole-number scale (0–10 by default). A client may log the same behaviour several
//! times on one day; the day's value is the **sum** for counts and durations and the **peak** for an intensity
//! (the worst craving of the day is what a clinician asks about, and averaging a 9 with a 1 would hide it).
//! Every date here is a calendar date in the client's own time zone; weeks are ISO weeks (Monday to Sunday).

mod define;
mod entry;
mod glance;
mod homework;
mod summary;
mod time;

pub use define::{BehaviourDef, BehaviourInput, define};
pub use entry::{
    DAILY_COUNT_MAX, MAX_DAYS_BACK, check_date, check_day_total, check_value, day_value,
};
pub use glance::{GLANCE_DEFINITION, LoggedBehaviour, WeekLogging, last_week_logging, overdue};
pub use homework::{
    HomeworkInput, HomeworkStatus, HomeworkTally, ValidHomework, completion_note, homework_tally,
};
pub use summary::{
    ADHERENCE_WINDOW_DAYS, Adherence, DayValue, Streaks, TargetStatus, TargetStreak, WeekSummary,
    adherence, streaks, weekly,
};
pub use time::{iso_week_label, local_date, monday_of, week_utc_range};

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How a behaviour is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeasureKind {
    /// How many times a day (outbursts, drinks, cigarettes).
    Count,
    /// How long in a day, in whole minutes (sleep, exercise, time spent ruminating).
    Duration,
    /// How strong, on a whole-number scale from `min` to `max` (craving 0–10).
    Intensity { min: i32, max: i32 },
}

impl MeasureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Count => "count",
            MeasureKind::Duration => "duration",
            MeasureKind::Intensity { .. } => "intensity",
        }
    }

    /// Rebuilds the kind from its stored parts; `field` names the input when it came from a person.
    pub fn parse(
        field: &str,
        kind: &str,
        min: Option<i32>,
        max: Option<i32>,
    ) -> Result<MeasureKind> {
        match kind.trim() {
            "count" => Ok(MeasureKind::Count),
            "duration" => Ok(MeasureKind::Duration),
            "intensity" => {
                let (min, max) = (min.unwrap_or(0), max.unwrap_or(10));
                if min < 0 || max > 100 || max <= min {
                    return Err(Error::invalid(
                        "scale_max",
                        "an intensity scale runs between two whole numbers from 0 to 100, such as 0 to 10",
                    ));
                }
                Ok(MeasureKind::Intensity { min, max })
            }
            other => Err(Error::invalid(
                field,
                format!("unknown measure '{other}'; expected count, duration or intensity"),
            )),
        }
    }

    /// The unit a value is given in: UCUM code and the words for people.
    pub fn unit(self) -> (&'static str, &'static str) {
        match self {
            MeasureKind::Count => ("{count}", "times"),
            MeasureKind::Duration => ("min", "minutes"),
            MeasureKind::Intensity { .. } => ("{score}", "points"),
        }
    }

    pub fn scale(self) -> Option<(i32, i32)> {
        match self {
            MeasureKind::Intensity { min, max } => Some((min, max)),
            _ => None,
        }
    }

    /// Whether a day's values add up (counts, durations) or the peak counts (intensity).
    pub fn sums(self) -> bool {
        !matches!(self, MeasureKind::Intensity { .. })
    }
}

/// Which way the client wants the behaviour to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Fewer or less (outbursts, drinks): the target is a ceiling.
    Reduce,
    /// More (hours slept, exercise): the target is a floor.
    Increase,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Reduce => "reduce",
            Direction::Increase => "increase",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Direction> {
        match raw.trim() {
            "reduce" => Ok(Direction::Reduce),
            "increase" => Ok(Direction::Increase),
            other => Err(Error::invalid(
                field,
                format!("unknown direction '{other}'; expected reduce or increase"),
            )),
        }
    }

    /// Whether `value` meets a target of `target` in this direction (the target itself counts as met).
    pub fn meets(self, value: f64, target: f64) -> bool {
        match self {
            Direction::Reduce => value <= target + 1e-9,
            Direction::Increase => value + 1e-9 >= target,
        }
    }
}

/// What a target is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Period> {
        match raw.trim() {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            other => Err(Error::invalid(
                field,
                format!("unknown period '{other}'; expected day or week"),
            )),
        }
    }
}

/// A target: at most (reduce) or at least (increase) `value` per day or per week. For an intensity, a weekly
/// target is about the mean of the logged days' peaks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub value: f64,
    pub per: Period,
}

/// The target in words: "at most 2 times a week", "at least 420 minutes a day".
pub fn target_words(kind: MeasureKind, direction: Direction, t: Target) -> String {
    let bound = match direction {
        Direction::Reduce => "at most",
        Direction::Increase => "at least",
    };
    let per = match t.per {
        Period::Day => "a day",
        Period::Week if kind.sums() => "a week",
        Period::Week => "on average over a week",
    };
    let value = if (t.value - t.value.round()).abs() < 1e-9 {
        format!("{:.0}", t.value)
    } else {
        format!("{:.1}", t.value)
    };
    let unit = match (kind, (t.value - 1.0).abs() < 1e-9) {
        (MeasureKind::Count, true) => "time",
        (MeasureKind::Duration, true) => "minute",
        (MeasureKind::Intensity { .. }, true) => "point",
        _ => kind.unit().1,
    };
    format!("{bound} {value} {unit} {per}")
}

#[cfg(test)]
mod tests;
