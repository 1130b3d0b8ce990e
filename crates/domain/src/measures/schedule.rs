//! When an assigned instrument is sent: once, or every N days (PHQ-9 weekly, GAD-7 fortnightly, …).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The longest repeat we accept: a quarterly review is the slowest schedule in routine outcome monitoring.
pub const MAX_EVERY_DAYS: u32 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Schedule {
    Once,
    EveryDays { days: u32 },
}

impl Schedule {
    /// From the stored or submitted pair (`once` | `every_days`, N).
    pub fn parse(kind: &str, every_days: Option<i64>) -> Result<Schedule> {
        match (kind.trim(), every_days) {
            ("once", _) => Ok(Schedule::Once),
            ("every_days", Some(n)) if (1..=i64::from(MAX_EVERY_DAYS)).contains(&n) => {
                Ok(Schedule::EveryDays { days: n as u32 })
            }
            ("every_days", _) => Err(Error::invalid(
                "every_days",
                format!("a number of days between 1 and {MAX_EVERY_DAYS}"),
            )),
            _ => Err(Error::invalid("schedule", "either 'once' or 'every_days'")),
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Schedule::Once => "once",
            Schedule::EveryDays { .. } => "every_days",
        }
    }

    pub fn every_days(self) -> Option<u32> {
        match self {
            Schedule::Once => None,
            Schedule::EveryDays { days } => Some(days),
        }
    }

    /// The date the following link is due after one went out on `sent_on`; none for a one-off.
    pub fn next_after(self, sent_on: NaiveDate) -> Option<NaiveDate> {
        match self {
            Schedule::Once => None,
            Schedule::EveryDays { days } => sent_on.checked_add_days(Days::new(u64::from(days))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_n_days_is_bounded_and_advances_by_n() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 30).unwrap_or_default();
        let s = Schedule::parse("every_days", Some(14)).ok();
        assert_eq!(s, Some(Schedule::EveryDays { days: 14 }));
        assert_eq!(
            s.and_then(|s| s.next_after(d)),
            NaiveDate::from_ymd_opt(2027, 1, 13)
        );
        assert_eq!(Schedule::Once.next_after(d), None);
        for bad in [None, Some(0), Some(366)] {
            assert!(Schedule::parse("every_days", bad).is_err(), "{bad:?}");
        }
        assert!(Schedule::parse("weekly", None).is_err());
    }
}
