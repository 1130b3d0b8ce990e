//! Half-open UTC intervals `[start, end)` and the set operations availability and conflicts need.

use crate::error::{Error, Result};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    /// An interval that ends after it starts; `field` names the end for the error message.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self> {
        if end <= start {
            return Err(Error::invalid("end", "the end must be after the start"));
        }
        Ok(Interval { start, end })
    }

    /// For callers that already know `end > start` (computed from a positive duration).
    pub fn from_duration(start: DateTime<Utc>, length: Duration) -> Self {
        Interval {
            start,
            end: shifted(start, length.max(Duration::seconds(1))),
        }
    }

    pub fn duration(&self) -> Duration {
        self.end - self.start
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Widened by buffers before and after (travel, notes, a breath between clients). Saturates at the ends of
    /// time rather than overflowing: inputs are range-checked where they are parsed (`dates`), but a panic here
    /// once stopped every booking (it ran in the group-commit writer), so this stays total whatever it is given.
    pub fn padded(&self, before: Duration, after: Duration) -> Interval {
        Interval {
            start: shifted(self.start, -before),
            end: shifted(self.end, after),
        }
    }

    pub fn intersection(&self, other: &Interval) -> Option<Interval> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (end > start).then_some(Interval { start, end })
    }
}

/// `t + d`, or the first or last representable instant when that would overflow.
pub fn shifted(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// Sorts and merges overlapping or touching intervals.
pub fn merge(mut v: Vec<Interval>) -> Vec<Interval> {
    v.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(v.len());
    for i in v {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

/// `free` minus `busy`; both may be unsorted. The result is sorted and merged.
pub fn subtract(free: Vec<Interval>, busy: Vec<Interval>) -> Vec<Interval> {
    let busy = merge(busy);
    let mut out = Vec::new();
    for f in merge(free) {
        let mut cur = f.start;
        for b in busy.iter().filter(|b| b.overlaps(&f)) {
            if b.start > cur {
                out.push(Interval {
                    start: cur,
                    end: b.start,
                });
            }
            cur = cur.max(b.end);
        }
        if cur < f.end {
            out.push(Interval {
                start: cur,
                end: f.end,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + min * 60, 0)
            .single()
            .unwrap_or_default()
    }

    fn iv(a: i64, b: i64) -> Interval {
        Interval {
            start: t(a),
            end: t(b),
        }
    }

    #[test]
    fn end_must_follow_start() {
        assert!(Interval::new(t(10), t(10)).is_err());
        assert!(Interval::new(t(10), t(5)).is_err());
        assert!(Interval::new(t(5), t(10)).is_ok());
    }

    #[test]
    fn touching_intervals_do_not_overlap_but_merge() {
        assert!(!iv(0, 50).overlaps(&iv(50, 100)));
        assert_eq!(merge(vec![iv(50, 100), iv(0, 50)]), vec![iv(0, 100)]);
    }

    #[test]
    fn subtraction_leaves_the_gaps() {
        let free = vec![iv(0, 480)];
        let busy = vec![iv(60, 120), iv(100, 180), iv(400, 500)];
        assert_eq!(subtract(free, busy), vec![iv(0, 60), iv(180, 400)]);
    }

    fn any_iv() -> impl Strategy<Value = Interval> {
        (0i64..2000, 1i64..300).prop_map(|(a, len)| iv(a, a + len))
    }

    #[test]
    fn padding_at_the_ends_of_time_saturates() {
        let last = Interval::from_duration(
            DateTime::<Utc>::MAX_UTC - Duration::hours(1),
            Duration::minutes(50),
        );
        let p = last.padded(Duration::hours(5), Duration::hours(5));
        assert_eq!(p.end, DateTime::<Utc>::MAX_UTC);
        let first = Interval::from_duration(DateTime::<Utc>::MIN_UTC, Duration::minutes(50));
        assert_eq!(
            first.padded(Duration::hours(5), Duration::zero()).start,
            DateTime::<Utc>::MIN_UTC
        );
    }

    proptest! {
        /// Any instant chrono can hold, any buffers: padding never panics and never shrinks the interval.
        #[test]
        fn padding_is_total(secs in DateTime::<Utc>::MIN_UTC.timestamp()..DateTime::<Utc>::MAX_UTC.timestamp(), len in 1i64..100_000, before in 0i64..1_000_000, after in 0i64..1_000_000) {
            let Some(start) = DateTime::<Utc>::from_timestamp(secs, 0) else { return Ok(()) };
            let i = Interval::from_duration(start, Duration::seconds(len));
            let p = i.padded(Duration::seconds(before), Duration::seconds(after));
            prop_assert!(p.start <= i.start && i.end <= p.end);
        }

        /// Nothing left after subtraction overlaps anything busy, and everything left was free.
        #[test]
        fn subtract_is_sound(free in proptest::collection::vec(any_iv(), 0..8), busy in proptest::collection::vec(any_iv(), 0..8)) {
            let left = subtract(free.clone(), busy.clone());
            for l in &left {
                prop_assert!(busy.iter().all(|b| !b.overlaps(l)));
                prop_assert!(merge(free.clone()).iter().any(|f| f.contains(l)));
            }
            // And it is complete: any free minute not covered by busy is in the result.
            for f in &free {
                let mut m = f.start;
                while m < f.end {
                    let minute = Interval { start: m, end: m + Duration::minutes(1) };
                    if busy.iter().all(|b| !b.overlaps(&minute)) {
                        prop_assert!(left.iter().any(|l| l.contains(&minute)));
                    }
                    m += Duration::minutes(1);
                }
            }
        }

        #[test]
        fn merged_intervals_are_sorted_and_disjoint(v in proptest::collection::vec(any_iv(), 0..10)) {
            let m = merge(v);
            for w in m.windows(2) {
                prop_assert!(w[0].end < w[1].start);
            }
        }
    }
}
