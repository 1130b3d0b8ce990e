//! Properties that must hold for any answers, across the whole library.

use proptest::prelude::*;

use super::*;
use crate::measures::change::{ReliableChangeOutcome, s_diff};
use crate::measures::instrument::{MissingRuleKind, ScoringMethod};
use crate::measures::{assess_totals, library};

fn instruments() -> Vec<&'static Instrument> {
    library().unwrap().iter().collect()
}

/// One option per item (all items, scored or not), picked by the given indices.
fn pick(instrument: &Instrument, picks: &[usize]) -> Answers {
    instrument
        .items
        .iter()
        .zip(picks.iter().cycle())
        .map(|(item, p)| (item.id.clone(), item.options[p % item.options.len()].value))
        .collect()
}

proptest! {
    #[test]
    fn complete_answers_give_a_valid_total_within_the_declared_range(
        which in 0usize..64,
        picks in proptest::collection::vec(any::<usize>(), 1..24),
    ) {
        let all = instruments();
        let instrument = all[which % all.len()];
        let s = score(instrument, &pick(instrument, &picks)).unwrap();
        prop_assert!(s.valid, "{}: {:?}", instrument.id, s.invalid_reason);
        match instrument.scoring.method {
            ScoringMethod::Sum => {
                let (lo, hi) = instrument.total_range();
                let t = s.total.unwrap();
                prop_assert!(t >= f64::from(lo) && t <= f64::from(hi));
                if let Some(b) = &s.band {
                    prop_assert!(b.low <= t as i32 && t as i32 <= b.high);
                }
                prop_assert_eq!(s.band.is_some(), !instrument.bands.is_empty());
                prop_assert_eq!(s.population_bands.len(), instrument.population_bands.len());
            }
            ScoringMethod::RiskLevel => {
                prop_assert!(s.total.is_none());
                prop_assert!(s.risk.is_some());
            }
        }
    }

    #[test]
    fn prorating_never_leaves_the_score_range(
        picks in proptest::collection::vec(0usize..4, 9),
        drop_first in 0usize..9,
        drop_second in 0usize..9,
    ) {
        for id in ["phq9", "phqa"] {
            let instrument = inst(id);
            let MissingRuleKind::Prorate { max_missing } = instrument.missing.kind else {
                panic!("{id} should prorate");
            };
            let dropped = [(drop_first + 1).to_string(), (drop_second + 1).to_string()];
            let a: Answers = pick(instrument, &picks)
                .iter()
                .filter(|(k, _)| !dropped.iter().any(|d| d == k))
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            let s = score(instrument, &a).unwrap();
            prop_assert!(s.missing <= max_missing);
            prop_assert!(s.valid);
            let t = s.total.unwrap();
            prop_assert!((0.0..=27.0).contains(&t), "{id}: {t}");
            prop_assert_eq!(s.prorated, s.missing > 0);
        }
    }

    #[test]
    fn phq9_item_nine_is_flagged_whatever_else_is_missing(
        nine in 1i32..=3,
        others in proptest::collection::vec(proptest::option::of(0i32..=3), 8),
    ) {
        let mut a = Answers::new();
        for (i, v) in others.iter().enumerate() {
            if let Some(v) = v {
                a.set((i + 1).to_string(), *v);
            }
        }
        a.set("9", nine);
        let s = score(inst("phq9"), &a).unwrap();
        prop_assert!(s.critical.iter().any(|c| c.item == "9"));
    }

    #[test]
    fn an_answer_is_rejected_exactly_when_it_is_not_an_option(
        which in 0usize..64,
        item_pick in any::<usize>(),
        value in -3i32..8,
    ) {
        let all = instruments();
        let instrument = all[which % all.len()];
        let item = &instrument.items[item_pick % instrument.items.len()];
        let mut a = Answers::new();
        a.set(item.id.clone(), value);
        let result = score(instrument, &a);
        prop_assert_eq!(result.is_err(), item.option(value).is_none());
    }

    #[test]
    fn rci_sign_follows_the_change_and_improvement_follows_the_direction(
        x1 in 0.0f64..=27.0,
        x2 in 0.0f64..=27.0,
    ) {
        let a = assess_totals(inst("phq9"), x1, x2).unwrap();
        let rc = a.reliable_change.unwrap();
        let rci = rc.rci.unwrap().value;
        prop_assert!(close_sign(rci, x2 - x1));
        prop_assert!((rci * s_diff(3.5, 0.84) - (x2 - x1)).abs() < 1e-9);
        match rc.outcome.value {
            ReliableChangeOutcome::ReliablyImproved => prop_assert!(x2 < x1 && rci < -1.96),
            ReliableChangeOutcome::ReliablyDeteriorated => prop_assert!(x2 > x1 && rci > 1.96),
            ReliableChangeOutcome::NoReliableChange => prop_assert!(rci.abs() <= 1.96),
        }
        let t = a.talking_therapies.unwrap();
        prop_assert!(!(t.reliable_improvement.value && t.reliable_deterioration.value));
        prop_assert_eq!(t.recovery.value.is_some(), x1 >= 10.0);
    }
}

fn close_sign(a: f64, b: f64) -> bool {
    (a == 0.0 && b == 0.0) || (a > 0.0) == (b > 0.0)
}
