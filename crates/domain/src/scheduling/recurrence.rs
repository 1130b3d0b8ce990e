//! Recurring series: an RFC 5545 RRULE anchored at a wall-clock start in the series' own zone.
//!
//! Expansion happens on the wall clock (the `rrule` crate runs over naive local times), and each occurrence is then
//! placed in the zone with the DST rules of `localtime`. So a weekly 17:00 session stays at 17:00 local across
//! daylight-saving changes, and its UTC instant moves by an hour, as the client expects.

use super::localtime::resolve_lenient;
use crate::error::{Error, Result};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::{Frequency, RRule, Unvalidated};

/// At most this many occurrences per series (ten years of weekly sessions).
pub const MAX_OCCURRENCES: usize = 520;

/// A validated rule, kept in its RFC 5545 text form for storage and calendar feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    text: String,
}

impl Rule {
    /// Parses and checks an RRULE: daily, weekly or monthly; ending by COUNT or UNTIL; no sub-daily parts
    /// (one session per occurrence).
    pub fn parse(raw: &str) -> Result<Rule> {
        let bad = |m: String| Error::invalid("rrule", m);
        let text = raw.trim().trim_start_matches("RRULE:").trim();
        if text.is_empty() {
            return Err(bad(
                "enter a recurrence rule such as FREQ=WEEKLY;COUNT=10".into()
            ));
        }
        let r: RRule<Unvalidated> = text.parse().map_err(|e| {
            bad(format!(
                "this is not a valid recurrence rule (RFC 5545 RRULE): {e}"
            ))
        })?;
        if !matches!(
            r.get_freq(),
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly
        ) {
            return Err(bad("a series repeats daily, weekly or monthly".into()));
        }
        if !(r.get_by_hour().is_empty()
            && r.get_by_minute().is_empty()
            && r.get_by_second().is_empty())
        {
            return Err(bad(
                "BYHOUR, BYMINUTE and BYSECOND are not supported: a series has one session a day"
                    .into(),
            ));
        }
        match (r.get_count(), r.get_until()) {
            (None, None) => {
                return Err(bad(
                    "say when the series ends, with COUNT=n or UNTIL=date".into()
                ));
            }
            (Some(0), _) => {
                return Err(bad(
                    "a series has at least one session (COUNT=0 books nothing)".into(),
                ));
            }
            (Some(c), _) if c as usize > MAX_OCCURRENCES => {
                return Err(bad(format!(
                    "a series has at most {MAX_OCCURRENCES} sessions"
                )));
            }
            _ => {}
        }
        if r.get_interval() == 0 {
            return Err(bad("INTERVAL is at least 1".into()));
        }
        Ok(Rule {
            text: r.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn unvalidated(&self) -> Result<RRule<Unvalidated>> {
        self.text
            .parse()
            .map_err(|e| Error::invalid("rrule", format!("{e}")))
    }
}

/// One occurrence of a series: its position, wall-clock start, and instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub index: u32,
    pub local: NaiveDateTime,
    pub start: DateTime<Utc>,
}

/// Every occurrence of `rule` starting at `start_local` in `tz`: at least one (a rule that never happens, such as
/// every 31 February, is refused, so no series is ever stored without a session and its audit entry), at most
/// `MAX_OCCURRENCES`.
pub fn expand(rule: &Rule, start_local: NaiveDateTime, tz: Tz) -> Result<Vec<Occurrence>> {
    // Run the rule on the wall clock: a fake UTC zone has no DST, so local times step exactly.
    let wall = |n: NaiveDateTime| rrule::Tz::UTC.from_utc_datetime(&n);
    let mut r = rule.unvalidated()?;
    if let Some(until) = r.get_until() {
        // UNTIL is an instant (RFC 5545 requires UTC with a zoned DTSTART); compare it on the wall clock.
        let until_local = until.with_timezone(&tz).naive_local();
        r = r.until(wall(until_local));
    }
    let set = r.build(wall(start_local)).map_err(|e| {
        Error::invalid(
            "rrule",
            format!("the rule does not fit the start time: {e}"),
        )
    })?;
    let result = set.all(MAX_OCCURRENCES as u16 + 1);
    if result.dates.is_empty() {
        return Err(Error::invalid(
            "rrule",
            "this rule gives no sessions from this start (check its days, months and end)",
        ));
    }
    if result.dates.len() > MAX_OCCURRENCES {
        return Err(Error::invalid(
            "rrule",
            format!("a series has at most {MAX_OCCURRENCES} sessions"),
        ));
    }
    Ok(result
        .dates
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let local = d.naive_utc();
            Occurrence {
                index: i as u32,
                local,
                start: resolve_lenient(tz, local),
            }
        })
        .collect())
}

