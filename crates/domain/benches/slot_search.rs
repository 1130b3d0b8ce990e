//! Slot search in memory (docs/BENCHMARKS.md): 200 clinicians over 28 days, Monday to Friday 09:00-17:00 on their
//! own wall clocks in four zones, about 60 % of working time booked with 53-minute sessions and 7-minute buffers.
//! Measures `slots::earliest` for the first 20 starts of an individual session (53 + 7 minutes, 15-minute step).
//!
//! `cargo bench -p rapport-domain --bench slot_search`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};
use rapport_domain::UserId;
use rapport_domain::clinician::WorkingBlock;
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::availability::working_time;
use rapport_domain::scheduling::slots::{BusyTime, Calendar, SlotQuery, earliest};
use std::hint::black_box;

const CLINICIANS: u128 = 200;
const DAYS: i64 = 28;
const ZONES: [Tz; 4] = [
    chrono_tz::Europe::Berlin,
    chrono_tz::Europe::London,
    chrono_tz::America::New_York,
    chrono_tz::Asia::Kolkata,
];

fn session() -> Duration {
    Duration::minutes(53)
}

fn buffer() -> Duration {
    Duration::minutes(7)
}

/// Monday 1 June 2026, 00:00 UTC.
fn range_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn range() -> Interval {
    Interval::from_duration(range_start(), Duration::days(DAYS))
}

/// A small deterministic generator (SplitMix64), so the calendars are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

fn weekly_hours() -> Vec<WorkingBlock> {
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap();
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .map(|weekday| WorkingBlock::anywhere(weekday, nine, five))
    .collect()
}

fn busy_at(start: DateTime<Utc>) -> BusyTime {
    BusyTime {
        session: Interval::from_duration(start, session()),
        buffer_before: Duration::zero(),
        buffer_after: buffer(),
    }
}

/// Sessions in one block of working time. Walking from the start of the block: with probability `p` a session
/// starts here (and the next may start 60 minutes later), otherwise 15 to 60 minutes stay free. With p = 0.52 about
/// 60 % of an eight-hour day ends up booked (the tail of the day that is too short for a session stays free).
fn fill(block: Interval, p: f64, rng: &mut Rng, out: &mut Vec<BusyTime>) {
    let mut t = block.start;
    while t + session() <= block.end {
        if rng.chance(p) {
            out.push(busy_at(t));
            t += session() + buffer();
        } else {
            t += Duration::minutes(15 * (1 + (rng.next() % 4) as i64));
        }
    }
}

/// 200 calendars; working time before `full_until` is booked solid, the rest about 60 %.
fn calendars(full_until: DateTime<Utc>) -> Vec<Calendar> {
    let hours = weekly_hours();
    let mut rng = Rng(0x5EED);
    (0..CLINICIANS)
        .map(|i| {
            let tz = ZONES[(i % ZONES.len() as u128) as usize];
            let working = working_time(&hours, tz, range(), &[]);
            let mut busy = Vec::new();
            for w in &working {
                let p = if w.end <= full_until { 1.0 } else { 0.52 };
                fill(*w, p, &mut rng, &mut busy);
            }
            Calendar {
                clinician: UserId(uuid::Uuid::from_u128(i + 1)),
                working,
                busy,
            }
        })
        .collect()
}

/// The share of working time covered by sessions and their buffers (buffers clipped to working time).
fn booked_share(cals: &[Calendar]) -> f64 {
    let mut work = 0i64;
    let mut busy = 0i64;
    for c in cals {
        work += c
            .working
            .iter()
            .map(|w| w.duration().num_minutes())
            .sum::<i64>();
        for b in &c.busy {
            let padded = b.session.padded(b.buffer_before, b.buffer_after);
            busy += c
                .working
                .iter()
                .filter_map(|w| w.intersection(&padded))
                .map(|i| i.duration().num_minutes())
                .sum::<i64>();
        }
    }
    busy as f64 / work as f64
}

fn query() -> SlotQuery {
    SlotQuery {
        length: session(),
        buffer_before: Duration::zero(),
        buffer_after: buffer(),
        step: Duration::minutes(15),
        earliest: range_start(),
        latest: range().end,
        limit: 20,
    }
}

fn bench(c: &mut Criterion) {
    let q = query();
    let typical = calendars(range_start());
    let late = calendars(range_start() + Duration::days(21));
    for (name, cals) in [("typical", &typical), ("first 3 weeks full", &late)] {
        let found = earliest(cals, &q);
        assert_eq!(found.len(), 20);
        eprintln!(
            "{name}: {} calendars, {} sessions, {:.1} % of working time booked; first slot {}, 20th {}",
            cals.len(),
            cals.iter().map(|c| c.busy.len()).sum::<usize>(),
            booked_share(cals) * 100.0,
            found[0].start,
            found[19].start,
        );
    }

    let mut g = c.benchmark_group("slot_search");
    g.bench_function("earliest 20, 200 clinicians x 28 days, 60% booked", |b| {
        b.iter(|| earliest(black_box(&typical), black_box(&q)))
    });
    g.bench_function("earliest 20, first 3 weeks fully booked", |b| {
        b.iter(|| earliest(black_box(&late), black_box(&q)))
    });
    // What the slot-search use case does in memory after loading: working time from weekly hours for every
    // clinician, then the search (the busy lists are cloned in, as the use case builds them from rows).
    let hours = weekly_hours();
    g.bench_function("working_time for 200 clinicians + earliest 20", |b| {
        b.iter(|| {
            let cals: Vec<Calendar> = typical
                .iter()
                .enumerate()
                .map(|(i, c)| Calendar {
                    clinician: c.clinician,
                    working: working_time(&hours, ZONES[i % ZONES.len()], range(), &[]),
                    busy: c.busy.clone(),
                })
                .collect();
            earliest(black_box(&cals), black_box(&q))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
