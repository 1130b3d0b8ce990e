//! Wall-clock times in a zone, and what we do when the clock jumps.
//!
//! The rules (RFC 5545 §3.3.5, which calendar feeds must agree with):
//! - a time in the repeated fall-back hour means its **first** occurrence (still daylight time);
//! - a time skipped by spring-forward does not exist: a single booking there is refused; inside a recurring series
//!   (and for working hours) it is read with the offset before the gap, so 02:30 becomes 03:30.

use crate::error::{Error, Result};
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Resolves a wall-clock time for a single booking: refuses a time that does not exist.
pub fn resolve_strict(tz: Tz, local: NaiveDateTime, field: &str) -> Result<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(Error::invalid(
            field,
            format!(
                "{} does not exist in {} (the clocks go forward that night); choose another time",
                local.format("%Y-%m-%d %H:%M"),
                tz.name()
            ),
        )),
    }
}

/// Resolves a wall-clock time that must map somewhere (a series occurrence, a working-hours edge): a skipped time
/// is read with the UTC offset in force before the gap.
pub fn resolve_lenient(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The offset before the gap is the one an hour earlier (no zone jumps by more than that twice).
            let before = local
                .checked_sub_signed(chrono::Duration::hours(3))
                .unwrap_or(local);
            let offset = match tz.from_local_datetime(&before) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.offset().fix(),
                LocalResult::None => Utc.fix(),
            };
            let utc = local
                .checked_sub_signed(chrono::Duration::seconds(offset.local_minus_utc().into()))
                .unwrap_or(local);
            DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc)
        }
    }
}

use chrono::Offset;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .unwrap_or_default()
    }

    #[test]
    fn a_skipped_time_is_refused_for_a_booking() {
        // Berlin springs forward at 02:00 on 29 March 2026.
        let e = resolve_strict(
            chrono_tz::Europe::Berlin,
            local(2026, 3, 29, 2, 30),
            "start",
        );
        assert!(
            matches!(e, Err(Error::Validation(ref f)) if f[0].field == "start" && f[0].message.contains("does not exist"))
        );
    }

    #[test]
    fn the_repeated_hour_means_its_first_occurrence() {
        // New York falls back at 02:00 on 1 November 2026: 01:30 happens twice; we take EDT (UTC-4).
        let t = resolve_strict(
            chrono_tz::America::New_York,
            local(2026, 11, 1, 1, 30),
            "start",
        )
        .unwrap_or_default();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap());
    }

    #[test]
    fn a_skipped_time_in_a_series_uses_the_offset_before_the_gap() {
        // 02:30 on spring-forward day in New York (EST, UTC-5) is read as 07:30 UTC, i.e. 03:30 EDT.
        let t = resolve_lenient(chrono_tz::America::New_York, local(2026, 3, 8, 2, 30));
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap());
    }

    #[test]
    fn ordinary_times_are_exact() {
        let t = resolve_strict(
            chrono_tz::Australia::Sydney,
            local(2026, 6, 1, 9, 0),
            "start",
        )
        .unwrap_or_default();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 5, 31, 23, 0, 0).unwrap());
    }
}
