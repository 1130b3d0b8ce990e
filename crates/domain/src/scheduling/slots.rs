//! Slot search: the earliest free starts across many clinicians, without computing every slot of every clinician.
//!
//! Each clinician contributes a lazy, time-ordered stream of starts (aligned to the step on the UTC epoch, which
//! also lands on local quarter hours in every zone with a 15-minute offset); a heap merges the streams and stops
//! after `limit` slots.

use super::interval::{Interval, subtract};
use crate::ids::UserId;
use chrono::{DateTime, Duration, Utc};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What is being looked for.
#[derive(Debug, Clone)]
pub struct SlotQuery {
    pub length: Duration,
    pub buffer_before: Duration,
    pub buffer_after: Duration,
    /// Starts are multiples of this (15 minutes by default).
    pub step: Duration,
    /// Nothing before this (now plus the practice's minimum notice).
    pub earliest: DateTime<Utc>,
    /// Nothing starting at or after this (the booking horizon).
    pub latest: DateTime<Utc>,
    pub limit: usize,
}

/// One clinician's working time and existing sessions in the searched range.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub clinician: UserId,
    pub working: Vec<Interval>,
    /// Existing sessions, each with the buffers of its own type.
    pub busy: Vec<BusyTime>,
}

#[derive(Debug, Clone, Copy)]
pub struct BusyTime {
    pub session: Interval,
    pub buffer_before: Duration,
    pub buffer_after: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub clinician: UserId,
}

/// Whether a session at `session` (with the new type's buffers) fits: inside working time, not inside another
/// session's buffered time, and its own buffers clear of other sessions.
pub fn fits(
    session: Interval,
    before: Duration,
    after: Duration,
    working: &[Interval],
    busy: &[BusyTime],
) -> bool {
    working.iter().any(|w| w.contains(&session))
        && busy.iter().all(|b| {
            !b.session
                .padded(b.buffer_before, b.buffer_after)
                .overlaps(&session)
                && !session.padded(before, after).overlaps(&b.session)
        })
}

fn align_up(t: DateTime<Utc>, step: Duration) -> DateTime<Utc> {
    let s = step.num_seconds().max(60);
    let secs = t.timestamp();
    let up = secs.div_euclid(s) * s + if secs.rem_euclid(s) == 0 { 0 } else { s };
    DateTime::from_timestamp(up, 0).unwrap_or(t)
}

/// A lazy stream of fitting starts for one clinician, in time order.
struct Stream<'a> {
    cal: &'a Calendar,
    q: &'a SlotQuery,
    free: Vec<Interval>,
    idx: usize,
    next: Option<DateTime<Utc>>,
}

impl<'a> Stream<'a> {
    fn new(cal: &'a Calendar, q: &'a SlotQuery) -> Self {
        // Working time minus buffered busy time: candidate starts are only tried inside what is left.
        let blocked = cal
            .busy
            .iter()
            .map(|b| b.session.padded(b.buffer_before, b.buffer_after))
            .collect();
        let free = subtract(cal.working.clone(), blocked);
        Stream {
            cal,
            q,
            free,
            idx: 0,
            next: None,
        }
    }

    fn advance(&mut self) -> Option<DateTime<Utc>> {
        while self.idx < self.free.len() {
            let f = self.free[self.idx];
            let from = self
                .next
                .unwrap_or(f.start)
                .max(f.start)
                .max(self.q.earliest);
            let mut t = align_up(from, self.q.step);
            while t + self.q.length <= f.end && t < self.q.latest {
                let session = Interval::from_duration(t, self.q.length);
                if fits(
                    session,
                    self.q.buffer_before,
                    self.q.buffer_after,
                    &self.cal.working,
                    &self.cal.busy,
                ) {
                    self.next = Some(t + self.q.step);
                    return Some(t);
                }
                t += self.q.step;
            }
            if t >= self.q.latest {
                self.idx = self.free.len();
                return None;
            }
            self.idx += 1;
            self.next = None;
        }
        None
    }
}

