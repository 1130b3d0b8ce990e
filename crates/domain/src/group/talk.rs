//! Fair facilitation: who spoke for how long in a group session.
//!
//! During a live session the facilitator clicks "Now speaking" for a member, or "Nobody / pause". Each click is an
//! event; a member speaks from their click until the next click (or the instant the tally is taken). Shares are of
//! the time anyone spoke, pauses excluded. A member whose share is below half an equal share (one over the number
//! of members taking part) is flagged as one of the quieter members, so the facilitator can invite them in.

use crate::ClientId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One click: from `at`, `speaker` speaks (nobody when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TalkEvent {
    pub at: DateTime<Utc>,
    pub speaker: Option<ClientId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TalkShare {
    pub client_id: ClientId,
    pub millis: i64,
    /// Of the time anyone spoke; 0 when nobody has spoken yet.
    pub share: f64,
    /// Below half an equal share.
    pub quieter: bool,
}

impl TalkShare {
    pub fn seconds(&self) -> i64 {
        self.millis / 1000
    }

    /// The share in whole percent, for a bar and its text label.
    pub fn percent(&self) -> u32 {
        (self.share * 100.0).round().clamp(0.0, 100.0) as u32
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub until: DateTime<Utc>,
    pub total_millis: i64,
    /// One entry per member taking part (and anyone else who was clicked), members first, in their order.
    pub shares: Vec<TalkShare>,
}

impl Tally {
    pub fn quieter(&self) -> impl Iterator<Item = &TalkShare> {
        self.shares.iter().filter(|s| s.quieter)
    }

    pub fn share_of(&self, client: ClientId) -> Option<&TalkShare> {
        self.shares.iter().find(|s| s.client_id == client)
    }
}

/// Sums talk time per member up to `until`: events after it are ignored and the last segment is cut there.
/// `members` are those taking part (present or late), so that someone who never spoke still shows up, at 0.
pub fn talk_tally(events: &[TalkEvent], until: DateTime<Utc>, members: &[ClientId]) -> Tally {
    let mut sorted: Vec<TalkEvent> = events.iter().copied().filter(|e| e.at <= until).collect();
    // Stable: of two clicks at the same instant the later one wins (the earlier gets a zero-length turn).
    sorted.sort_by_key(|e| e.at);
    let mut people: Vec<ClientId> = Vec::with_capacity(members.len());
    for c in members
        .iter()
        .copied()
        .chain(sorted.iter().filter_map(|e| e.speaker))
    {
        if !people.contains(&c) {
            people.push(c);
        }
    }
    let mut millis = vec![0i64; people.len()];
    for (i, e) in sorted.iter().enumerate() {
        let Some(speaker) = e.speaker else { continue };
        let end = sorted.get(i + 1).map(|n| n.at).unwrap_or(until);
        let d = (end - e.at).num_milliseconds().max(0);
        if let Some(slot) = people.iter().position(|p| *p == speaker) {
            millis[slot] += d;
        }
    }
    let total: i64 = millis.iter().sum();
    let equal = if people.is_empty() {
        0.0
    } else {
        1.0 / people.len() as f64
    };
    let shares = people
        .into_iter()
        .zip(millis)
        .map(|(client_id, ms)| {
            let share = if total > 0 {
                ms as f64 / total as f64
            } else {
                0.0
            };
            TalkShare {
                client_id,
                millis: ms,
                share,
                quieter: total > 0 && share < equal / 2.0,
            }
        })
        .collect();
    Tally {
        until,
        total_millis: total,
        shares,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 18, 0, 0).unwrap()
    }

    fn at(secs: i64, who: Option<ClientId>) -> TalkEvent {
        TalkEvent {
            at: t0() + Duration::seconds(secs),
            speaker: who,
        }
    }

    #[test]
    fn each_turn_lasts_until_the_next_click_and_pauses_count_for_nobody() {
        let (a, b, c) = (ClientId::new(), ClientId::new(), ClientId::new());
        let events = [
            at(0, Some(a)),
            at(60, Some(b)),
            at(90, None),
            at(300, Some(a)),
        ];
        let t = talk_tally(&events, t0() + Duration::seconds(330), &[a, b, c]);
        assert_eq!(t.total_millis, 120_000);
        assert_eq!(t.share_of(a).unwrap().seconds(), 90);
        assert_eq!(t.share_of(b).unwrap().seconds(), 30);
        assert_eq!(t.share_of(c).unwrap().seconds(), 0);
        assert_eq!(t.share_of(a).unwrap().percent(), 75);
        // An equal share is a third; half of it is a sixth. B has a quarter, C nothing.
        let quiet: Vec<ClientId> = t.quieter().map(|s| s.client_id).collect();
        assert_eq!(quiet, vec![c]);
    }

    #[test]
    fn events_after_the_instant_are_ignored_and_nobody_is_quiet_before_anyone_spoke() {
        let a = ClientId::new();
        let t = talk_tally(&[at(100, Some(a))], t0() + Duration::seconds(50), &[a]);
        assert_eq!(t.total_millis, 0);
        assert_eq!(t.quieter().count(), 0);
        let empty = talk_tally(&[], t0(), &[]);
        assert!(empty.shares.is_empty());
    }

    #[test]
    fn clicks_out_of_order_are_sorted_and_unknown_speakers_are_listed_after_members() {
        let (a, b) = (ClientId::new(), ClientId::new());
        let t = talk_tally(
            &[at(30, Some(b)), at(0, Some(a))],
            t0() + Duration::seconds(40),
            &[a],
        );
        assert_eq!(t.shares[0].client_id, a);
        assert_eq!(t.shares[0].seconds(), 30);
        assert_eq!(t.shares[1].client_id, b);
        assert_eq!(t.shares[1].seconds(), 10);
    }

    fn any_events(people: Vec<ClientId>) -> impl Strategy<Value = Vec<TalkEvent>> {
        let n = people.len();
        proptest::collection::vec((0i64..3_600, proptest::option::of(0..n)), 0..40).prop_map(
            move |raw| {
                raw.into_iter()
                    .map(|(s, who)| at(s, who.map(|i| people[i])))
                    .collect()
            },
        )
    }

    fn people() -> Vec<ClientId> {
        (0..5).map(|_| ClientId::new()).collect()
    }

    proptest! {
        /// When anyone spoke, the shares add up to one.
        #[test]
        fn shares_sum_to_one_when_anyone_spoke(events in any_events(people()), until in 0i64..4_000) {
            let members: Vec<ClientId> = events.iter().filter_map(|e| e.speaker).collect();
            let t = talk_tally(&events, t0() + Duration::seconds(until), &members);
            let sum: f64 = t.shares.iter().map(|s| s.share).sum();
            if t.total_millis > 0 {
                prop_assert!((sum - 1.0).abs() < 1e-9, "sum {sum}");
            } else {
                prop_assert_eq!(sum, 0.0);
            }
            prop_assert_eq!(t.shares.iter().map(|s| s.millis).sum::<i64>(), t.total_millis);
        }

        /// Taking the tally later never gives anyone less time.
        #[test]
        fn talk_time_never_shrinks_as_time_goes_on(events in any_events(people()), a in 0i64..4_000, more in 0i64..4_000) {
            let members: Vec<ClientId> = events.iter().filter_map(|e| e.speaker).collect();
            let early = talk_tally(&events, t0() + Duration::seconds(a), &members);
            let late = talk_tally(&events, t0() + Duration::seconds(a + more), &members);
            prop_assert!(late.total_millis >= early.total_millis);
            for s in &early.shares {
                let later = late.share_of(s.client_id).map(|x| x.millis).unwrap_or(0);
                prop_assert!(later >= s.millis);
            }
        }

        /// The quieter members are exactly those below half an equal share.
        #[test]
        fn quieter_means_below_half_an_equal_share(events in any_events(people())) {
            let members: Vec<ClientId> = events.iter().filter_map(|e| e.speaker).collect();
            let t = talk_tally(&events, t0() + Duration::seconds(4_000), &members);
            let n = t.shares.len() as f64;
            for s in &t.shares {
                prop_assert_eq!(s.quieter, t.total_millis > 0 && s.share < 0.5 / n);
            }
        }
    }
}
