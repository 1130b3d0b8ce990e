//! The on-call rota: who answers for the clinic at a given instant.
//!
//! A shift is one active clinician from a start to an end instant, entered as wall-clock times in an IANA zone and
//! stored in UTC. Its edges follow the booking rules of `scheduling::localtime`: a time skipped by spring-forward
//! is refused naming the field, a time in the repeated fall-back hour is its first occurrence. A shift covers
//! `[start, end)`; the same person's shifts never overlap, while two people may be on call at once.

use crate::error::{Error, Problems, Result};
use crate::role::Role;
use crate::scheduling::localtime::resolve_strict;
use crate::validate;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// The longest shift: a week, so a rota is planned in reviewable pieces rather than "on call forever".
pub const MAX_SHIFT_DAYS: i64 = 7;

/// A shift's times, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftTimes {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub zone: Tz,
}

impl ShiftTimes {
    pub fn length(&self) -> Duration {
        self.end - self.start
    }

    /// Start inclusive, end exclusive, so a hand-over at 08:00 has exactly one shift covering 08:00.
    pub fn covers(&self, t: DateTime<Utc>) -> bool {
        covers(self.start, self.end, t)
    }
}

pub fn covers(start: DateTime<Utc>, end: DateTime<Utc>, t: DateTime<Utc>) -> bool {
    start <= t && t < end
}

