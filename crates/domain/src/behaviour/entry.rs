//! What a log entry may hold. An impossible value is refused with a message naming the field: a negative or
//! fractional count, more than `DAILY_COUNT_MAX` in a day, more than 24 hours of anything in one day, an intensity
//! off the behaviour's scale, a day that has not begun yet in the client's zone, or a day so long ago that
//! memory of it is unreliable (`MAX_DAYS_BACK`).

use super::MeasureKind;
use crate::{Error, Result};
use chrono::{Days, NaiveDate};

/// No one has more than this many of anything in a day that a diary tracks; a larger number is a typing slip.
pub const DAILY_COUNT_MAX: u32 = 200;
/// Minutes in a day: a day cannot hold more of anything.
const DAY_MINUTES: f64 = 1440.0;
/// How far back an entry may be dated: a month, enough to copy a paper diary brought to a monthly session, and
/// not so far that the numbers are guesses.
pub const MAX_DAYS_BACK: u64 = 31;

fn whole(v: f64) -> bool {
    (v - v.round()).abs() < 1e-9
}

/// Checks one logged value of a behaviour measured as `kind`.
pub fn check_value(kind: MeasureKind, field: &str, value: f64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::invalid(field, "must be a number"));
    }
    match kind {
        MeasureKind::Count => {
            if value < 0.0 {
                Err(Error::invalid(field, "a count cannot be negative"))
            } else if !whole(value) {
                Err(Error::invalid(field, "a count is a whole number"))
            } else if value > f64::from(DAILY_COUNT_MAX) {
                Err(Error::invalid(
                    field,
                    format!(
                        "more than {DAILY_COUNT_MAX} in one day is not possible; please check the number"
                    ),
                ))
            } else {
                Ok(value)
            }
        }
        MeasureKind::Duration => {
            if value < 0.0 {
                Err(Error::invalid(field, "a duration cannot be negative"))
            } else if value > DAY_MINUTES {
                Err(Error::invalid(
                    field,
                    "a day has only 24 hours (1440 minutes)",
                ))
            } else {
                Ok(value.round())
            }
        }
        MeasureKind::Intensity { min, max } => {
            if !whole(value) || value < f64::from(min) || value > f64::from(max) {
                Err(Error::invalid(
                    field,
                    format!("choose a whole number from {min} to {max}"),
                ))
            } else {
                Ok(value)
            }
        }
    }
}

/// Checks that adding `value` to what is already logged on that day keeps the day possible (counts and durations
/// add up; an intensity's day value is its peak, which `check_value` already bounds).
pub fn check_day_total(kind: MeasureKind, field: &str, already: f64, value: f64) -> Result<()> {
    let total = already + value;
    match kind {
        MeasureKind::Count if total > f64::from(DAILY_COUNT_MAX) => Err(Error::invalid(
            field,
            format!(
                "with what is already logged that day this makes {total:.0}, more than the {DAILY_COUNT_MAX} a day allows"
            ),
        )),
        MeasureKind::Duration if total > DAY_MINUTES => Err(Error::invalid(
            field,
            format!(
                "with what is already logged that day this makes {:.1} hours, more than a day has",
                total / 60.0
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks the date of an entry against the client's `today`.
pub fn check_date(field: &str, date: NaiveDate, today: NaiveDate) -> Result<()> {
    if date > today {
        return Err(Error::invalid(
            field,
            "this day has not happened yet; log it on the day or afterwards",
        ));
    }
    let earliest = today - Days::new(MAX_DAYS_BACK);
    if date < earliest {
        return Err(Error::invalid(
            field,
            format!("entries may go back at most {MAX_DAYS_BACK} days (to {earliest})"),
        ));
    }
    Ok(())
}

/// The value of a day from its entries: the sum for counts and durations, the peak for an intensity.
pub fn day_value(kind: MeasureKind, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(if kind.sums() {
        values.iter().sum()
    } else {
        values.iter().copied().fold(f64::MIN, f64::max)
    })
}
