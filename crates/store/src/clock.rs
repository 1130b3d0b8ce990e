//! The one clock every rule that depends on "now" reads: late-cancellation windows, link expiry, lockouts,
//! escalation deadlines, the worker loop, audit stamps, "today" on every page.
//!
//! In production it is the system clock. A test sets it (`set`, `advance`) so that a scene written around a date
//! plays out the same on whatever day the suite runs. It is a process-wide offset rather than a value passed
//! down because "now" is read in some two hundred places, many of them repositories that see only a connection:
//! threading a handle through all of them would buy nothing but noise. The price is that tests which set it need
//! a process of their own, which cargo-nextest (the suite's runner) gives every test.
//!
//! TOTP codes are the one exception: they are checked against the wall clock, because the code comes from a
//! phone that reads the wall clock.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// How far this process's "now" is from the system clock, in microseconds (0 in production).
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);

/// Now, truncated to microseconds: PostgreSQL keeps microseconds and SQLite would keep nanoseconds, and both must
/// return the value that was written (the audit hash depends on it).
pub fn now_utc() -> DateTime<Utc> {
    let system = Utc::now();
    let shifted = system
        .checked_add_signed(Duration::microseconds(
            OFFSET_MICROS.load(Ordering::Relaxed),
        ))
        .unwrap_or(system);
    shifted.trunc_subsecs(6)
}

/// Moves this process's clock so that it reads `at` now, and runs on from there at the system clock's pace.
pub fn set(at: DateTime<Utc>) {
    let offset = (at - Utc::now()).num_microseconds().unwrap_or(0);
    OFFSET_MICROS.store(offset, Ordering::Relaxed);
}

/// Moves this process's clock forward (or back, for a negative `by`).
pub fn advance(by: Duration) {
    let by = by.num_microseconds().unwrap_or(0);
    OFFSET_MICROS.fetch_add(by, Ordering::Relaxed);
}

/// Back to the system clock.
pub fn reset() {
    OFFSET_MICROS.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_set_clock_reads_the_set_instant_and_runs_on() {
        let at: DateTime<Utc> = "2031-05-06T07:08:09Z".parse().unwrap();
        set(at);
        let read = now_utc();
        assert!(read >= at && read - at < Duration::seconds(5), "{read}");
        advance(Duration::days(2));
        let later = now_utc();
        assert!(
            later - at >= Duration::days(2)
                && later - at < Duration::days(2) + Duration::seconds(5)
        );
        reset();
        assert!((now_utc() - Utc::now()).num_seconds().abs() < 5);
    }

    #[test]
    fn now_keeps_microseconds_only() {
        assert_eq!(now_utc().timestamp_subsec_nanos() % 1000, 0);
    }
}
