//! The caseload's one-line view of a client's behaviour work: how well the diary was kept in the last complete
//! week, and how much homework is overdue.
//!
//! "Last complete week" is the ISO week before the client's current one, on the client's own calendar, so a
//! Monday-morning caseload is not judged on a week that has barely begun. Each active behaviour counts the days of
//! that week from its start on (a behaviour started on Thursday expects four days), so the figure reads as
//! "behaviour-days logged out of behaviour-days expected"; with one behaviour that is simply days.

use super::time::{iso_week_label, monday_of};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::collections::BTreeSet;

/// Shown wherever the caseload shows the figure.
pub const GLANCE_DEFINITION: &str = "Diary, last week: days with at least one entry in the last complete ISO week \
(Monday to Sunday on the client's clock), summed over the client's active behaviours, out of the days each was \
being logged that week. Overdue: homework still open after its due date.";

/// One active behaviour: when it was defined and the days it has at least one entry (days outside the week are
/// ignored, except that the earliest entry counts as the diary's start when it is earlier, as in the weekly
/// summaries: a paper diary copied in may begin before the behaviour was defined).
#[derive(Debug, Clone)]
pub struct LoggedBehaviour {
    pub starts_on: NaiveDate,
    pub logged: BTreeSet<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekLogging {
    /// "2026-W47".
    pub week: String,
    pub days_logged: u32,
    pub days_expected: u32,
    /// `None` when no behaviour was being logged that week yet (all started since).
    pub ratio: Option<f64>,
}

/// Logging over the ISO week before `today`'s; `None` without active behaviours.
pub fn last_week_logging(behaviours: &[LoggedBehaviour], today: NaiveDate) -> Option<WeekLogging> {
    if behaviours.is_empty() {
        return None;
    }
    let monday = monday_of(today) - Days::new(7);
    let (mut logged, mut expected) = (0u32, 0u32);
    for b in behaviours {
        let start = b
            .logged
            .first()
            .map_or(b.starts_on, |d| (*d).min(b.starts_on));
        for d in (0..7).map(|i| monday + Days::new(i)) {
            if d >= start {
                expected += 1;
                if b.logged.contains(&d) {
                    logged += 1;
                }
            }
        }
    }
    Some(WeekLogging {
        week: iso_week_label(monday),
        days_logged: logged,
        days_expected: expected,
        ratio: (expected > 0).then(|| f64::from(logged) / f64::from(expected)),
    })
}

/// Open homework whose due date is before `today` (due today is not yet overdue).
pub fn overdue(open_due_dates: &[NaiveDate], today: NaiveDate) -> u32 {
    open_due_dates.iter().filter(|d| **d < today).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn b(start: &str, days: &[&str]) -> LoggedBehaviour {
        LoggedBehaviour {
            starts_on: d(start),
            logged: days.iter().map(|s| d(s)).collect(),
        }
    }

    // 2026-11-26 is a Thursday in ISO week 48; the last complete week is W47, 16–22 November.
    const TODAY: &str = "2026-11-26";

    #[test]
    fn the_last_complete_week_is_the_iso_week_before_this_one() {
        let w = last_week_logging(
            &[b(
                "2026-01-01",
                &[
                    "2026-11-15",
                    "2026-11-16",
                    "2026-11-22",
                    "2026-11-23",
                    "2026-11-26",
                ],
            )],
            d(TODAY),
        )
        .unwrap();
        assert_eq!(w.week, "2026-W47");
        // Sunday the 15th is W46 and the 23rd is this week: only the 16th and 22nd count.
        assert_eq!((w.days_logged, w.days_expected), (2, 7));
        assert!((w.ratio.unwrap() - 2.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn on_a_monday_last_week_is_the_one_that_just_ended() {
        let w = last_week_logging(&[b("2026-01-01", &["2026-11-29"])], d("2026-11-30")).unwrap();
        assert_eq!(w.week, "2026-W48");
        assert_eq!((w.days_logged, w.days_expected), (1, 7));
    }

    #[test]
    fn a_behaviour_started_midweek_expects_only_its_days_and_behaviours_add_up() {
        let w = last_week_logging(
            &[
                b("2026-11-19", &["2026-11-19", "2026-11-20"]),
                b("2026-01-01", &["2026-11-16", "2026-11-17", "2026-11-18"]),
            ],
            d(TODAY),
        )
        .unwrap();
        // Thursday to Sunday is four days for the first, seven for the second.
        assert_eq!((w.days_logged, w.days_expected), (5, 11));
    }

    #[test]
    fn a_diary_started_this_week_has_no_ratio_yet_and_none_without_behaviours() {
        let w = last_week_logging(&[b("2026-11-24", &["2026-11-24"])], d(TODAY)).unwrap();
        assert_eq!((w.days_logged, w.days_expected, w.ratio), (0, 0, None));
        assert_eq!(last_week_logging(&[], d(TODAY)), None);
    }

    #[test]
    fn entries_copied_in_from_before_the_definition_start_the_diary_earlier() {
        let w =
            last_week_logging(&[b("2026-11-25", &["2026-11-10", "2026-11-18"])], d(TODAY)).unwrap();
        assert_eq!((w.days_logged, w.days_expected), (1, 7));
    }

    #[test]
    fn homework_due_today_is_not_yet_overdue() {
        let due = [d("2026-11-20"), d("2026-11-25"), d(TODAY), d("2026-12-01")];
        assert_eq!(overdue(&due, d(TODAY)), 2);
        assert_eq!(overdue(&[], d(TODAY)), 0);
    }
}