/// The occurrences whose sessions overlap `[from, to)`, given each session's length.
pub fn between(
    occurrences: &[Occurrence],
    length: Duration,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Occurrence> {
    occurrences
        .iter()
        .copied()
        .filter(|o| o.start < to && o.start + length > from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate, Timelike, Weekday};
    use proptest::prelude::*;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .unwrap_or_default()
    }

    fn rule(s: &str) -> Rule {
        Rule::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn weekly_series_keeps_local_time_across_dst() {
        // Tuesdays 17:00 in New York, across the 1 November 2026 fall-back.
        let occ = expand(
            &rule("FREQ=WEEKLY;COUNT=4"),
            local(2026, 10, 20, 17, 0),
            chrono_tz::America::New_York,
        )
        .unwrap();
        assert_eq!(occ.len(), 4);
        for o in &occ {
            assert_eq!(o.local.hour(), 17);
            assert_eq!(
                o.start.with_timezone(&chrono_tz::America::New_York).hour(),
                17
            );
        }
        // EDT (UTC-4) before, EST (UTC-5) after: the instant moves by an hour.
        assert_eq!(occ[1].start.hour(), 21);
        assert_eq!(occ[2].start.hour(), 22);
    }

    #[test]
    fn every_other_week_and_monthly_by_weekday() {
        let occ = expand(
            &rule("FREQ=WEEKLY;INTERVAL=2;COUNT=3"),
            local(2026, 1, 5, 9, 0),
            chrono_tz::Europe::Berlin,
        )
        .unwrap();
        let days: Vec<u32> = occ.iter().map(|o| o.local.day()).collect();
        assert_eq!(days, vec![5, 19, 2]);
        // Second Thursday of each month.
        let occ = expand(
            &rule("FREQ=MONTHLY;BYDAY=2TH;COUNT=3"),
            local(2026, 1, 8, 18, 0),
            chrono_tz::Europe::Berlin,
        )
        .unwrap();
        for o in &occ {
            assert_eq!(o.local.weekday(), Weekday::Thu);
            assert!((8..=14).contains(&o.local.day()));
        }
    }

    #[test]
    fn until_is_an_instant_compared_on_the_wall_clock() {
        // UNTIL 2026-02-02 16:30 UTC is 17:30 in Berlin: the 17:00 session that day is included.
        let occ = expand(
            &rule("FREQ=WEEKLY;UNTIL=20260202T163000Z"),
            local(2026, 1, 12, 17, 0),
            chrono_tz::Europe::Berlin,
        )
        .unwrap();
        assert_eq!(occ.len(), 4);
        assert_eq!(occ.last().map(|o| o.local.day()), Some(2));
    }

    #[test]
    fn bad_rules_are_refused_with_reasons() {
        for (raw, needle) in [
            ("", "enter a recurrence rule"),
            ("FREQ=WEEKLY", "say when the series ends"),
            ("FREQ=HOURLY;COUNT=3", "daily, weekly or monthly"),
            ("FREQ=WEEKLY;COUNT=3;BYHOUR=9,17", "one session a day"),
            ("FREQ=WEEKLY;COUNT=9999", "at most"),
            ("FREQ=SOMETIMES", "not a valid recurrence rule"),
            ("FREQ=WEEKLY;COUNT=0", "at least one session"),
            ("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "INTERVAL"),
        ] {
            match Rule::parse(raw) {
                Err(Error::Validation(f)) => {
                    assert!(f[0].message.contains(needle), "{raw}: {}", f[0].message)
                }
                other => panic!("{raw} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_rule_that_never_happens_is_refused() {
        // Every 31 February; a series that ended before it started.
        for raw in [
            "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31;COUNT=3",
            "FREQ=WEEKLY;UNTIL=20200101T000000Z",
        ] {
            match expand(
                &rule(raw),
                local(2026, 1, 12, 17, 0),
                chrono_tz::Europe::Berlin,
            ) {
                Err(Error::Validation(f)) => assert_eq!(f[0].field, "rrule", "{raw}"),
                other => panic!("{raw} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_series_at_a_skipped_time_moves_past_the_gap() {
        // Sundays 02:30 in New York: on 8 March 2026 that time does not exist and is read as 03:30 EDT.
        let occ = expand(
            &rule("FREQ=WEEKLY;COUNT=2"),
            local(2026, 3, 1, 2, 30),
            chrono_tz::America::New_York,
        )
        .unwrap();
        assert_eq!(
            occ[1]
                .start
                .with_timezone(&chrono_tz::America::New_York)
                .hour(),
            3
        );
    }

    proptest! {
        /// Whatever the zone, start and interval, a weekly series stays on its weekday and wall-clock time (except
        /// where the clock skips that time) and its instants strictly increase.
        #[test]
        fn weekly_series_are_regular(
            tz_i in 0usize..6, day in 0i64..365, hour in 6u32..22, minute in prop_oneof![Just(0u32), Just(30u32)],
            interval in 1u16..4, count in 1u32..60,
        ) {
            let zones = [chrono_tz::America::New_York, chrono_tz::Europe::London, chrono_tz::Europe::Berlin,
                chrono_tz::Australia::Sydney, chrono_tz::America::Santiago, chrono_tz::Asia::Kolkata];
            let tz = zones[tz_i];
            let start = local(2026, 1, 1, hour, minute) + Duration::days(day);
            let occ = expand(&rule(&format!("FREQ=WEEKLY;INTERVAL={interval};COUNT={count}")), start, tz).unwrap();
            prop_assert_eq!(occ.len(), count as usize);
            for w in occ.windows(2) {
                prop_assert!(w[1].start > w[0].start);
                prop_assert_eq!(w[1].local - w[0].local, Duration::weeks(interval as i64));
            }
            for o in &occ {
                let back = o.start.with_timezone(&tz).naive_local();
                prop_assert_eq!(back.weekday(), start.weekday());
                prop_assert_eq!(back, o.local, "wall clock kept (6:00-22:00 is never inside a DST gap)");
            }
        }
    }
}
