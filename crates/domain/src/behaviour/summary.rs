//! Weekly summaries, streaks and logging adherence, from a behaviour's day values.
//!
//! The rules, chosen so that silence never reads as success:
//! - A day without a log is *not logged*, never "zero": it breaks a daily streak, and a week with no log at all is
//!   `NotLogged` rather than met (no outbursts and no diary look the same otherwise).
//! - Today is not over: a missing log today neither breaks a streak nor lowers adherence until the day ends, and
//!   the current week is `InProgress` unless its outcome is already certain (a ceiling already exceeded, a floor
//!   already reached, a day already missed or failed).
//! - Weeks are ISO weeks in the client's zone; only the days from the behaviour's start to today count.

use super::time::{iso_week_label, monday_of};
use super::{Direction, MeasureKind, Period, Target};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// Logging adherence looks back over four weeks.
pub const ADHERENCE_WINDOW_DAYS: u64 = 28;

/// One day's value of a behaviour (see `day_value`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DayValue {
    pub date: NaiveDate,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// The behaviour has no target.
    NoTarget,
    Met,
    NotMet,
    /// The week is not over and its outcome is still open.
    InProgress,
    /// The week is over and nothing was logged in it.
    NotLogged,
}

impl TargetStatus {
    pub fn label(self) -> &'static str {
        match self {
            TargetStatus::NoTarget => "no target",
            TargetStatus::Met => "met",
            TargetStatus::NotMet => "not met",
            TargetStatus::InProgress => "in progress",
            TargetStatus::NotLogged => "not logged",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekSummary {
    /// ISO week, e.g. "2027-W09".
    pub week: String,
    pub monday: NaiveDate,
    /// Days of this week from the behaviour's start up to today.
    pub days_counted: u32,
    pub days_logged: u32,
    /// Sum of the logged days (counts and durations; for an intensity, the sum of daily peaks).
    pub total: Option<f64>,
    /// Mean per logged day.
    pub mean: Option<f64>,
    /// With a daily target: the logged days that met it.
    pub days_met: Option<u32>,
    pub status: TargetStatus,
    /// The week has ended (its Sunday is before today).
    pub complete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetStreak {
    pub per: Period,
    /// Consecutive days or weeks meeting the target, up to now.
    pub current: u32,
    pub best: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Streaks {
    /// Consecutive days with a log, up to today (or yesterday while today has no log yet).
    pub logging_days: u32,
    pub target: Option<TargetStreak>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Adherence {
    pub days_logged: u32,
    pub days_expected: u32,
    /// days_logged / days_expected; none before the first day has ended.
    pub ratio: Option<f64>,
}

fn by_date(days: &[DayValue]) -> BTreeMap<NaiveDate, f64> {
    days.iter().map(|d| (d.date, d.value)).collect()
}

fn dates(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// The weekly summaries from the week of `start` to the week of `today`, oldest first.
pub fn weekly(
    kind: MeasureKind,
    direction: Direction,
    target: Option<Target>,
    days: &[DayValue],
    start: NaiveDate,
    today: NaiveDate,
) -> Vec<WeekSummary> {
    let map = by_date(days);
    let mut out = Vec::new();
    let mut monday = monday_of(start.min(today));
    while monday <= today {
        let sunday = monday + Days::new(6);
        let from = monday.max(start);
        let to = sunday.min(today);
        let counted: Vec<NaiveDate> = dates(from, to).collect();
        let logged: Vec<f64> = counted.iter().filter_map(|d| map.get(d).copied()).collect();
        let days_logged = logged.len() as u32;
        let total = (!logged.is_empty()).then(|| logged.iter().sum::<f64>());
        let mean = total.map(|t| t / f64::from(days_logged));
        let complete = sunday < today;
        let (status, days_met) = match target {
            None => (TargetStatus::NoTarget, None),
            Some(t) if t.per == Period::Day => {
                let mut met = 0;
                let mut broken = false;
                for d in &counted {
                    match map.get(d) {
                        Some(v) if direction.meets(*v, t.value) => met += 1,
                        Some(_) => broken = true,
                        None if *d < today => broken = true,
                        None => {}
                    }
                }
                let status = if complete && days_logged == 0 {
                    TargetStatus::NotLogged
                } else if broken {
                    TargetStatus::NotMet
                } else if complete {
                    TargetStatus::Met
                } else {
                    TargetStatus::InProgress
                };
                (status, Some(met))
            }
            Some(t) => {
                let value = if kind.sums() { total } else { mean };
                let status = match value {
                    None if complete => TargetStatus::NotLogged,
                    None => TargetStatus::InProgress,
                    Some(v) if complete => {
                        if direction.meets(v, t.value) {
                            TargetStatus::Met
                        } else {
                            TargetStatus::NotMet
                        }
                    }
                    // A running total can already settle a summed target; a mean cannot.
                    Some(v) if kind.sums() => match direction {
                        Direction::Reduce if !direction.meets(v, t.value) => TargetStatus::NotMet,
                        Direction::Increase if direction.meets(v, t.value) => TargetStatus::Met,
                        _ => TargetStatus::InProgress,
                    },
                    Some(_) => TargetStatus::InProgress,
                };
                (status, None)
            }
        };
        out.push(WeekSummary {
            week: iso_week_label(monday),
            monday,
            days_counted: counted.len() as u32,
            days_logged,
            total,
            mean,
            days_met,
            status,
            complete,
        });
        monday = monday + Days::new(7);
    }
    out
}

/// Longest run of `true` and the run that ends at the last element.
fn runs(seq: impl Iterator<Item = bool>) -> (u32, u32) {
    let (mut best, mut current) = (0, 0);
    for ok in seq {
        current = if ok { current + 1 } else { 0 };
        best = best.max(current);
    }
    (current, best)
}

/// Logging and target streaks. `weeks` are this behaviour's weekly summaries (from `weekly`).
pub fn streaks(
    direction: Direction,
    target: Option<Target>,
    days: &[DayValue],
    weeks: &[WeekSummary],
    start: NaiveDate,
    today: NaiveDate,
) -> Streaks {
    let map = by_date(days);
    // Today counts once it has a log; until then the streaks run to yesterday.
    let last = if map.contains_key(&today) {
        Some(today)
    } else {
        today.pred_opt()
    };
    let span: Vec<NaiveDate> = match last {
        Some(last) if start <= last => dates(start, last).collect(),
        _ => Vec::new(),
    };
    let (logging_days, _) = runs(span.iter().map(|d| map.contains_key(d)));
    let target = target.map(|t| match t.per {
        Period::Day => {
            let (current, best) = runs(
                span.iter()
                    .map(|d| map.get(d).is_some_and(|v| direction.meets(*v, t.value))),
            );
            TargetStreak {
                per: Period::Day,
                current,
                best,
            }
        }
        Period::Week => {
            // An open current week neither extends nor breaks the run of finished weeks.
            let settled = weeks
                .iter()
                .filter(|w| w.complete || w.status != TargetStatus::InProgress);
            let (current, best) = runs(settled.map(|w| w.status == TargetStatus::Met));
            TargetStreak {
                per: Period::Week,
                current,
                best,
            }
        }
    });
    Streaks {
        logging_days,
        target,
    }
}

/// Days logged over the last four weeks (from the start, if later), out of the days that have ended, plus today
/// once it has a log.
pub fn adherence(days: &[DayValue], start: NaiveDate, today: NaiveDate) -> Adherence {
    let map = by_date(days);
    let window_start = (today - Days::new(ADHERENCE_WINDOW_DAYS - 1)).max(start);
    let end = if map.contains_key(&today) {
        Some(today)
    } else {
        today.pred_opt()
    };
    let span: Vec<NaiveDate> = match end {
        Some(end) if window_start <= end => dates(window_start, end).collect(),
        _ => Vec::new(),
    };
    let expected = span.len() as u32;
    let logged = span.iter().filter(|d| map.contains_key(d)).count() as u32;
    Adherence {
        days_logged: logged,
        days_expected: expected,
        ratio: (expected > 0).then(|| f64::from(logged) / f64::from(expected)),
    }
}
