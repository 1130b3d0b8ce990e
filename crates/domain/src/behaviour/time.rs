//! Days and weeks in the client's time zone. A log entry belongs to the calendar date on the client's own wall
//! clock, so a drink logged at 00:30 in Berlin is Monday's even though it is still Sunday in UTC; and a week is
//! the ISO week (Monday 00:00 to the next Monday 00:00 local), which lasts 167 or 169 hours when the clocks change.

use crate::scheduling::localtime::resolve_lenient;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;

/// The client's calendar date at instant `at`.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The Monday that starts the ISO week of `d`.
pub fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// "2027-W09": the ISO week-numbering year and week of `d` (1 January may belong to the previous year's week).
pub fn iso_week_label(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The instants that bound the ISO week starting on `monday` in `tz`: from its first local midnight up to (not
/// including) the next Monday's. A midnight skipped by a DST jump is read with the offset before the gap.
pub fn week_utc_range(monday: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = resolve_lenient(tz, monday.and_time(chrono::NaiveTime::MIN));
    let next = monday + Days::new(7);
    let end = resolve_lenient(tz, next.and_time(chrono::NaiveTime::MIN));
    (start, end)
}
