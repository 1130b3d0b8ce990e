//! When a clinician works: weekly blocks on their own wall clock, plus dated exceptions (time off, extra hours),
//! turned into UTC intervals for a range.

use super::interval::{Interval, merge, subtract};
use super::localtime::resolve_lenient;
use crate::clinician::WorkingBlock;
use chrono::Datelike;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// Holiday, illness, training: not available even inside weekly hours.
    TimeOff,
    /// Available outside the weekly hours (an evening clinic, a Saturday).
    ExtraHours,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityException {
    pub kind: ExceptionKind,
    pub interval: Interval,
}

/// Working time within `range`: weekly blocks placed on each local date (DST-aware), plus extra hours, minus time
/// off. Sorted and merged.
pub fn working_time(
    blocks: &[WorkingBlock],
    tz: Tz,
    range: Interval,
    exceptions: &[AvailabilityException],
) -> Vec<Interval> {
    // A day either side for the zone's offset; saturating, so a range at the end of time cannot overflow.
    let first = range.start.with_timezone(&tz).date_naive();
    let first = first.pred_opt().unwrap_or(first);
    let last = range.end.with_timezone(&tz).date_naive();
    let last = last.succ_opt().unwrap_or(last);
    let mut work = Vec::new();
    let mut day = first;
    while day <= last {
        for b in blocks.iter().filter(|b| b.weekday == day.weekday()) {
            let start = resolve_lenient(tz, day.and_time(b.start));
            let end = resolve_lenient(tz, day.and_time(b.end));
            if let Some(i) = Interval::new(start, end)
                .ok()
                .and_then(|i| i.intersection(&range))
            {
                work.push(i);
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    for e in exceptions
        .iter()
        .filter(|e| e.kind == ExceptionKind::ExtraHours)
    {
        if let Some(i) = e.interval.intersection(&range) {
            work.push(i);
        }
    }
    let off: Vec<Interval> = exceptions
        .iter()
        .filter(|e| e.kind == ExceptionKind::TimeOff)
        .map(|e| e.interval)
        .collect();
    subtract(merge(work), off)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveTime, TimeZone, Timelike, Utc, Weekday};

    fn block(d: Weekday, h1: u32, h2: u32) -> WorkingBlock {
        WorkingBlock::anywhere(
            d,
            NaiveTime::from_hms_opt(h1, 0, 0).unwrap_or_default(),
            NaiveTime::from_hms_opt(h2, 0, 0).unwrap_or_default(),
        )
    }

    fn range(y: i32, m: u32, d: u32, days: i64) -> Interval {
        let s = Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
        Interval {
            start: s,
            end: s + Duration::days(days),
        }
    }

    #[test]
    fn working_time_at_the_end_of_time_does_not_overflow() {
        let end = chrono::DateTime::<Utc>::MAX_UTC;
        let range = Interval {
            start: end - Duration::days(3),
            end,
        };
        let all: Vec<WorkingBlock> = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .map(|d| block(d, 0, 23))
        .collect();
        let _ = working_time(&all, chrono_tz::UTC, range, &[]);
    }

    #[test]
    fn hours_follow_the_local_clock_across_dst() {
        // Mondays 09:00-17:00 in London; 2026-03-30 is the first Monday of BST.
        let w = working_time(
            &[block(Weekday::Mon, 9, 17)],
            chrono_tz::Europe::London,
            range(2026, 3, 23, 14),
            &[],
        );
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].start.hour(), 9); // GMT
        assert_eq!(w[1].start.hour(), 8); // BST: 09:00 local is 08:00 UTC
        assert_eq!(w[1].duration(), Duration::hours(8));
    }

    #[test]
    fn time_off_removes_and_extra_hours_add() {
        let tz = chrono_tz::Europe::Berlin;
        let r = range(2026, 6, 1, 7); // Mon 1 June to Mon 8 June
        let blocks = [block(Weekday::Mon, 9, 17), block(Weekday::Tue, 9, 17)];
        let off = AvailabilityException {
            kind: ExceptionKind::TimeOff,
            interval: Interval {
                start: Utc.with_ymd_and_hms(2026, 6, 2, 0, 0, 0).unwrap(),
                end: Utc.with_ymd_and_hms(2026, 6, 3, 0, 0, 0).unwrap(),
            },
        };
        let extra = AvailabilityException {
            kind: ExceptionKind::ExtraHours,
            interval: Interval {
                start: Utc.with_ymd_and_hms(2026, 6, 6, 8, 0, 0).unwrap(),
                end: Utc.with_ymd_and_hms(2026, 6, 6, 12, 0, 0).unwrap(),
            },
        };
        let w = working_time(&blocks, tz, r, &[off, extra]);
        let total: i64 = w.iter().map(|i| i.duration().num_hours()).sum();
        assert_eq!(
            total,
            8 + 4,
            "Monday and the Saturday morning; Tuesday is off"
        );
    }

    #[test]
    fn the_range_clips_the_hours() {
        let tz = chrono_tz::UTC;
        let s = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let w = working_time(
            &[block(Weekday::Mon, 9, 17)],
            tz,
            Interval {
                start: s,
                end: s + Duration::hours(2),
            },
            &[],
        );
        assert_eq!(
            w,
            vec![Interval {
                start: s,
                end: s + Duration::hours(2)
            }]
        );
    }
}
