//! The one range of dates and times the API accepts, and the window a booking may start in.
//!
//! chrono represents years up to ±262,143, PostgreSQL's `timestamptz` only to 294,276 AD, and SQLite compares our
//! RFC 3339 text, which sorts correctly only for four-digit years. A date outside a plausible range is therefore
//! never just odd: arithmetic on it panics, one database refuses it, the other misorders it (four overlapping
//! bookings near 9999-12-31 were all accepted). So every date is checked here as it is parsed, and everything after
//! can add days and buffers without overflowing: 1900-01-01 … 2200-12-31 for any date (clinical dates such as dates
//! of birth and service dates, range bounds), and today − 1 year … today + 5 years for a booking's start.

use crate::error::{Error, Result};
use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, Utc};

/// The earliest date accepted anywhere (dates of birth of the oldest clients, old records being entered).
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The latest date accepted anywhere (plan reviews, series ends and range bounds stay well inside it).
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// How far back a booking may start: entering a session that already took place is routine, a year is plenty.
pub const BOOKING_MONTHS_BACK: u32 = 12;

/// How far ahead a booking may start.
pub const BOOKING_MONTHS_AHEAD: u32 = 60;

/// A date inside `FIRST_DATE ..= LAST_DATE`, or a 422 naming `field`.
pub fn in_range(field: &str, d: NaiveDate) -> Result<NaiveDate> {
    if (FIRST_DATE..=LAST_DATE).contains(&d) {
        Ok(d)
    } else {
        Err(Error::invalid(
            field,
            format!("use a date between {FIRST_DATE} and {LAST_DATE}"),
        ))
    }
}

/// A wall-clock time whose date is in range.
pub fn local_in_range(field: &str, t: NaiveDateTime) -> Result<NaiveDateTime> {
    in_range(field, t.date()).map(|_| t)
}

/// An instant whose (UTC) date is in range.
pub fn instant_in_range(field: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>> {
    in_range(field, t.date_naive()).map(|_| t)
}

/// The first and last day a booking made on `today` may start on.
pub fn booking_window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today
        .checked_sub_months(Months::new(BOOKING_MONTHS_BACK))
        .unwrap_or(FIRST_DATE);
    let last = today
        .checked_add_months(Months::new(BOOKING_MONTHS_AHEAD))
        .unwrap_or(LAST_DATE);
    (first.max(FIRST_DATE), last.min(LAST_DATE))
}

/// A booking's start (its wall-clock date) within a year before and five years after `today`.
pub fn booking_start(field: &str, start: NaiveDateTime, today: NaiveDate) -> Result<NaiveDateTime> {
    let (first, last) = booking_window(today);
    if (first..=last).contains(&start.date()) {
        Ok(start)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "a session starts between {first} and {last} (at most a year back and five years ahead)"
            ),
        ))
    }
}

/// A count such as a number of days, within `min ..= max`, or a 422 naming `field`.
pub fn count(field: &str, n: i64, min: i64, max: i64) -> Result<i64> {
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(Error::invalid(
            field,
            format!("use a number between {min} and {max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Duration, NaiveTime};
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn field_of(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(Error::Validation(f)) => f[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_range_is_inclusive_and_names_the_field() {
        assert!(in_range("x", d(1900, 1, 1)).is_ok());
        assert!(in_range("x", d(2200, 12, 31)).is_ok());
        assert_eq!(
            field_of(in_range("service_date", d(1899, 12, 31))),
            "service_date"
        );
        assert_eq!(field_of(in_range("to", d(2201, 1, 1))), "to");
        assert!(in_range("x", NaiveDate::MAX).is_err());
        assert!(in_range("x", NaiveDate::MIN).is_err());
        assert!(instant_in_range("from", DateTime::<Utc>::MAX_UTC).is_err());
    }

    #[test]
    fn bookings_start_within_a_year_back_and_five_years_ahead() {
        let today = d(2026, 11, 26);
        let at = |y, m, day| d(y, m, day).and_time(NaiveTime::MIN);
        assert!(booking_start("start", at(2025, 11, 26), today).is_ok());
        assert!(booking_start("start", at(2031, 11, 26), today).is_ok());
        assert_eq!(
            field_of(booking_start("start", at(2025, 11, 25), today)),
            "start"
        );
        assert!(booking_start("start", at(2031, 11, 27), today).is_err());
        assert!(booking_start("start", at(9999, 12, 31), today).is_err());
        assert!(booking_start("start", at(0, 1, 1), today).is_err());
    }

    #[test]
    fn counts_are_bounded() {
        assert_eq!(count("days", 62, 1, 62).ok(), Some(62));
        assert_eq!(field_of(count("days", 0, 1, 62)), "days");
        assert!(count("days", i64::MAX, 1, 62).is_err());
        assert!(count("days", i64::MIN, 1, 62).is_err());
    }

    proptest! {
        /// Whatever day chrono can represent: accepted only inside the range, and an accepted date leaves room
        /// for any arithmetic a use case does (a series, buffers, a range of days) without overflowing.
        #[test]
        fn accepted_dates_leave_room_for_arithmetic(days in i64::from(NaiveDate::MIN.num_days_from_ce())..=i64::from(NaiveDate::MAX.num_days_from_ce())) {
            let Some(day) = NaiveDate::from_num_days_from_ce_opt(days as i32) else { return Ok(()) };
            let ok = in_range("d", day).is_ok();
            prop_assert_eq!(ok, (FIRST_DATE..=LAST_DATE).contains(&day));
            if ok {
                let t = day.and_time(NaiveTime::MIN).and_utc();
                prop_assert!(t.checked_add_signed(Duration::days(365 * 100)).is_some());
                prop_assert!(t.checked_sub_signed(Duration::days(365 * 100)).is_some());
            }
        }

        /// The booking window always lies inside the general range and around today.
        #[test]
        fn the_booking_window_is_inside_the_range(days in 0i64..200_000, offset in -4000i64..4000) {
            let today = FIRST_DATE + Duration::days(days % (LAST_DATE - FIRST_DATE).num_days());
            let (first, last) = booking_window(today);
            prop_assert!(FIRST_DATE <= first && first <= today && today <= last && last <= LAST_DATE);
            let start = (today + Duration::days(offset)).and_time(NaiveTime::MIN);
            let ok = booking_start("start", start, today).is_ok();
            prop_assert_eq!(ok, first <= start.date() && start.date() <= last);
        }
    }
}