/// Two half-open intervals share an instant.
pub fn overlaps(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Reads a shift from the form or API fields `start`, `end` (local `YYYY-MM-DDTHH:MM`) and `time_zone`, reporting
/// every problem at once under its field name.
pub fn shift_times(start: &str, end: &str, time_zone: &str) -> Result<ShiftTimes> {
    let mut p = Problems::new();
    let zone = p.take(validate::time_zone("time_zone", time_zone));
    let start_local = p.take(validate::local_datetime("start", start));
    let end_local = p.take(validate::local_datetime("end", end));
    let (Some(zone), Some(start_local), Some(end_local)) = (zone, start_local, end_local) else {
        p.finish()?;
        return Err(Error::internal("validation passed without values"));
    };
    let start = p.take(resolve_strict(zone, start_local, "start"));
    let end = p.take(resolve_strict(zone, end_local, "end"));
    p.finish()?;
    let (Some(start), Some(end)) = (start, end) else {
        return Err(Error::internal("validation passed without values"));
    };
    if end <= start {
        return Err(Error::invalid("end", "the shift must end after it starts"));
    }
    if end - start > Duration::days(MAX_SHIFT_DAYS) {
        return Err(Error::invalid(
            "end",
            format!("a shift lasts at most {MAX_SHIFT_DAYS} days; split a longer one"),
        ));
    }
    Ok(ShiftTimes { start, end, zone })
}

/// Who may be put on call: an enabled account holding a clinical role (clinician or supervisor).
pub fn check_on_call_person(roles: &[Role], disabled: bool) -> Result<()> {
    if disabled {
        return Err(Error::invalid(
            "user_id",
            "this account is disabled; only active clinicians can be on call",
        ));
    }
    if !roles.iter().any(|r| r.is_clinical()) {
        return Err(Error::invalid("user_id", "only clinicians can be on call"));
    }
    Ok(())
}

/// Refuses a shift that overlaps one of the same person's `existing` shifts.
pub fn check_no_overlap(
    new: &ShiftTimes,
    existing: impl IntoIterator<Item = (DateTime<Utc>, DateTime<Utc>)>,
) -> Result<()> {
    match existing
        .into_iter()
        .find(|e| overlaps((new.start, new.end), *e))
    {
        Some((s, e)) => Err(Error::invalid(
            "start",
            format!(
                "this person is already on call from {} to {} UTC",
                s.format("%Y-%m-%d %H:%M"),
                e.format("%Y-%m-%d %H:%M")
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn field(e: Result<ShiftTimes>) -> String {
        match e {
            Err(Error::Validation(f)) => f[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_shift_across_the_autumn_change_lasts_an_hour_longer() {
        // Berlin falls back at 03:00 CEST on Sunday 25 October 2026.
        let s = shift_times("2026-10-24T18:00", "2026-10-25T08:00", "Europe/Berlin").unwrap();
        assert_eq!(s.length(), Duration::hours(15));
        assert_eq!(s.start, utc(2026, 10, 24, 16, 0));
        assert_eq!(s.end, utc(2026, 10, 25, 7, 0));
    }

    #[test]
    fn a_shift_across_the_spring_change_lasts_an_hour_less() {
        let s = shift_times("2026-03-28T18:00", "2026-03-29T08:00", "Europe/Berlin").unwrap();
        assert_eq!(s.length(), Duration::hours(13));
    }

    #[test]
    fn an_edge_in_the_gap_is_refused_naming_the_field() {
        let e = shift_times("2026-03-28T20:00", "2026-03-29T02:30", "Europe/Berlin");
        assert_eq!(field(e), "end");
        let e = shift_times("2026-03-29T02:15", "2026-03-29T08:00", "Europe/Berlin");
        assert_eq!(field(e), "start");
    }

    #[test]
    fn the_repeated_hour_is_its_first_occurrence() {
        // 02:30 happens twice; the first is still CEST (UTC+2).
        let s = shift_times("2026-10-25T02:30", "2026-10-25T08:00", "Europe/Berlin").unwrap();
        assert_eq!(s.start, utc(2026, 10, 25, 0, 30));
    }

    #[test]
    fn end_after_start_and_at_most_a_week() {
        assert_eq!(
            field(shift_times("2026-06-01T08:00", "2026-06-01T08:00", "UTC")),
            "end"
        );
        assert_eq!(
            field(shift_times("2026-06-02T08:00", "2026-06-01T08:00", "UTC")),
            "end"
        );
        assert!(shift_times("2026-06-01T08:00", "2026-06-08T08:00", "UTC").is_ok());
        assert_eq!(
            field(shift_times("2026-06-01T08:00", "2026-06-08T08:01", "UTC")),
            "end"
        );
    }

    #[test]
    fn bad_fields_are_each_named() {
        match shift_times("soon", "later", "Mars/Olympus") {
            Err(Error::Validation(f)) => {
                let names: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(names, ["time_zone", "start", "end"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn coverage_is_start_inclusive_end_exclusive() {
        let s = shift_times("2026-06-01T08:00", "2026-06-02T08:00", "UTC").unwrap();
        assert!(s.covers(utc(2026, 6, 1, 8, 0)));
        assert!(s.covers(utc(2026, 6, 2, 7, 59)));
        assert!(!s.covers(utc(2026, 6, 2, 8, 0)));
        assert!(!s.covers(utc(2026, 6, 1, 7, 59)));
    }

    #[test]
    fn the_same_persons_shifts_may_touch_but_not_overlap() {
        let s = shift_times("2026-06-01T08:00", "2026-06-02T08:00", "UTC").unwrap();
        let before = (utc(2026, 5, 31, 8, 0), utc(2026, 6, 1, 8, 0));
        let after = (utc(2026, 6, 2, 8, 0), utc(2026, 6, 3, 8, 0));
        assert!(check_no_overlap(&s, [before, after]).is_ok());
        let clash = (utc(2026, 6, 2, 7, 0), utc(2026, 6, 3, 8, 0));
        assert!(matches!(
            check_no_overlap(&s, [before, clash]),
            Err(Error::Validation(f)) if f[0].field == "start"
        ));
        let inside = (utc(2026, 6, 1, 12, 0), utc(2026, 6, 1, 13, 0));
        assert!(check_no_overlap(&s, [inside]).is_err());
    }

    #[test]
    fn only_active_clinicians_go_on_call() {
        assert!(check_on_call_person(&[Role::Clinician], false).is_ok());
        assert!(check_on_call_person(&[Role::Supervisor], false).is_ok());
        assert!(check_on_call_person(&[Role::Clinician], true).is_err());
        assert!(check_on_call_person(&[Role::Scheduler, Role::Admin], false).is_err());
        assert!(check_on_call_person(&[], false).is_err());
    }
}
