//! JSON for the times in appointment views, written without `core::fmt`.
//!
//! A clinic's week is 1,500 appointments with four times each, and chrono's own serialisation (which formats
//! through `collect_str`, character by character) was a measurable share of the week view's response. The output
//! here is exactly chrono's: RFC 3339 with `Z` for instants, ISO 8601 for wall-clock times. Times with fractional
//! seconds, and years outside 0..=9999, are left to chrono.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use serde::{Serialize, Serializer};

fn digits(out: &mut [u8], mut v: u32) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// `YYYY-MM-DDTHH:MM:SS` into the first 19 bytes, or `None` when chrono must write it.
fn wall_clock(t: &NaiveDateTime, out: &mut [u8; 20]) -> Option<()> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    if t.nanosecond() != 0 {
        return None;
    }
    digits(&mut out[0..4], year);
    out[4] = b'-';
    digits(&mut out[5..7], t.month());
    out[7] = b'-';
    digits(&mut out[8..10], t.day());
    out[10] = b'T';
    digits(&mut out[11..13], t.hour());
    out[13] = b':';
    digits(&mut out[14..16], t.minute());
    out[16] = b':';
    digits(&mut out[17..19], t.second());
    Some(())
}

pub(crate) fn instant<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut out = [0u8; 20];
    match wall_clock(&t.naive_utc(), &mut out) {
        Some(()) => {
            out[19] = b'Z';
            s.serialize_str(std::str::from_utf8(&out).unwrap_or_default())
        }
        None => t.serialize(s),
    }
}

pub(crate) fn wall<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    let mut out = [0u8; 20];
    match wall_clock(t, &mut out) {
        Some(()) => s.serialize_str(std::str::from_utf8(&out[..19]).unwrap_or_default()),
        None => t.serialize(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "instant")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "wall")]
        local: NaiveDateTime,
    }

    #[derive(Serialize)]
    struct Chrono {
        at: DateTime<Utc>,
        local: NaiveDateTime,
    }

    #[test]
    fn times_are_written_exactly_as_chrono_writes_them() {
        let cases = [
            Utc.with_ymd_and_hms(2027, 1, 4, 8, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 7, 9).unwrap()
                + chrono::Duration::microseconds(120_500),
            Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap() + chrono::Duration::milliseconds(7),
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
            NaiveDate::from_ymd_opt(33, 2, 3)
                .unwrap()
                .and_hms_opt(4, 5, 6)
                .unwrap()
                .and_utc(),
        ];
        for at in cases {
            let local = at.naive_utc() + chrono::Duration::hours(1);
            assert_eq!(
                serde_json::to_string(&Fast { at, local }).unwrap(),
                serde_json::to_string(&Chrono { at, local }).unwrap(),
                "{at:?}"
            );
        }
    }
}