/// The earliest `limit` slots across all calendars, ordered by start (ties by clinician id).
pub fn earliest(calendars: &[Calendar], q: &SlotQuery) -> Vec<Slot> {
    let mut streams: Vec<Stream<'_>> = calendars.iter().map(|c| Stream::new(c, q)).collect();
    let mut heap = BinaryHeap::new();
    for (i, s) in streams.iter_mut().enumerate() {
        if let Some(t) = s.advance() {
            heap.push(Reverse((t, s.cal.clinician, i)));
        }
    }
    let mut out = Vec::with_capacity(q.limit);
    while out.len() < q.limit {
        let Some(Reverse((t, clinician, i))) = heap.pop() else {
            break;
        };
        out.push(Slot {
            start: t,
            clinician,
        });
        if let Some(next) = streams[i].advance() {
            heap.push(Reverse((next, clinician, i)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(h: i64, m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
            + Duration::hours(h)
            + Duration::minutes(m)
    }

    fn query(limit: usize) -> SlotQuery {
        SlotQuery {
            length: Duration::minutes(50),
            buffer_before: Duration::zero(),
            buffer_after: Duration::minutes(10),
            step: Duration::minutes(15),
            earliest: t(0, 0),
            latest: t(48, 0),
            limit,
        }
    }

    fn cal(id: u128, working: &[(i64, i64)], busy: &[(i64, i64, i64)]) -> Calendar {
        Calendar {
            clinician: UserId(uuid::Uuid::from_u128(id)),
            working: working
                .iter()
                .map(|(a, b)| Interval {
                    start: t(*a, 0),
                    end: t(*b, 0),
                })
                .collect(),
            busy: busy
                .iter()
                .map(|(h, m, len)| BusyTime {
                    session: Interval::from_duration(t(*h, *m), Duration::minutes(*len)),
                    buffer_before: Duration::zero(),
                    buffer_after: Duration::minutes(10),
                })
                .collect(),
        }
    }

    #[test]
    fn finds_the_first_gaps_around_sessions() {
        // 9-12 working; a session 9:00-9:50 (+10 buffer) leaves 10:00, 10:15, … as the next starts.
        let c = cal(1, &[(9, 12)], &[(9, 0, 50)]);
        let slots = earliest(&[c], &query(3));
        let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![t(10, 0), t(10, 15), t(10, 30)]);
    }

    #[test]
    fn merges_clinicians_in_time_order() {
        let a = cal(1, &[(10, 11)], &[]);
        let b = cal(2, &[(9, 10)], &[]);
        let slots = earliest(&[a, b], &query(10));
        assert_eq!(slots[0].start, t(9, 0));
        assert_eq!(slots[0].clinician, UserId(uuid::Uuid::from_u128(2)));
        assert!(slots.windows(2).all(|w| w[0] <= w[1]));
        // 50 minutes fit into a 60-minute block at :00 only (a :15 start would end at 10:05).
        assert_eq!(slots.len(), 2);
    }

    #[test]
    fn respects_notice_and_horizon() {
        let c = cal(1, &[(9, 17)], &[]);
        let mut q = query(100);
        q.earliest = t(13, 7);
        q.latest = t(14, 0);
        let slots = earliest(&[c], &q);
        let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![t(13, 15), t(13, 30), t(13, 45)]);
    }

    proptest! {
        /// Every slot found fits, slots come in order, and none is missed before the last one returned.
        #[test]
        fn slots_are_sound_ordered_and_complete(
            busy in proptest::collection::vec((9i64..16, prop_oneof![Just(0i64), Just(15), Just(30), Just(45)], 20i64..120), 0..6),
            limit in 1usize..30,
        ) {
            let c = cal(7, &[(9, 17)], &busy);
            let q = query(limit);
            let slots = earliest(std::slice::from_ref(&c), &q);
            prop_assert!(slots.windows(2).all(|w| w[0].start < w[1].start));
            for s in &slots {
                prop_assert!(fits(Interval::from_duration(s.start, q.length), q.buffer_before, q.buffer_after, &c.working, &c.busy));
            }
            // Completeness: brute force over every step start up to the last slot (or the whole day).
            let end = slots.last().map(|s| s.start).unwrap_or(t(17, 0));
            let mut m = t(9, 0);
            let mut brute = Vec::new();
            while m <= end && brute.len() < limit {
                if fits(Interval::from_duration(m, q.length), q.buffer_before, q.buffer_after, &c.working, &c.busy) {
                    brute.push(m);
                }
                m += q.step;
            }
            let found: Vec<_> = slots.iter().map(|s| s.start).collect();
            prop_assert_eq!(found, brute);
        }
    }
}
